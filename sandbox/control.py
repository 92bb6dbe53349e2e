"""The /_sandbox control API: inspection, reset, fault injection, inbound messages, raw webhooks."""
from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from sandbox.inbound import InboundError, build_inbound
from sandbox.state import EmulatorState
from sandbox.webhooks import envelope, serialize, signature

control = Blueprint("control", __name__, url_prefix="/_sandbox")
FAULT_KEYS = ("code", "http_status", "count", "details", "subcode", "message", "to", "async")


def emulator() -> EmulatorState:
    """Return the state of the emulator serving this request."""
    return current_app.extensions["sandbox"]


def _error(message: str, status: int = 400) -> tuple[Response, int]:
    return jsonify({"error": message}), status


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True, force=True)
    if body is None and request.get_data(cache=True).strip():
        raise ValueError("the body is not valid JSON")
    if body is not None and not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body or {}


@control.errorhandler(ValueError)
@control.errorhandler(TypeError)
@control.errorhandler(KeyError)
def _bad_request(exc: Exception) -> tuple[Response, int]:
    return _error(f"{type(exc).__name__}: {exc}" if not isinstance(exc, ValueError) else str(exc))


@control.get("/health")
def health() -> Response:
    """Report that the emulator is up, with a few counters."""
    state = emulator()
    return jsonify({"status": "ok", "messages": len(state.messages()),
                    "pending_webhooks": state.dispatcher.pending(), "callback_url": state.settings.callback_url})


@control.get("/faults")
def faults_get() -> Response:
    """Show queued faults, per-number attempt counters, reserved numbers and current settings."""
    state = emulator()
    return jsonify({**state.faults.describe(), "settings": state.settings.as_dict()})


@control.post("/faults")
def faults_post() -> Response:
    """Queue a fault ({"code", "http_status", "count"}) and/or change settings ({"latency": 0.5})."""
    state = emulator()
    body = _body()
    settings = {key: value for key, value in body.items() if key not in FAULT_KEYS}
    state.settings.update(settings)
    if "code" in body:
        state.faults.inject({key: body[key] for key in FAULT_KEYS if key in body})
    elif any(key in body for key in FAULT_KEYS):
        raise ValueError("a fault needs a code")
    return faults_get()


@control.delete("/faults")
def faults_delete() -> Response:
    """Clear queued faults and counters; put latency and slow_seconds back to their start values."""
    emulator().clear_faults()
    return faults_get()


@control.post("/reset")
def reset() -> Response:
    """Forget all state; with {"settings": true} also restore the start-up settings."""
    emulator().reset(settings=bool(_body().get("settings", False)))
    return jsonify({"success": True})


@control.get("/messages")
def messages() -> Response:
    """List accepted sends with their exact bodies (?to= filters by recipient)."""
    items = emulator().messages_json()
    to = request.args.get("to")
    if to:
        items = [item for item in items if item["wa_id"] == "".join(c for c in to if c.isdigit())]
    return jsonify({"data": items})


@control.get("/reads")
def reads() -> Response:
    """List mark-as-read and typing-indicator calls."""
    return jsonify({"data": emulator().reads()})


@control.get("/requests")
def requests_log() -> Response:
    """List received Graph requests (method, path, query, body, status)."""
    return jsonify({"data": emulator().requests()})


@control.get("/deliveries")
def deliveries() -> Response:
    """List webhook delivery attempts (url, status, body, attempt, duplicate)."""
    return jsonify({"data": emulator().deliveries()})


@control.get("/media")
def media() -> Response:
    """List stored media objects."""
    return jsonify({"data": [item.describe() for item in emulator().media.list()]})


@control.get("/idle")
def idle() -> Response:
    """Wait (up to ?timeout= seconds, default 10) until every scheduled webhook has been delivered."""
    timeout = float(request.args.get("timeout", 10))
    return jsonify({"idle": emulator().wait_idle(min(timeout, 60.0))})


@control.post("/inbound")
def inbound() -> tuple[Response, int] | Response:
    """Make a simulated user send the business a message; it goes to the callback as a webhook."""
    state = emulator()
    try:
        wamid, update = build_inbound(state, _body())
    except InboundError as exc:
        return _error(str(exc))
    queued = state.dispatcher.schedule(update, 0.0)
    return jsonify({"id": wamid, "payload": envelope(state.settings, [update]), "queued": queued})


@control.post("/webhooks/raw")
def raw_webhook() -> tuple[Response, int] | Response:
    """Sign a caller-given JSON payload and deliver it as-is (outside batching)."""
    state = emulator()
    payload = request.get_json(silent=True, force=True)
    if payload is None:
        return _error("the body must be JSON")
    body = serialize(payload)
    post = state.dispatcher.post_raw(body)
    return jsonify({"queued": post is not None, "body": body.decode("ascii"),
                    "signature": signature(body, state.settings.app_secret),
                    "payload": json.loads(body)})
