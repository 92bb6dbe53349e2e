"""Testing: isolated database, known credentials, no in-process emulator (tests start their own)."""
import os
import tempfile

from config.default import DefaultConfig

TEST_API_KEY = "test-api-key"
TEST_WEBHOOK_SECRET = "test-webhook-secret"  # nosec B105 - test-only value
TEST_VERIFY_TOKEN = "test-verify-token"  # nosec B105 - test-only value
TEST_FORWARD_SECRET = "test-forward-secret"  # nosec B105 - test-only value


class TestingConfig(DefaultConfig):
    """TEST_DATABASE_URL when set (PostgreSQL in CI), else a temporary SQLite file."""

    __test__ = False  # not a pytest test class
    ENV_NAME = "testing"
    TESTING = True
    DEFAULT_API_KEYS = TEST_API_KEY
    DEFAULT_WEBHOOK_SECRET = TEST_WEBHOOK_SECRET
    DEFAULT_VERIFY_TOKEN = TEST_VERIFY_TOKEN
    DEFAULT_FORWARD_SECRET = TEST_FORWARD_SECRET
    DEFAULT_RATE_LIMIT = "100000 per minute"
    SANDBOX_ALLOWED = False

    def __init__(self, env=None):
        env = dict(os.environ if env is None else env)
        env.setdefault("WHATSAPP_PHONE_NUMBER_ID", "100000000000001")
        env.setdefault("WHATSAPP_API_BASE_URL", "http://127.0.0.1:9")
        env.setdefault("SYNC_LINES_ON_START", "false")
        env.setdefault("FORWARD_RETRY_BASE_SECONDS", "0.05")
        env.setdefault("GRAPH_RETRY_BASE_SECONDS", "0.01")
        super().__init__(env)

    def database_url(self) -> str:
        url = self._get("TEST_DATABASE_URL")
        if url:
            return url
        return f"sqlite:///{os.path.join(tempfile.gettempdir(), f'whatsapp_test_{os.getpid()}.db')}"
