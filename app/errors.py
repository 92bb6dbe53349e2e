"""The service's error tree and the one renderer of the API.md error envelope."""
from __future__ import annotations

import logging
from typing import Any

from flask import g, has_request_context, jsonify, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class AppError(Exception):
    """An error the client can act on; rendered as the API.md envelope.

    Deliberately has no ``data`` attribute: flask-restx would let it replace the body.
    """

    status: int = 500
    code: str = "INTERNAL_ERROR"
    default_message: str = "An internal error occurred."

    def __init__(
        self,
        message: str | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.details = details
        self.headers = headers or {}
        super().__init__(self.message)


class ValidationError(AppError):
    status, code, default_message = 400, "VALIDATION_ERROR", "The request is invalid."


class Unauthorized(AppError):
    status, code, default_message = 401, "UNAUTHORIZED", "Missing or invalid credentials."


class Forbidden(AppError):
    status, code, default_message = 403, "FORBIDDEN", "Forbidden."


class NotFound(AppError):
    status, code, default_message = 404, "NOT_FOUND", "The resource was not found."


class MethodNotAllowed(AppError):
    status, code, default_message = 405, "METHOD_NOT_ALLOWED", "Method not allowed."


class Conflict(AppError):
    status, code, default_message = 409, "CONFLICT", "The resource already exists."


class ContactBlocked(AppError):
    status, code, default_message = 409, "CONTACT_BLOCKED", "The recipient is blocked."


class LineInactive(AppError):
    status, code, default_message = 409, "LINE_INACTIVE", "The messaging line is inactive."


class IdempotencyConflict(AppError):
    status, code = 409, "IDEMPOTENCY_CONFLICT"
    default_message = "The Idempotency-Key was already used with another request."


class PayloadTooLarge(AppError):
    status, code, default_message = 413, "PAYLOAD_TOO_LARGE", "The body is too large."


class UnsupportedMediaType(AppError):
    status, code, default_message = 415, "UNSUPPORTED_MEDIA_TYPE", "Unsupported media type."


class QuotaExceeded(AppError):
    status, code = 429, "QUOTA_EXCEEDED"
    default_message = "The line's daily message quota is used up."


class RateLimited(AppError):
    status, code, default_message = 429, "RATE_LIMITED", "Too many requests."


class WhatsAppAPIError(AppError):
    status, code, default_message = 502, "WHATSAPP_API_ERROR", "The WhatsApp API refused or failed the request."


class ServiceUnavailable(AppError):
    status, code, default_message = 503, "SERVICE_UNAVAILABLE", "A dependency is unavailable."


# Werkzeug's HTTP exceptions, mapped onto our codes.
_HTTP_CODES = {
    400: ("VALIDATION_ERROR", "The request is invalid."),
    401: ("UNAUTHORIZED", "Missing or invalid credentials."),
    403: ("FORBIDDEN", "Forbidden."),
    404: ("NOT_FOUND", "The requested URL was not found."),
    405: ("METHOD_NOT_ALLOWED", "The method is not allowed for the requested URL."),
    413: ("PAYLOAD_TOO_LARGE", "The request body is too large."),
    415: ("UNSUPPORTED_MEDIA_TYPE", "Unsupported media type."),
    429: ("RATE_LIMITED", "Too many requests."),
    503: ("SERVICE_UNAVAILABLE", "The service is unavailable."),
}


def _is_db_outage(exc: Exception) -> bool:
    from sqlalchemy.exc import DBAPIError, OperationalError

    if isinstance(exc, OperationalError):
        return True
    return isinstance(exc, DBAPIError) and bool(getattr(exc, "connection_invalidated", False))


def envelope(status: int, code: str, message: str, details: dict | None = None, headers=None):
    """Build the API.md error response."""
    body: dict[str, Any] = {"error": code, "message": message}
    if details:
        body["details"] = details
    body["request_id"] = getattr(g, "request_id", None) if has_request_context() else None
    response = jsonify(body)
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def render_error(exc: Exception):
    """Render any exception as the envelope; the only error renderer of the service."""
    if isinstance(exc, AppError):
        return envelope(exc.status, exc.code, exc.message, exc.details, exc.headers)
    if isinstance(exc, HTTPException):
        # flask-restx's abort() attaches .data, which would replace our body (flask-restx#335).
        exc.__dict__.pop("data", None)
        status = exc.code or 500
        code, default_message = _HTTP_CODES.get(status, ("INTERNAL_ERROR" if status >= 500 else "VALIDATION_ERROR", ""))
        message = default_message or (exc.description or "")
        headers = {}
        if status == 429:
            headers["Retry-After"] = (exc.response.headers.get("Retry-After") if exc.response else None) or "60"
        elif status == 405 and getattr(exc, "valid_methods", None):
            headers["Allow"] = ", ".join(exc.valid_methods)
        return envelope(status, code, message, None, headers)
    if _is_db_outage(exc):
        log.error("database unavailable during %s %s: %s", _method(), _path(), type(exc).__name__)
        return envelope(503, "SERVICE_UNAVAILABLE", "The database is unavailable; try again shortly.",
                        {"dependency": "database"}, {"Retry-After": "5"})
    log.exception("unhandled error during %s %s", _method(), _path())
    return envelope(500, "INTERNAL_ERROR", "An internal error occurred.")


def _method() -> str:
    return request.method if has_request_context() else "-"


def _path() -> str:
    return request.path if has_request_context() else "-"
