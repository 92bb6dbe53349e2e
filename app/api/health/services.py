"""Health checks of the service's dependencies."""
from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import text

from app.extensions import redis_client
from database.connection import db

log = logging.getLogger(__name__)


class HealthService:
    """Liveness says the process answers; readiness asks each dependency."""

    def liveness(self) -> dict:
        from app import __version__

        body = {"status": "ok", "sandbox": bool(current_app.config.get("SANDBOX_MODE")), "version": __version__}
        running = current_app.extensions.get("sandbox")
        if running is not None:
            body["sandbox_url"] = running.base_url  # development only: where to simulate users
        return body

    def readiness(self) -> tuple[dict, int]:
        checks = {"database": self._check_database(), "redis": self._check_redis()}
        failed = [name for name, check in checks.items() if check["status"] == "error"]
        body = {"status": "unavailable" if failed else "ok", "checks": checks, "failed": failed}
        return body, 503 if failed else 200

    def _check_database(self) -> dict:
        try:
            db.session.execute(text("SELECT 1"))
            return {"status": "ok"}
        except Exception as exc:  # any driver error means not ready
            db.session.rollback()
            log.warning("readiness: database check failed: %s", type(exc).__name__)
            return {"status": "error", "error": f"database did not answer ({type(exc).__name__})"}
        finally:
            db.session.remove()

    def _check_redis(self) -> dict:
        client = redis_client.get()
        if client is None:
            return {"status": "not_configured"}
        try:
            client.ping()
            return {"status": "ok"}
        except Exception as exc:  # redis-py raises several types for a dead server
            log.warning("readiness: redis check failed: %s", type(exc).__name__)
            return {"status": "error", "error": f"redis did not answer ({type(exc).__name__})"}
