"""RESTX models of the health endpoints."""
from flask_restx import Namespace, fields

ns = Namespace("health", description="Liveness and readiness probes (no authentication)")

health_model = ns.model("Health", {
    "status": fields.String(required=True, example="ok"),
    "sandbox": fields.Boolean(description="True when Graph calls go to the bundled emulator, not Meta"),
    "version": fields.String(example="1.0.0"),
    "sandbox_url": fields.String(description="Sandbox mode only: the bundled emulator, for /_sandbox/inbound"),
})

check_model = ns.model("DependencyCheck", {
    "status": fields.String(required=True, enum=["ok", "error", "not_configured"]),
    "error": fields.String(description="Why the check failed"),
})

ready_model = ns.model("Readiness", {
    "status": fields.String(required=True, enum=["ok", "unavailable"]),
    "checks": fields.Raw(required=True, description="database and redis, each a DependencyCheck",
                         example={"database": {"status": "ok"}, "redis": {"status": "not_configured"}}),
    "failed": fields.List(fields.String, description="Names of the dependencies that failed"),
})
