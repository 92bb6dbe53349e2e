"""HTTP plumbing for GraphClient: the session, bearer auth, and transport-error mapping."""
from __future__ import annotations

import http.cookiejar
import re
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError
from urllib3.exceptions import ProxyError as Urllib3ProxyError
from urllib3.util.retry import Retry

from app.graph.errors import GraphAPIError, GraphConnectionError, GraphTimeoutError

_GRAPH_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
# Hosts that may receive the bearer token on a media download, besides the base URL's own host.
MEDIA_HOST_SUFFIXES = (".fbsbx.com", ".facebook.com", ".fbcdn.net", ".whatsapp.net")
LOST_CONNECTION_MESSAGE = (
    "The connection to the Graph API was lost after the request was sent; its outcome is "
    "unknown and it must not be repeated automatically."
)


class BearerAuth(AuthBase):
    """Adds the bearer token per request (and stops requests consulting ~/.netrc)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "<BearerAuth [redacted]>"


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    """Graph needs no cookies; refusing them keeps the shared session stateless."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False

    def return_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False


def new_session(pool_size: int) -> requests.Session:
    """A pooled session for one client, safe to share between threads."""
    session = requests.Session()
    # Retries are ours alone: urllib3 must never resend on its own (a resent POST sends twice).
    adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=Retry(total=0, read=False))
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.cookies.set_policy(_NoCookies())
    # No proxy or .netrc lookups from the environment on every call (they cost ~1 ms each).
    session.trust_env = False
    session.headers["User-Agent"] = "whatsapp-api-microservice"
    return session


def transport_error(exc: requests.exceptions.RequestException, idempotent: bool) -> GraphAPIError:
    """Map a requests exception to a GraphAPIError, separating 'never sent' from 'outcome unknown'."""
    if isinstance(exc, requests.exceptions.ConnectTimeout) or _never_sent(exc):
        return GraphConnectionError()
    if isinstance(exc, requests.exceptions.SSLError):
        return GraphConnectionError("The TLS handshake with the Graph API failed.", retryable=False)
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return GraphTimeoutError(idempotent=idempotent)
    if isinstance(exc, requests.exceptions.ConnectionError):
        return GraphTimeoutError(None if idempotent else LOST_CONNECTION_MESSAGE, idempotent=idempotent)
    return GraphAPIError("The request to the Graph API could not be made.", retryable=False)


def _never_sent(exc: requests.exceptions.RequestException) -> bool:
    """True when the connection failed before any byte of the request was sent."""
    if isinstance(exc, requests.exceptions.ProxyError):
        return True
    cause = exc.args[0] if exc.args else None
    reason = cause.reason if isinstance(cause, MaxRetryError) else None
    return isinstance(reason, (ConnectTimeoutError, Urllib3ProxyError))


def check_media_host(url: str, base_url: str) -> None:
    """Refuse to send the bearer token anywhere but Meta's media hosts (https) or the base URL's host."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    meta = parts.scheme == "https" and host.endswith(MEDIA_HOST_SUFFIXES)
    if not host or not (meta or host == (urlsplit(base_url).hostname or "").lower()):
        raise GraphAPIError("Refusing to download media from a host that is not Meta's.", retryable=False)


def graph_id(name: str, value: object) -> str:
    """Validate an id used as a URL path segment, so it cannot reroute the request."""
    text = str(value)
    if not _GRAPH_ID.match(text):
        raise ValueError(f"{name} must be a Graph id (letters, digits, '_' or '-').")
    return text


def query(**values: Any) -> dict[str, Any]:
    """Query parameters without the ones left unset."""
    return {key: value for key, value in values.items() if value is not None and value != ""}
