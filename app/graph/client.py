"""GraphClient: the one way this service talks to Meta's WhatsApp Cloud API.

One ``requests.Session`` per client (pooled, shared by threads: nothing mutates it after
construction and cookies are refused, so no state crosses between lines or requests). Every
call has explicit timeouts, every answer becomes a typed result or a ``GraphAPIError``.

Retry rules (see ``_call``):
- Graph said "retryable" (``errors.is_retryable``) or the request never reached Graph
  (refused connection, DNS failure, connect timeout): retry with full-jitter backoff or the
  Retry-After header, within ``max_attempts`` attempts and ``retry_max_seconds`` in total.
- A read timeout or a dropped connection after a POST was sent is ambiguous (Meta may have
  accepted the message): never retried, raised as ``GraphTimeoutError`` (delivery unknown).
  GET, DELETE and mark-read are idempotent, so for them the same failure is retried.
- 131056 (pair rate limit) delays only the same (business number, recipient) pair.
"""
from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable, Mapping
from itertools import islice
from typing import Any, BinaryIO
from urllib.parse import urlsplit

import requests
from requests.auth import AuthBase

from app.graph.backoff import RecipientBackoff, RecipientBackoffPolicy, RetryPolicy, parse_retry_after, recipient_key
from app.graph.errors import (
    PAIR_RATE_LIMIT_CODE,
    GraphAPIError,
    MediaURLExpired,
    error_from_response,
    missing_token_error,
)
from app.graph.multipart import MultipartFileBody
from app.graph.results import MediaDownload, MediaInfo, SendResult
from app.graph.transport import BearerAuth, check_media_host, graph_id, new_session, query, transport_error

log = logging.getLogger(__name__)

_TOKEN = re.compile(r"^[\x21-\x7e]+$")
_ERROR_BODY_LIMIT = 64 * 1024


