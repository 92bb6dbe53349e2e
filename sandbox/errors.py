"""Graph API errors in Meta's shape, with the catalogue of codes the emulator produces."""
from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from typing import Any

ERROR_DOCS_URL = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"
_TRACE_ALPHABET = string.ascii_letters + string.digits + "-_"


@dataclass(frozen=True)
class ErrorSpec:
    """How Meta reports one error code: title, usual HTTP status, default details."""

    title: str
    http_status: int
    details: str
    subcode: int | None = None


CATALOGUE: dict[int, ErrorSpec] = {
    1: ErrorSpec("API Unknown", 400, "Invalid request or possible server error."),
    2: ErrorSpec("Service temporarily unavailable", 503,
                 "Temporary due to downtime or due to being overloaded."),
    4: ErrorSpec("Application request limit reached", 429, "The app has reached its API call rate limit."),
    100: ErrorSpec("Invalid parameter", 400, "Invalid parameter."),
    190: ErrorSpec("Access token has expired", 401, "The access token is invalid or has expired."),
    130429: ErrorSpec("Rate limit hit", 429,
                      "Message failed to send because there were too many messages sent from this "
                      "phone number in a short period of time", 2494055),
    131000: ErrorSpec("Something went wrong", 500,
                      "Message failed to send due to an unknown error. When setting a business public key, "
                      "it either failed to calculate the signature, call the GraphQL endpoint, or the "
                      "GraphQL endpoint returned an error."),
    131008: ErrorSpec("Required parameter is missing", 400, "The request is missing a required parameter."),
    131009: ErrorSpec("Parameter value is not valid", 400, "One or more parameter values are invalid."),
    131016: ErrorSpec("Service unavailable", 503, "A service is temporarily unavailable."),
    131026: ErrorSpec("Message Undeliverable", 400,
                      "Message failed to send because the recipient's phone number is not a WhatsApp "
                      "user, or the recipient has not accepted WhatsApp's latest terms of service."),
    131047: ErrorSpec("Re-engagement message", 400,
                      "Message failed to send because more than 24 hours have passed since the customer "
                      "last replied to this number."),
    131048: ErrorSpec("Spam rate limit hit", 429,
                      "Message failed to send because there are restrictions on how many messages can be "
                      "sent from this phone number."),
    131051: ErrorSpec("Message type unknown", 400, "Message type is currently not supported."),
    131053: ErrorSpec("Media upload error", 400, "Unable to upload the media used in the message."),
    131056: ErrorSpec("(Business Account, Consumer Account) pair rate limit hit", 400,
                      "Message failed to send because there were too many messages sent from this phone "
                      "number to the same phone number in a short period of time."),
    131057: ErrorSpec("Account in maintenance mode", 500, "Business Account is in maintenance mode."),
    132001: ErrorSpec("Template does not exist", 404,
                      "The template does not exist in the specified language or the template has not "
                      "been approved."),
    368: ErrorSpec("Temporarily blocked for policies violations", 403,
                   "The WhatsApp Business Account associated with the app has been restricted or "
                   "disabled for violating a platform policy."),
    2500: ErrorSpec("Unknown path components", 400, "The requested path is not part of the Graph API."),
}


def fbtrace_id() -> str:
    """Return a random trace id like the ones Meta puts in every error."""
    return "A" + "".join(secrets.choice(_TRACE_ALPHABET) for _ in range(22))


def spec_for(code: int) -> ErrorSpec:
    """Return the catalogue entry for code, or a generic one for codes the emulator does not know."""
    return CATALOGUE.get(code, ErrorSpec("Injected error", 400, "Error injected by the sandbox."))


class GraphError(Exception):
    """An error the emulator answers with, rendered in Meta's error envelope."""

    def __init__(self, code: int, details: str | None = None, *, http_status: int | None = None,
                 title: str | None = None, subcode: int | None = None, message: str | None = None) -> None:
        spec = spec_for(code)
        self.code = code
        self.title = title or spec.title
        self.details = details or spec.details
        self.http_status = http_status or spec.http_status
        self.subcode = subcode if subcode is not None else spec.subcode
        self.message = message or f"(#{code}) {self.title}"
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        """Return the JSON body Meta would send for this error."""
        error: dict[str, Any] = {"message": self.message, "type": "OAuthException", "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.code != 190:
            error["error_data"] = {"messaging_product": "whatsapp", "details": self.details}
        error["fbtrace_id"] = fbtrace_id()
        return {"error": error}


def token_error(reason: str) -> GraphError:
    """Return the 401 Meta answers for a missing, malformed or wrong access token."""
    return GraphError(190, reason, http_status=401, message=f"Error validating access token: {reason}")


def missing(path: str) -> GraphError:
    """Return error 131008 for a required parameter that is absent."""
    return GraphError(131008, f"The parameter {path} is required.")


def invalid(path: str, why: str) -> GraphError:
    """Return error 131009 for a parameter whose value is not valid."""
    return GraphError(131009, f"Param {path} {why}")


def bad_param(path: str, why: str) -> GraphError:
    """Return error 100 for an invalid parameter (limits, unknown values)."""
    return GraphError(100, f"Param {path} {why}")


def status_error_object(code: int, details: str | None = None) -> dict[str, Any]:
    """Return the error object Meta puts in a failed status or unsupported message webhook."""
    spec = spec_for(code)
    return {"code": code, "title": spec.title, "message": spec.title,
            "error_data": {"details": details or spec.details}, "href": ERROR_DOCS_URL}
