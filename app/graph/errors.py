"""Graph API errors: one exception type, classified by Meta's ``error.code``.

Deliberately no exception here has a ``data`` attribute: flask-restx would render it as the
response body instead of the service's envelope (flask-restx#335).
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

# Codes worth retrying with backoff (GRAPH_API.md §5): throttling and transient server trouble.
RETRYABLE_CODES: frozenset[int] = frozenset({1, 2, 4, 80007, 130429, 131000, 131016, 131057})

# (Business, Consumer) pair rate limit: retryable, but only for that recipient, after 4**X s.
PAIR_RATE_LIMIT_CODE = 131056

# Codes that a retry cannot fix: token, permission, payload, policy and recipient problems.
NON_RETRYABLE_CODES: frozenset[int] = frozenset(
    {0, 3, 10, 100, 190, 368, 131008, 131009, 131021, 131026, 131030, 131031, 131042, 131047}
    | {131048, 131049, 131050, 131051, 131052, 131053, 133010}
    | set(range(200, 300))
    | set(range(132000, 132017))
)

MISSING_TOKEN_CODE = 190
REDACTED = "[redacted]"


def is_retryable(code: int | None, http_status: int | None) -> bool:
    """Tell whether retrying the same request later can succeed.

    A known Graph code decides; the HTTP status only decides for unknown codes (any 5xx) and
    for bodies without a code (5xx or 429, e.g. an HTML page from a proxy).
    """
    if code in RETRYABLE_CODES or code == PAIR_RATE_LIMIT_CODE:
        return True
    if code in NON_RETRYABLE_CODES:
        return False
    if http_status is None:
        return False
    if code is None:
        return http_status >= 500 or http_status == 429
    return http_status >= 500


class GraphAPIError(Exception):
    """A failed Graph API call, carrying Meta's error fields and whether a retry can help."""

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        subcode: int | None = None,
        type: str | None = None,  # noqa: A002 - Meta's field name
        details: str | None = None,
        fbtrace_id: str | None = None,
        http_status: int | None = None,
        retryable: bool | None = None,
        delivery_unknown: bool = False,
        is_transient: bool | None = None,
        error_user_title: str | None = None,
        error_user_msg: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.subcode = subcode
        self.type = type
        self.details = details
        self.fbtrace_id = fbtrace_id
        self.http_status = http_status
        self.retryable = is_retryable(code, http_status) if retryable is None else retryable
        self.delivery_unknown = delivery_unknown
        self.is_transient = is_transient
        self.error_user_title = error_user_title
        self.error_user_msg = error_user_msg
        self.retry_after = retry_after

    def to_details(self) -> dict[str, Any]:
        """Return the fields an API client may see (never a token or a URL)."""
        return {
            "graph_code": self.code,
            "graph_subcode": self.subcode,
            "graph_type": self.type,
            "graph_message": self.message,
            "graph_details": self.details,
            "fbtrace_id": self.fbtrace_id,
            "retryable": self.retryable,
            "http_status": self.http_status,
            "delivery_unknown": self.delivery_unknown,
        }

    def __str__(self) -> str:
        parts = [self.message]
        if self.code is not None:
            parts.append(f"code={self.code}")
        if self.subcode is not None:
            parts.append(f"subcode={self.subcode}")
        if self.http_status is not None:
            parts.append(f"http_status={self.http_status}")
        if self.fbtrace_id:
            parts.append(f"fbtrace_id={self.fbtrace_id}")
        return " ".join(parts)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, code={self.code!r}, retryable={self.retryable!r})"


class GraphTimeoutError(GraphAPIError):
    """Graph did not answer after the request was sent.

    For a non-idempotent call (a send) Meta may have accepted it: delivery is unknown and the
    request must not be repeated automatically. For a GET/DELETE the call can simply be retried.
    """

    AMBIGUOUS_MESSAGE = (
        "Graph API did not answer in time after the request was sent; delivery is unknown "
        "and the message must not be resent automatically."
    )
    IDEMPOTENT_MESSAGE = "Graph API did not answer within the read timeout."

    def __init__(self, message: str | None = None, *, idempotent: bool = False) -> None:
        default = self.IDEMPOTENT_MESSAGE if idempotent else self.AMBIGUOUS_MESSAGE
        super().__init__(message or default, retryable=idempotent, delivery_unknown=not idempotent)


class GraphConnectionError(GraphAPIError):
    """The request never reached Graph (refused connection, DNS failure, connect timeout)."""

    def __init__(self, message: str = "Could not connect to the Graph API.", *, retryable: bool = True) -> None:
        super().__init__(message, retryable=retryable)


class MediaURLExpired(GraphAPIError):
    """The media download URL is stale (HTTP 404): fetch a fresh URL from the media id once."""

    @classmethod
    def from_error(cls, error: GraphAPIError) -> MediaURLExpired:
        """Copy a 404 GraphAPIError into this more specific type."""
        return cls(
            "The media URL has expired; fetch a new one from the media id.",
            code=error.code, subcode=error.subcode, type=error.type, details=error.details,
            fbtrace_id=error.fbtrace_id, http_status=error.http_status, retryable=False,
        )


def missing_token_error() -> GraphAPIError:
    """The error raised before any request when no access token is available."""
    return GraphAPIError(
        "No WhatsApp access token is configured for this request.",
        code=MISSING_TOKEN_CODE, type="OAuthException", retryable=False,
    )


def error_from_response(
    status: int, headers: Mapping[str, str], body: bytes, secret: str | None = None
) -> GraphAPIError:
    """Turn a non-2xx Graph response into a GraphAPIError, with ``secret`` redacted."""
    trace = headers.get("x-fb-trace-id")
    error = _error_object(body)
    if error is None:
        return GraphAPIError(
            f"Graph API returned HTTP {status} without a Graph error body.",
            http_status=status, fbtrace_id=trace,
        )
    error_data = error.get("error_data") if isinstance(error.get("error_data"), dict) else {}
    code = _int_or_none(error.get("code"))
    message = _redact(_str_or_none(error.get("message")), secret) or f"Graph API returned HTTP {status}."
    return GraphAPIError(
        message,
        code=code,
        subcode=_int_or_none(error.get("error_subcode")),
        type=_str_or_none(error.get("type")),
        details=_redact(_str_or_none(error_data.get("details")), secret),
        fbtrace_id=_str_or_none(error.get("fbtrace_id")) or trace,
        http_status=status,
        is_transient=error.get("is_transient") if isinstance(error.get("is_transient"), bool) else None,
        error_user_title=_redact(_str_or_none(error.get("error_user_title")), secret),
        error_user_msg=_redact(_str_or_none(error.get("error_user_msg")), secret),
    )


def _error_object(body: bytes) -> dict[str, Any] | None:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    error = payload.get("error") if isinstance(payload, dict) else None
    return error if isinstance(error, dict) else None


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _redact(text: str | None, secret: str | None) -> str | None:
    """Remove the access token should Graph ever echo it back."""
    if text and secret and secret in text:
        return text.replace(secret, REDACTED)
    return text
