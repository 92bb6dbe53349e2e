"""Application factory."""
from __future__ import annotations

import logging
import re
import uuid

from flask import Blueprint, Flask, g, request
from flask.logging import default_handler
from flask_restx import Api

from app.errors import render_error
from app.extensions import init_extensions
from app.jobs import init_jobs
from app.utils.logging import configure_logging
from config import get_config
from database.connection import init_database

__version__ = "1.0.0"
API_PREFIX = "/api/v1"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
log = logging.getLogger(__name__)

AUTHORIZATIONS = {
    "apikey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    "bearer": {"type": "apiKey", "in": "header", "name": "Authorization",
               "description": "Authorization: Bearer <JWT signed HS256 with JWT_SECRET_KEY, exp required>"},
}


class ServiceApi(Api):
    """flask-restx Api whose every error goes through the one envelope renderer."""

    def handle_error(self, e):
        return render_error(e)


def create_app(config_name: str | None = None) -> Flask:
    """Build the service: config, request id, extensions, database, API, error handlers, CLI."""
    config = get_config(config_name)
    app = Flask(__name__, instance_relative_config=False)
    app.logger.removeHandler(default_handler)  # everything goes through the root stdout handler
    app.config.update(config.as_flask_config())
    app.extensions["service_config"] = config
    configure_logging(app.config["LOG_LEVEL"])
    _register_request_hooks(app)  # first, so even the rate limiter's 429 carries the request id

    init_extensions(app)
    init_database(app)
    init_jobs(app)
    _register_api(app)
    _register_error_handlers(app)
    _register_cli(app)
    if app.config["SYNC_LINES_ON_START"]:
        from app.cli import sync_lines_on_start

        sync_lines_on_start(app)
    _start_sandbox(app)
    return app


def _register_api(app: Flask) -> Api:
    from app.api.contacts.routes import ns as contacts_ns
    from app.api.health.routes import ns as health_ns
    from app.api.lines.routes import ns as lines_ns
    from app.api.media.routes import ns as media_ns
    from app.api.messages.routes import ns as messages_ns
    from app.api.webhooks.routes import ns as webhooks_ns

    blueprint = Blueprint("api", __name__)
    api = ServiceApi(
        blueprint,
        title="WhatsApp API Microservice",
        version=__version__,
        description=(
            "Send every kind of WhatsApp message from several business numbers, receive Meta's "
            "signed webhooks, and keep every message, contact, media file and event in SQL. "
            "Authenticate with X-API-Key or a Bearer JWT; errors always use one JSON envelope."
        ),
        doc="/docs/",
        authorizations=AUTHORIZATIONS,
        security=[{"apikey": []}, {"bearer": []}],
        catch_all_404s=True,
    )
    api.add_namespace(health_ns, path="/health")
    api.add_namespace(messages_ns, path=f"{API_PREFIX}/messages")
    api.add_namespace(webhooks_ns, path=f"{API_PREFIX}/webhooks")
    api.add_namespace(lines_ns, path=f"{API_PREFIX}/lines")
    api.add_namespace(contacts_ns, path=f"{API_PREFIX}/contacts")
    api.add_namespace(media_ns, path=f"{API_PREFIX}/media")
    app.register_blueprint(blueprint)
    app.extensions["restx_api"] = api
    return api


def _register_error_handlers(app: Flask) -> None:
    # URLs outside the blueprint (and anything restx does not route) get the same envelope.
    app.register_error_handler(Exception, render_error)


def _register_request_hooks(app: Flask) -> None:
    webhook_path = f"{API_PREFIX}/webhooks"
    media_path = f"{API_PREFIX}/media"

    @app.before_request
    def _assign_request_id():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        path = request.path.rstrip("/")
        if path == webhook_path:
            request.max_content_length = app.config["WEBHOOK_MAX_BYTES"]
        elif path == media_path and request.method == "POST":
            # Multipart overhead on top of the largest document WhatsApp takes.
            request.max_content_length = app.config["MEDIA_MAX_BYTES"] + 1024 * 1024

    @app.after_request
    def _echo_request_id(response):
        response.headers["X-Request-ID"] = getattr(g, "request_id", "") or uuid.uuid4().hex
        if response.status_code == 204:
            response.mimetype = "application/json"  # the API's one documented type, not Flask's text/html
        return response


def _register_cli(app: Flask) -> None:
    from app.cli import register_commands

    register_commands(app)


def _start_sandbox(app: Flask) -> None:
    if app.config.get("SANDBOX_MODE"):
        from app.sandbox_mode import start_embedded_sandbox

        start_embedded_sandbox(app)
