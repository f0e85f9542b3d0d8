"""The Chalice app: registers the HTTP blueprints and the workflow tasks. No logic lives here."""

from chalice import Chalice

from chalicelib.api import applications, assessments, households, system
from chalicelib.tasks import application_workflow

app = Chalice(app_name="spsr")
app.register_blueprint(system.bp)
app.register_blueprint(applications.bp)
app.register_blueprint(households.bp)
app.register_blueprint(assessments.bp)
app.register_blueprint(application_workflow.bp)
