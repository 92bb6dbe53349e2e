"""Extension objects, created unbound and initialised by the factory."""
from __future__ import annotations

import logging

import redis
from flask import Flask, current_app, g, request
from flask_cors import CORS

from app.errors import RateLimited
from app.private.auth import client_address, key_fingerprint
from app.private.ratelimit import RequestLimiter
from config import ConfigError

log = logging.getLogger(__name__)

CORS_HEADERS = ["Content-Type", "Authorization", "X-API-Key", "X-Request-ID", "Idempotency-Key"]
CORS_EXPOSE = ["X-Request-ID", "Idempotent-Replayed", "Retry-After"]


def rate_limit_key() -> str:
    """Key requests on the API key when one is sent (hashed), else on the client address."""
    api_key = request.headers.get("X-API-Key")
    if api_key:
        return "key:" + key_fingerprint(api_key)
    auth = request.headers.get("Authorization", "")
    if auth[:7].lower() == "bearer ":
        return "jwt:" + key_fingerprint(auth[7:].strip())
    return "ip:" + client_address()


cors = CORS()


class RedisClient:
    """A Redis connection built on first use from REDIS_URL; None when Redis is not configured."""

    def __init__(self) -> None:
        self._clients: dict[str, redis.Redis] = {}

    def init_app(self, app: Flask) -> None:
        app.extensions["redis_client"] = self

    def get(self, url: str | None = None) -> redis.Redis | None:
        url = url or current_app.config.get("REDIS_URL")
        if not url:
            return None
        client = self._clients.get(url)
        if client is None:
            client = redis.Redis.from_url(
                url, socket_connect_timeout=1.0, socket_timeout=2.0, health_check_interval=30
            )
            self._clients[url] = client
        return client


redis_client = RedisClient()


def init_extensions(app: Flask) -> None:
    """Initialise CORS, the rate limiter and the Redis client from app.config."""
    cors.init_app(
        app,
        resources={r"/*": {"origins": app.config["ALLOWED_ORIGINS"]}},
        allow_headers=CORS_HEADERS,
        expose_headers=CORS_EXPOSE,
        methods=["GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"],
    )
    build_limiter(app)
    redis_client.init_app(app)


def build_limiter(app: Flask) -> RequestLimiter:
    """The app's rate limiter (app.extensions["rate_limiter"]) and the hook that applies it."""
    try:
        limiter = RequestLimiter(app.config["RATELIMIT_DEFAULT"], app.config["RATELIMIT_AUTH_FAILURES"],
                                 app.config.get("REDIS_URL"), enabled=app.config["RATELIMIT_ENABLED"])
    except ValueError as exc:
        raise ConfigError(f"RATELIMIT_DEFAULT / RATELIMIT_AUTH_FAILURES: {exc} "
                          "(write limits like '600 per minute', several separated by ';')") from None
    app.extensions["rate_limiter"] = limiter

    @app.before_request
    def _limit_request():
        if not limiter.enabled or _exempt_from_rate_limit():
            return
        verdict = limiter.check(rate_limit_key(), client_address())
        g.auth_lockout = verdict.locked_out_for  # read by require_auth, saving it a second round trip
        if verdict.retry_after:
            raise RateLimited("Too many requests; retry after the Retry-After seconds.",
                              headers={"Retry-After": str(verdict.retry_after)})

    return limiter


def _exempt_from_rate_limit() -> bool:
    """Meta's webhooks, health probes and the docs are never rate limited."""
    path = request.path
    if path.startswith("/health") or path.startswith("/swaggerui") or path in ("/docs", "/docs/", "/swagger.json"):
        return True
    return path.rstrip("/") == "/api/v1/webhooks"


def request_id() -> str:
    """The current request's id, or '-' outside a request."""
    return getattr(g, "request_id", "-")


def get_graph_client():
    """The app's one Graph client, built on first use from configuration."""
    from app.graph import GraphClient

    client = current_app.extensions.get("graph_client")
    if client is None:
        client = GraphClient.from_config(current_app.config)
        current_app.extensions["graph_client"] = client
    return client
