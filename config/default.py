"""Base configuration: the embedded default (SQLite, no Redis, the bundled Graph emulator)."""
from __future__ import annotations

import os
from pathlib import Path

from config.lines import ConfigError, LineConfig, load_lines, parse_bool

ROOT_DIR = Path(__file__).resolve().parent.parent
INSECURE_SECRET_KEY = "dev-secret-key-change-me"  # nosec B105 - development default; production refuses it
META_GRAPH_URL = "https://graph.facebook.com"


def normalise_database_url(url: str) -> str:
    """Point PostgreSQL URLs at the psycopg 3 driver that requirements.txt installs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class DefaultConfig:
    """Settings read from the environment when the object is created, so tests can change them."""

    ENV_NAME = "default"
    DEBUG = False
    TESTING = False
    # Development-only credentials so a fresh clone works from Swagger; production refuses them.
    DEFAULT_API_KEYS = "dev-api-key"
    DEFAULT_WEBHOOK_SECRET = "dev-webhook-secret"  # nosec B105 - development default; production refuses it
    DEFAULT_VERIFY_TOKEN = "dev-verify-token"  # nosec B105 - development default; production refuses it
    DEFAULT_FORWARD_SECRET = "dev-forward-secret"  # nosec B105 - development default; production has none
    DEFAULT_RATE_LIMIT = "600 per minute"
    SANDBOX_ALLOWED = True

    def __init__(self, env: dict[str, str] | None = None) -> None:
        self._env = dict(os.environ if env is None else env)
        e = self._get
        self.SECRET_KEY = e("SECRET_KEY", INSECURE_SECRET_KEY)
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(self.database_url())
        self.SQLALCHEMY_TRACK_MODIFICATIONS = False
        self.SQLALCHEMY_ENGINE_OPTIONS = self._engine_options()
        self.REDIS_URL = e("REDIS_URL") or None

        self.WHATSAPP_API_VERSION = e("WHATSAPP_API_VERSION", "v23.0")
        self.WHATSAPP_ACCESS_TOKEN = e("WHATSAPP_ACCESS_TOKEN") or None
        self.WHATSAPP_BUSINESS_ID = e("WHATSAPP_BUSINESS_ID") or None
        self.WHATSAPP_API_BASE_URL = (e("WHATSAPP_API_BASE_URL") or META_GRAPH_URL).rstrip("/")
        self.WHATSAPP_PHONE_NUMBER_ID = e("WHATSAPP_PHONE_NUMBER_ID") or None
        self.SANDBOX_MODE = self._sandbox_mode()
        if self.SANDBOX_MODE and not self.WHATSAPP_PHONE_NUMBER_ID:
            self.WHATSAPP_PHONE_NUMBER_ID = "100000000000001"
        self.SANDBOX_PORT = self._int("SANDBOX_PORT", 0)
        self.SANDBOX_WEBHOOK_DELAY = self._float("SANDBOX_WEBHOOK_DELAY", 1.0)
        self.SANDBOX_META_LIMITS = parse_bool(e("SANDBOX_META_LIMITS", "true"), "SANDBOX_META_LIMITS")
        self.MESSAGING_LINES: list[LineConfig] = load_lines(self._env, self.WHATSAPP_PHONE_NUMBER_ID)
        self.DEFAULT_LINE_ID = e("DEFAULT_LINE_ID") or (self.MESSAGING_LINES[0].id if self.MESSAGING_LINES else None)
        if self.DEFAULT_LINE_ID and self.MESSAGING_LINES and self.DEFAULT_LINE_ID not in {
            line.id for line in self.MESSAGING_LINES
        }:
            raise ConfigError(f"DEFAULT_LINE_ID {self.DEFAULT_LINE_ID!r} is not the id of a configured line.")

        self.WEBHOOK_VERIFY_TOKEN = e("WEBHOOK_VERIFY_TOKEN", self.DEFAULT_VERIFY_TOKEN) or None
        self.WEBHOOK_SECRET = e("WEBHOOK_SECRET", self.DEFAULT_WEBHOOK_SECRET) or None
        # Signs what we forward to each line's webhook_url; never Meta's app secret.
        self.FORWARD_WEBHOOK_SECRET = e("FORWARD_WEBHOOK_SECRET", self.DEFAULT_FORWARD_SECRET) or None
        self.VALID_API_KEYS = [k.strip() for k in e("VALID_API_KEYS", self.DEFAULT_API_KEYS).split(",") if k.strip()]
        self.JWT_SECRET_KEY = e("JWT_SECRET_KEY") or None
        self.ALLOWED_ORIGINS = [o.strip() for o in e("ALLOWED_ORIGINS", "*").split(",") if o.strip()]
        self.LOG_LEVEL = e("LOG_LEVEL", "INFO").upper()
        self.PORT = self._int("PORT", 5000)

        self.RATELIMIT_DEFAULT = e("RATELIMIT_DEFAULT", self.DEFAULT_RATE_LIMIT)
        self.RATELIMIT_AUTH_FAILURES = e("RATELIMIT_AUTH_FAILURES", "20 per minute")
        self.RATELIMIT_ENABLED = parse_bool(e("RATELIMIT_ENABLED", "true"), "RATELIMIT_ENABLED")
        self.MAX_CONTENT_LENGTH = self._int("MAX_CONTENT_LENGTH", 1024 * 1024)
        self.WEBHOOK_MAX_BYTES = self._int("WEBHOOK_MAX_BYTES", 3 * 1024 * 1024)
        self.MEDIA_MAX_BYTES = 100 * 1024 * 1024
        self.MEDIA_UPLOAD_LINKS = parse_bool(e("MEDIA_UPLOAD_LINKS", "false"), "MEDIA_UPLOAD_LINKS")
        # Links to private, loopback or link-local addresses are refused unless this is set.
        self.MEDIA_LINK_ALLOW_PRIVATE = parse_bool(e("MEDIA_LINK_ALLOW_PRIVATE", "false"), "MEDIA_LINK_ALLOW_PRIVATE")

        self.GRAPH_CONNECT_TIMEOUT = self._float("GRAPH_CONNECT_TIMEOUT", 5.0)
        self.GRAPH_READ_TIMEOUT = self._float("GRAPH_READ_TIMEOUT", 30.0)
        self.GRAPH_MAX_ATTEMPTS = self._int("GRAPH_MAX_ATTEMPTS", 4)
        self.GRAPH_RETRY_MAX_SECONDS = self._float("GRAPH_RETRY_MAX_SECONDS", 20.0)
        self.GRAPH_RETRY_BASE_SECONDS = self._float("GRAPH_RETRY_BASE_SECONDS", 0.5)
        self.GRAPH_POOL_SIZE = self._int("GRAPH_POOL_SIZE", 32)

        self.IDEMPOTENCY_TTL_HOURS = self._int("IDEMPOTENCY_TTL_HOURS", 24)
        # An in-flight key older than this is taken over by a retry (its request died).
        self.IDEMPOTENCY_LEASE_SECONDS = self._float("IDEMPOTENCY_LEASE_SECONDS", 30.0)
        self.JOBS_BACKEND = e("JOBS_BACKEND", "rq" if self.REDIS_URL else "thread")
        self.FORWARD_MAX_ATTEMPTS = self._int("FORWARD_MAX_ATTEMPTS", 6)
        self.FORWARD_TIMEOUT = self._float("FORWARD_TIMEOUT", 10.0)
        self.FORWARD_RETRY_BASE_SECONDS = self._float("FORWARD_RETRY_BASE_SECONDS", 5.0)
        self.JOBS_THREADS = self._int("JOBS_THREADS", 4)
        self.BULK_MAX_RECIPIENTS = self._int("BULK_MAX_RECIPIENTS", 10_000)
        self.BULK_PARALLELISM = self._int("BULK_PARALLELISM", 1)
        self.BULK_THREADS = self._int("BULK_THREADS", 8)
        self.BULK_BATCH_SIZE = self._int("BULK_BATCH_SIZE", 50)
        self.BULK_MAX_ATTEMPTS = self._int("BULK_MAX_ATTEMPTS", 5)
        self.BULK_PACING = parse_bool(e("BULK_PACING", "true"), "BULK_PACING")

        self.SYNC_LINES_ON_START = parse_bool(e("SYNC_LINES_ON_START", "true"), "SYNC_LINES_ON_START")
        self.RESTX_ERROR_404_HELP = False
        self.RESTX_MASK_SWAGGER = False
        self.ERROR_INCLUDE_MESSAGE = False
        self.SWAGGER_UI_DOC_EXPANSION = "list"
        self.JSON_SORT_KEYS = False

    # -- helpers -------------------------------------------------------------------
    def _get(self, name: str, default: str | None = None) -> str | None:
        value = self._env.get(name)
        return default if value is None else value

    def _int(self, name: str, default: int) -> int:
        value = self._get(name)
        if value is None or value.strip() == "":
            return default
        try:
            return int(value)
        except ValueError:
            raise ConfigError(f"{name} must be an integer, got {value!r}.") from None

    def _float(self, name: str, default: float) -> float:
        value = self._get(name)
        if value is None or value.strip() == "":
            return default
        try:
            return float(value)
        except ValueError:
            raise ConfigError(f"{name} must be a number, got {value!r}.") from None

    def database_url(self) -> str:
        """The database for this environment: DEV_DATABASE_URL, else a SQLite file in instance/."""
        return self._get("DEV_DATABASE_URL") or f"sqlite:///{ROOT_DIR / 'instance' / 'whatsapp_dev.db'}"

    def _engine_options(self) -> dict:
        if self.SQLALCHEMY_DATABASE_URI.startswith("sqlite"):
            return {"connect_args": {"timeout": 30, "check_same_thread": False}}
        return {
            # Off by default: a ping per checkout costs a round trip; a dropped connection is
            # detected on use, the pool is invalidated, and the next request reconnects.
            "pool_pre_ping": parse_bool(self._get("DB_POOL_PRE_PING", "false"), "DB_POOL_PRE_PING"),
            "pool_size": self._int("DB_POOL_SIZE", 10),
            "max_overflow": self._int("DB_MAX_OVERFLOW", 10),
            "pool_recycle": 1800,
            "connect_args": {"connect_timeout": self._int("DB_CONNECT_TIMEOUT", 5)},
        }

    def _sandbox_mode(self) -> bool:
        """Use the bundled Graph emulator when no real Meta credentials are configured."""
        forced = self._get("SANDBOX_MODE")
        if forced is not None and forced.strip():
            return parse_bool(forced, "SANDBOX_MODE") and self.SANDBOX_ALLOWED
        return self.SANDBOX_ALLOWED and self.WHATSAPP_ACCESS_TOKEN is None and not self._get("WHATSAPP_API_BASE_URL")

    def line(self, line_id: str) -> LineConfig | None:
        """The configured line with that id, if any."""
        return next((line for line in self.MESSAGING_LINES if line.id == line_id), None)

    def line_for_phone_number_id(self, phone_number_id: str) -> LineConfig | None:
        """The configured line that owns a phone_number_id, if any."""
        return next((line for line in self.MESSAGING_LINES if line.phone_number_id == phone_number_id), None)

    def as_flask_config(self) -> dict:
        """The upper-case settings, for app.config.update()."""
        settings = {k: getattr(self, k) for k in dir(type(self)) if k.isupper()}
        settings.update({k: v for k, v in vars(self).items() if k.isupper()})
        return settings


__all__ = ["DefaultConfig", "ConfigError", "ROOT_DIR", "INSECURE_SECRET_KEY", "normalise_database_url"]
