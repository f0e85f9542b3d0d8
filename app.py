"""The Chalice app: registers the HTTP blueprints and the workflow tasks. No logic lives here."""

from chalice import Chalice

from chalicelib import tracing
from chalicelib.api import (
    appeals,
    applications,
    assessments,
    audit,
    cases,
    change_requests,
    grievances,
    households,
    payroll,
    system,
)
from chalicelib.tasks import application_workflow, payroll_reports
from chalicelib.tasks import grievances as grievance_tasks
from chalicelib.tasks import payroll as payroll_tasks

app = Chalice(app_name="spsr")
app.register_blueprint(tracing.bp)
app.register_blueprint(system.bp)
app.register_blueprint(applications.bp)
app.register_blueprint(households.bp)
app.register_blueprint(change_requests.bp)
app.register_blueprint(grievances.bp)
app.register_blueprint(appeals.bp)
app.register_blueprint(cases.bp)
app.register_blueprint(grievance_tasks.bp)
app.register_blueprint(payroll.bp)
app.register_blueprint(payroll_tasks.bp)
app.register_blueprint(assessments.bp)
app.register_blueprint(audit.bp)
app.register_blueprint(application_workflow.bp)
app.register_blueprint(payroll_reports.bp)
