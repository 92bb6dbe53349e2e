"""Production: PostgreSQL, real Graph API, and a refusal to start on insecure settings."""
from config.default import INSECURE_SECRET_KEY, ConfigError, DefaultConfig


class ProductionConfig(DefaultConfig):
    """Never the emulator; every secret must be set explicitly."""

    ENV_NAME = "production"
    DEFAULT_API_KEYS = ""
    DEFAULT_WEBHOOK_SECRET = ""  # nosec B105 - empty: production has no default
    DEFAULT_VERIFY_TOKEN = ""  # nosec B105 - empty: production has no default
    DEFAULT_FORWARD_SECRET = ""  # nosec B105 - empty: production has no default
    DEFAULT_RATE_LIMIT = "1200 per minute"
    SANDBOX_ALLOWED = False

    def __init__(self, env=None):
        super().__init__(env)
        self._refuse_insecure()

    def database_url(self) -> str:
        return self._get("DATABASE_URL") or ""

    def _refuse_insecure(self) -> None:
        problems = []
        if self.SECRET_KEY in ("", INSECURE_SECRET_KEY):
            problems.append("SECRET_KEY is missing or still the development default")
        for name in ("DATABASE_URL", "WEBHOOK_SECRET", "WEBHOOK_VERIFY_TOKEN", "VALID_API_KEYS"):
            if not (self._get(name) or "").strip():
                problems.append(f"{name} is not set")
        for name in ("SECRET_KEY", "WEBHOOK_SECRET", "WEBHOOK_VERIFY_TOKEN", "VALID_API_KEYS", "JWT_SECRET_KEY"):
            if "change-me" in (self._get(name) or ""):
                problems.append(f"{name} still holds the .env.example placeholder")
        if "*" in self.ALLOWED_ORIGINS and self._get("ALLOWED_ORIGINS") is not None:
            problems.append("ALLOWED_ORIGINS must list origins, not '*'")
        if problems:
            raise ConfigError("Refusing to start in production: " + "; ".join(problems) + ".")
        if self._get("ALLOWED_ORIGINS") is None:
            # No cross-origin access unless origins are listed.
            self.ALLOWED_ORIGINS = []
