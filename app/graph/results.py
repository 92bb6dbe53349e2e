"""Typed results of Graph API calls."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import requests
from urllib3.exceptions import ReadTimeoutError

from app.graph.errors import GraphAPIError, GraphConnectionError, GraphTimeoutError


@dataclass(frozen=True)
class SendResult:
    """Meta's answer to a send: accepted (not delivered) under ``wamid``."""

    wamid: str
    wa_id: str | None
    input: str | None
    message_status: str | None
    raw: dict[str, Any] = field(repr=False, compare=False, hash=False)

    @classmethod
    def from_json(cls, payload: dict[str, Any]) -> SendResult:
        """Parse ``{"contacts": [...], "messages": [{"id": ...}]}``."""
        message = _first(payload.get("messages"))
        contact = _first(payload.get("contacts"))
        wamid = message.get("id")
        if not wamid:
            raise GraphAPIError(
                "Graph answered the send without a message id; delivery is unknown.",
                http_status=200, retryable=False, delivery_unknown=True,
            )
        return cls(
            wamid=str(wamid),
            wa_id=_opt_str(contact.get("wa_id")),
            input=_opt_str(contact.get("input")),
            message_status=_opt_str(message.get("message_status")),
            raw=payload,
        )


@dataclass(frozen=True)
class MediaInfo:
    """Metadata of an uploaded or received media object; ``url`` lives about 5 minutes."""

    id: str
    url: str | None
    mime_type: str | None
    sha256: str | None
    file_size: int | None

    @classmethod
    def from_json(cls, payload: dict[str, Any], media_id: str) -> MediaInfo:
        """Parse ``GET /{media-id}``; ``file_size`` may come as a string or an int."""
        return cls(
            id=str(payload.get("id") or media_id),
            url=_opt_str(payload.get("url")),
            mime_type=_opt_str(payload.get("mime_type")),
            sha256=_opt_str(payload.get("sha256")),
            file_size=_opt_int(payload.get("file_size")),
        )


class MediaDownload:
    """A streamed media body; iterate it in chunks and close it (or use ``with``)."""

    def __init__(self, response: requests.Response) -> None:
        self._response = response
        self.content_type: str | None = response.headers.get("Content-Type")
        self.content_length: int | None = _opt_int(response.headers.get("Content-Length"))

    def iter_chunks(self, chunk_size: int = 64 * 1024) -> Iterator[bytes]:
        """Yield the body chunk by chunk without holding it in memory; close at the end."""
        try:
            for chunk in self._response.iter_content(chunk_size=chunk_size):
                if chunk:
                    yield chunk
        except requests.exceptions.RequestException as exc:
            if _is_read_timeout(exc):
                raise GraphTimeoutError("The media download stalled.", idempotent=True) from exc
            raise GraphConnectionError("The media download was interrupted.") from exc
        finally:
            self.close()

    def close(self) -> None:
        """Release the connection back to the pool."""
        self._response.close()

    def __enter__(self) -> MediaDownload:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _is_read_timeout(exc: requests.exceptions.RequestException) -> bool:
    # requests reports a mid-body read timeout as a ConnectionError wrapping urllib3's error.
    cause = exc.args[0] if exc.args else None
    return isinstance(exc, requests.exceptions.Timeout) or isinstance(cause, ReadTimeoutError)


def _first(items: Any) -> dict[str, Any]:
    if isinstance(items, list) and items and isinstance(items[0], dict):
        return items[0]
    return {}


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _opt_int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
