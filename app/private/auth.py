"""API authentication: X-API-Key (constant-time) or a Bearer JWT (HS256, exp required)."""
from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from functools import wraps

import jwt
from flask import current_app, g, request

from app.errors import Unauthorized

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Principal:
    """Who is calling: a stable, non-secret identity for idempotency and rate limits."""

    kind: str
    identity: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.identity}"


def key_fingerprint(key: str) -> str:
    """A short non-reversible name for an API key, safe to store and log."""
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def check_api_key(candidate: str, valid_keys: list[str]) -> bool:
    """Compare against every configured key in constant time."""
    matched = False
    for key in valid_keys:
        matched |= hmac.compare_digest(candidate.encode(), key.encode())
    return matched


def decode_jwt(token: str, secret: str) -> dict:
    """Decode an HS256 JWT that must carry exp; raise Unauthorized otherwise."""
    try:
        # sub identifies the caller (idempotency keys, rate limits), so it is required too.
        return jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp", "sub"]})
    except jwt.ExpiredSignatureError:
        raise Unauthorized("The bearer token has expired.") from None
    except jwt.InvalidTokenError:
        raise Unauthorized("The bearer token is invalid.") from None


def authenticate() -> Principal:
    """Authenticate the current request or raise Unauthorized."""
    api_key = request.headers.get("X-API-Key")
    if api_key:
        if check_api_key(api_key, current_app.config["VALID_API_KEYS"]):
            return Principal("key", key_fingerprint(api_key))
        raise Unauthorized("The API key is invalid.")
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        secret = current_app.config.get("JWT_SECRET_KEY")
        if not secret:
            raise Unauthorized("Bearer tokens are not enabled on this service (JWT_SECRET_KEY is unset).")
        claims = decode_jwt(header[7:].strip(), secret)
        return Principal("jwt", str(claims["sub"]))
    raise Unauthorized("Send an X-API-Key header or an Authorization: Bearer token.")


def client_address() -> str:
    """The client's address as this process sees it (the proxy's, behind one that does not rewrite it)."""
    return request.remote_addr or "unknown"


def _refuse_if_guessing() -> None:
    """A client that keeps sending bad credentials is refused before its next guess is checked."""
    from app.errors import RateLimited

    locked = g.get("auth_lockout")
    if locked is None:  # the rate-limit hook did not run for this request: ask the limiter
        locked = current_app.extensions["rate_limiter"].locked_out_for(client_address())
    if locked:
        raise RateLimited("Too many failed authentication attempts from this address.",
                          headers={"Retry-After": str(locked)})


def require_auth(func):
    """Decorate a Resource method so it runs only for an authenticated caller."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        if getattr(g, "principal", None) is None:
            if current_app.extensions["rate_limiter"].enabled:
                _refuse_if_guessing()
            try:
                g.principal = authenticate()
            except Unauthorized:
                if request.headers.get("X-API-Key") or request.headers.get("Authorization"):
                    # A wrong guess (sending nothing guesses nothing).
                    current_app.extensions["rate_limiter"].record_failure(client_address())
                raise
        return func(*args, **kwargs)

    return wrapper


require_api_key = require_auth
