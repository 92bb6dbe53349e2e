"""Health probes: /health and /health/ready."""
from flask_restx import Resource

from app.api.health.models import health_model, ns, ready_model
from app.api.health.services import HealthService


@ns.route("")
class Health(Resource):
    @ns.doc(security=[])
    @ns.response(200, "The process is up", health_model)
    def get(self):
        """Report that the process is alive"""
        return HealthService().liveness()


@ns.route("/ready")
class Ready(Resource):
    @ns.doc(security=[])
    @ns.response(200, "Every dependency answers", ready_model)
    @ns.response(503, "A dependency failed", ready_model)
    def get(self):
        """Report whether the database and Redis answer"""
        return HealthService().readiness()
