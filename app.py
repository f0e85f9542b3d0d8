"""The Chalice app: registers the blueprints. No logic lives here."""

from chalice import Chalice

from chalicelib.api import applications, households, system

app = Chalice(app_name="spsr")
app.register_blueprint(system.bp)
app.register_blueprint(applications.bp)
app.register_blueprint(households.bp)
