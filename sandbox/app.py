"""The emulator's WSGI application: a small Flask app answering like Meta's Graph API."""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Request, g, jsonify, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.routing import BaseConverter

from sandbox.control import control
from sandbox.delivery import Deliver
from sandbox.errors import GraphError
from sandbox.graph import graph, upload_stream_factory
from sandbox.media import MAX_UPLOAD, MB, SpoolFile, discard
from sandbox.settings import EmulatorSettings
from sandbox.state import EmulatorState

log = logging.getLogger("sandbox")


class GraphVersionConverter(BaseConverter):
    """Match a Graph API version path segment such as v23.0."""

    regex = r"v\d+\.\d+"


class EmulatorRequest(Request):
    """A request whose uploaded files are written straight into the media directory."""

    def _get_file_stream(self, *args: Any, **kwargs: Any) -> SpoolFile:  # type: ignore[override]
        return upload_stream_factory(*args, **kwargs)


class EmulatorApp(Flask):
    """The Flask app, with its state reachable as `.emulator`."""

    request_class = EmulatorRequest
    emulator: EmulatorState


def create_emulator_app(settings: EmulatorSettings | None = None, deliver: Deliver | None = None) -> EmulatorApp:
    """Build the emulator app; webhooks go through deliver(url, body, headers) -> status when given."""
    settings = settings or EmulatorSettings()
    app = EmulatorApp("sandbox", static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = MAX_UPLOAD + MB
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.url_map.converters["version"] = GraphVersionConverter
    state = EmulatorState(settings, deliver)
    app.extensions["sandbox"] = state
    app.emulator = state
    app.register_blueprint(control)
    app.register_blueprint(graph)
    _register_error_handlers(app)
    app.teardown_request(_discard_spools)
    log.info("emulator ready (waba %s, callback %s)", settings.waba_id, settings.callback_url)
    return app


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(GraphError)
    def _graph_error(exc: GraphError):
        return jsonify(exc.body()), exc.http_status

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(exc: RequestEntityTooLarge):
        error = GraphError(131053, f"Media upload error: the request is larger than {MAX_UPLOAD + MB} bytes.",
                           http_status=413)
        return jsonify(error.body()), 413

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unexpected error on %s %s", request.method, request.path)
        error = GraphError(1, "An unexpected error happened in the sandbox.", http_status=500)
        return jsonify(error.body()), 500

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        error = GraphError(2500 if exc.code == 404 else 100, f"{exc.name}: {exc.description}",
                           http_status=exc.code or 400,
                           message=f"Unknown path components: {request.path}" if exc.code == 404 else None)
        return jsonify(error.body()), exc.code or 400


def _discard_spools(_exc: BaseException | None) -> None:
    """Delete upload files that were not turned into media objects (failed or rejected uploads)."""
    for spool in g.pop("sandbox_spools", []):
        discard(spool)
