"""The Chalice app: registers the blueprints. No logic lives here."""

from chalice import Chalice

from chalicelib.api import applications, households, payroll, system
from chalicelib.tasks import payroll as payroll_tasks

app = Chalice(app_name="spsr")
app.register_blueprint(system.bp)
app.register_blueprint(applications.bp)
app.register_blueprint(households.bp)
app.register_blueprint(payroll.bp)
app.register_blueprint(payroll_tasks.bp)