class GraphClient:
    """A thread-safe client for the WhatsApp Cloud API endpoints this service uses."""

    def __init__(
        self,
        base_url: str = "https://graph.facebook.com",
        version: str = "v23.0",
        access_token: str | None = None,
        business_id: str | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        max_attempts: int = 4,
        retry_max_seconds: float = 20.0,
        retry_base_seconds: float = 0.5,
        pool_size: int = 32,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        recipient_backoff: RecipientBackoffPolicy | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.version = version.strip("/")
        self.access_token = access_token
        self.business_id = business_id
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.retry = RetryPolicy(max(1, max_attempts), retry_max_seconds, retry_base_seconds)
        self.recipient_backoff = recipient_backoff or RecipientBackoff(clock=clock)
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()  # nosec B311 - jitter for retry back-off, not security
        self._session = new_session(pool_size)

    @classmethod
    def from_config(cls, config: Mapping[str, Any], **overrides: Any) -> GraphClient:
        """Build a client from Flask config keys; missing keys take the defaults."""
        keys = {
            "base_url": ("WHATSAPP_API_BASE_URL", str), "version": ("WHATSAPP_API_VERSION", str),
            "access_token": ("WHATSAPP_ACCESS_TOKEN", str), "business_id": ("WHATSAPP_BUSINESS_ID", str),
            "connect_timeout": ("GRAPH_CONNECT_TIMEOUT", float), "read_timeout": ("GRAPH_READ_TIMEOUT", float),
            "max_attempts": ("GRAPH_MAX_ATTEMPTS", int), "retry_max_seconds": ("GRAPH_RETRY_MAX_SECONDS", float),
            "retry_base_seconds": ("GRAPH_RETRY_BASE_SECONDS", float), "pool_size": ("GRAPH_POOL_SIZE", int),
        }
        kwargs = {
            arg: cast(config[key])
            for arg, (key, cast) in keys.items()
            if config.get(key) is not None and config.get(key) != ""
        }
        return cls(**{**kwargs, **overrides})

    def close(self) -> None:
        """Close the pooled connections."""
        self._session.close()

    def __enter__(self) -> GraphClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- operations -------------------------------------------------------------------
    def send_message(self, phone_number_id: str, body: dict[str, Any], token: str | None = None) -> SendResult:
        """Send one message; a 200 means accepted by Meta, not delivered."""
        payload = body if "messaging_product" in body else {"messaging_product": "whatsapp", **body}
        recipient = recipient_key(str(phone_number_id), body["to"]) if body.get("to") else None
        url = self._url(phone_number_id, "messages")
        data = self._json("POST", url, token, idempotent=False, recipient=recipient, json=payload)
        return SendResult.from_json(data)

    def mark_read(
        self, phone_number_id: str, message_id: str, typing_indicator: bool = False, token: str | None = None
    ) -> bool:
        """Mark an inbound message (and the ones before it) read, optionally showing typing."""
        payload: dict[str, Any] = {"messaging_product": "whatsapp", "status": "read", "message_id": message_id}
        if typing_indicator:
            payload["typing_indicator"] = {"type": "text"}
        # Marking read twice is harmless, so an ambiguous timeout may be retried.
        data = self._json("POST", self._url(phone_number_id, "messages"), token, idempotent=True, json=payload)
        return bool(data.get("success"))

    def upload_media(
        self, phone_number_id: str, fileobj: BinaryIO, filename: str, mime_type: str, token: str | None = None
    ) -> str:
        """Upload a file (streamed from ``fileobj``, never read whole) and return its media id."""
        body = MultipartFileBody(
            {"messaging_product": "whatsapp", "type": mime_type}, "file", fileobj, filename, mime_type
        )
        data = self._json(
            "POST", self._url(phone_number_id, "media"), token, idempotent=False,
            rewind=body.rewind, data=body, headers={"Content-Type": body.content_type},
        )
        if not data.get("id"):
            raise GraphAPIError("Graph answered the upload without a media id.", http_status=200, retryable=False)
        return str(data["id"])

    def get_media(self, media_id: str, phone_number_id: str | None = None, token: str | None = None) -> MediaInfo:
        """Return a media object's metadata and a download URL valid for about 5 minutes."""
        params = query(phone_number_id=phone_number_id and graph_id("phone_number_id", phone_number_id))
        data = self._json("GET", self._url(media_id), token, idempotent=True, params=params)
        return MediaInfo.from_json(data, str(media_id))

    def download_media(self, url: str, token: str | None = None, read_timeout: float | None = None) -> MediaDownload:
        """Open a streamed download of a media URL; a stale URL raises MediaURLExpired."""
        check_media_host(url, self.base_url)
        timeout = (self.connect_timeout, read_timeout or self.read_timeout)
        try:
            response = self._call("GET", url, token, idempotent=True, stream=True, timeout=timeout)
        except GraphAPIError as exc:
            if exc.http_status == 404:
                raise MediaURLExpired.from_error(exc) from exc
            raise
        return MediaDownload(response)

    def delete_media(self, media_id: str, phone_number_id: str | None = None, token: str | None = None) -> bool:
        """Delete an uploaded media object."""
        params = query(phone_number_id=phone_number_id and graph_id("phone_number_id", phone_number_id))
        data = self._json("DELETE", self._url(media_id), token, idempotent=True, params=params)
        return bool(data.get("success"))

    def list_templates(
        self, waba_id: str | None = None, limit: int = 100, after: str | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """Return one page of the WABA's message templates (Graph's ``data``/``paging`` dict)."""
        waba = waba_id or self.business_id
        if not waba:
            raise GraphAPIError("No WhatsApp Business Account id is configured.", retryable=False)
        params = query(limit=limit, after=after)
        return self._json("GET", self._url(waba, "message_templates"), token, idempotent=True, params=params)

    # -- plumbing ---------------------------------------------------------------------
    def _url(self, *segments: str) -> str:
        path = "/".join(graph_id("id", segment) if i == 0 else segment for i, segment in enumerate(segments))
        return f"{self.base_url}/{self.version}/{path}"

    def _json(self, method: str, url: str, token: str | None, **kwargs: Any) -> dict[str, Any]:
        response = self._call(method, url, token, **kwargs)
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise GraphAPIError(
                "Graph answered with a body that is not a JSON object.", http_status=response.status_code,
                fbtrace_id=response.headers.get("x-fb-trace-id"), retryable=False,
                delivery_unknown=not kwargs["idempotent"],
            )
        return data

    def _call(
        self, method: str, url: str, token: str | None, *, idempotent: bool,
        recipient: str | None = None, rewind: Callable[[], None] | None = None, **kwargs: Any,
    ) -> requests.Response:
        """Send one logical request with retries; return the 2xx response or raise."""
        secret = self._secret(token)
        kwargs.setdefault("timeout", (self.connect_timeout, self.read_timeout))
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            if attempt > 1 and rewind is not None:
                rewind()
            self._await_recipient(recipient, started)
            outcome = self._attempt(method, url, BearerAuth(secret), attempt, idempotent, **kwargs)
            if isinstance(outcome, requests.Response) and 200 <= outcome.status_code < 300:
                if recipient:
                    self.recipient_backoff.record_success(recipient)
                return outcome
            error = outcome if isinstance(outcome, GraphAPIError) else self._error_for(outcome, secret, idempotent)
            if error.code == PAIR_RATE_LIMIT_CODE and recipient:
                wait = self.recipient_backoff.record_hit(recipient)
                error.retry_after = max(wait, error.retry_after or 0.0)
            delay = self._next_delay(error, attempt, started)
            log.warning("graph %s %s %s attempt=%d code=%s retryable=%s fbtrace_id=%s", method,
                        urlsplit(url).path, "giving up" if delay is None else f"retrying in {delay:.2f}s",
                        attempt, error.code, error.retryable, error.fbtrace_id or "-")
            if delay is None:
                raise error
            self._sleep(delay)

    def _attempt(
        self, method: str, url: str, auth: AuthBase, attempt: int, idempotent: bool, **kwargs: Any
    ) -> requests.Response | GraphAPIError:
        started = self._clock()
        try:
            response = self._session.request(method, url, auth=auth, **kwargs)
        except requests.exceptions.RequestException as exc:
            error = transport_error(exc, idempotent)
            error.__cause__ = exc
            self._log(logging.WARNING, method, url, type(error).__name__, started, attempt, None)
            return error
        level = logging.INFO if response.status_code < 400 else logging.WARNING
        self._log(level, method, url, response.status_code, started, attempt, response.headers.get("x-fb-trace-id"))
        return response

    def _error_for(self, response: requests.Response, secret: str, idempotent: bool) -> GraphAPIError:
        try:
            body = b"".join(islice(response.iter_content(8192), _ERROR_BODY_LIMIT // 8192))
        except requests.exceptions.RequestException:
            body = b""
        finally:
            response.close()
        error = error_from_response(response.status_code, response.headers, body, secret)
        error.retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if not idempotent and error.http_status == 504 and error.code is None:
            # A gateway timed out waiting for Graph: the send may have gone through.
            error.retryable, error.delivery_unknown = False, True
        return error

    def _next_delay(self, error: GraphAPIError, attempt: int, started: float) -> float | None:
        """Seconds to wait before retrying after ``error``, or None to give up now."""
        if not error.retryable or attempt >= self.retry.max_attempts:
            return None
        # Retry-After (or the pair-rate wait) when known, else full-jitter exponential backoff.
        delay = error.retry_after if error.retry_after is not None else self.retry.delay(attempt - 1, self._rng)
        if self._clock() - started + delay > self.retry.max_seconds:
            return None
        return delay

    def _await_recipient(self, recipient: str | None, started: float) -> None:
        """Wait out a pair-rate backoff for this recipient, or raise if it exceeds the budget."""
        wait = self.recipient_backoff.wait_time(recipient) if recipient else 0.0
        if wait <= 0:
            return
        if self._clock() - started + wait > self.retry.max_seconds:
            raise GraphAPIError(
                f"Pair rate limit: this recipient cannot be messaged for another {wait:.1f}s.",
                code=PAIR_RATE_LIMIT_CODE, retryable=True, retry_after=wait,
            )
        log.info("graph pair-rate backoff: waiting %.2fs before the next send to this recipient", wait)
        self._sleep(wait)

    def _secret(self, token: str | None) -> str:
        secret = (token or self.access_token or "").strip()
        if not secret:
            raise missing_token_error()
        if not _TOKEN.match(secret):
            raise GraphAPIError("The access token contains characters a header cannot carry.", retryable=False)
        return secret

    def _log(self, level: int, method: str, url: str, outcome: object, started: float, attempt: int,
             fbtrace_id: str | None) -> None:
        # Only the path: media URLs carry signed query strings, and the token is never logged.
        elapsed_ms = int((self._clock() - started) * 1000)
        log.log(level, "graph %s %s status=%s elapsed_ms=%d attempt=%d fbtrace_id=%s",
                method, urlsplit(url).path, outcome, elapsed_ms, attempt, fbtrace_id or "-")
