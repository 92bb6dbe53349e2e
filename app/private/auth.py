"""API authentication: X-API-Key (constant-time) or a Bearer JWT (HS256, exp required)."""
from __future__ import annotations

import hashlib
import hmac
import logging
import time
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


def _failure_limit():
    """(limiter strategy, limit item, key) counting failed authentications per client address."""
    from flask_limiter.util import get_remote_address
    from limits import parse

    limiter = current_app.extensions["rate_limiter"]
    return limiter.limiter, parse(current_app.config["RATELIMIT_AUTH_FAILURES"]), f"authfail:{get_remote_address()}"


def _refuse_if_guessing() -> None:
    """A client that keeps sending bad credentials is refused before its next guess is checked."""
    from app.errors import RateLimited

    try:
        strategy, item, key = _failure_limit()
        if not strategy.test(item, key):
            reset = strategy.get_window_stats(item, key).reset_time
            raise RateLimited("Too many failed authentication attempts from this address.",
                              headers={"Retry-After": str(max(1, int(reset - time.time()) + 1))})
    except RateLimited:
        raise
    except Exception as exc:  # the limiter's storage is down: fail open, as the rate limiter does
        log.warning("auth-failure limit unavailable: %s", type(exc).__name__)


def _record_failure() -> None:
    try:
        strategy, item, key = _failure_limit()
        strategy.hit(item, key)
    except Exception as exc:  # fail open
        log.warning("auth-failure limit unavailable: %s", type(exc).__name__)


def require_auth(func):
    """Decorate a Resource method so it runs only for an authenticated caller."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        if getattr(g, "principal", None) is None:
            if current_app.config.get("RATELIMIT_ENABLED", True):
                _refuse_if_guessing()
            try:
                g.principal = authenticate()
            except Unauthorized:
                if request.headers.get("X-API-Key") or request.headers.get("Authorization"):
                    _record_failure()  # a wrong guess; sending nothing guesses nothing
                raise
        return func(*args, **kwargs)

    return wrapper


require_api_key = require_auth
