"""Suite-wide safety: Meta is never called, so no socket may leave this machine."""
from __future__ import annotations

import ipaddress
import socket

import pytest

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_local(address) -> bool:
    if not isinstance(address, tuple):
        return True  # unix sockets
    host = address[0]
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded_connect(self, address):
    if not _is_local(address):
        raise OSError(f"tests may not open a connection to {address!r}: only loopback is allowed")
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    if not _is_local(address):
        raise OSError(f"tests may not open a connection to {address!r}: only loopback is allowed")
    return _real_connect_ex(self, address)


def pytest_configure(config):
    socket.socket.connect = _guarded_connect
    socket.socket.connect_ex = _guarded_connect_ex


@pytest.fixture
def meta_examples():
    """Meta's own send and webhook examples from the shared OpenAPI file."""
    from tests.fixtures.meta import load_examples

    return load_examples()


# --- real dependencies -------------------------------------------------------------------------
import os  # noqa: E402

from sqlalchemy import text  # noqa: E402

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
API_KEY = "test-api-key"


def _require(name: str) -> str | None:
    """The URL of a real dependency; in CI its absence fails the run instead of skipping."""
    value = os.environ.get(name)
    if not value and IN_CI:
        pytest.fail(f"{name} is not set, and CI=true forbids skipping tests that need it", pytrace=False)
    return value


@pytest.fixture(scope="session")
def postgres_url():
    """TEST_DATABASE_URL (PostgreSQL); tests that need it skip locally without it, fail in CI."""
    url = os.environ.get("TEST_POSTGRES_URL") or _require("TEST_DATABASE_URL")
    if not url:
        pytest.skip("TEST_DATABASE_URL is not set (run scripts/test.sh to start PostgreSQL)")
    return url


@pytest.fixture(scope="session")
def redis_url():
    """TEST_REDIS_URL; tests that need Redis skip locally without it, fail in CI."""
    url = _require("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set (run scripts/test.sh to start Redis)")
    return url


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch):
    """A developer's own settings must not leak into tests."""
    for name in list(os.environ):
        if name.startswith("LINE_") or name in {
            "MESSAGING_LINES", "REDIS_URL", "FLASK_ENV", "DEFAULT_LINE_ID", "WHATSAPP_ACCESS_TOKEN",
            "WHATSAPP_API_BASE_URL", "VALID_API_KEYS", "JWT_SECRET_KEY", "WEBHOOK_SECRET",
            "WEBHOOK_VERIFY_TOKEN", "SANDBOX_MODE", "DEV_DATABASE_URL", "DATABASE_URL", "SECRET_KEY",
            "ALLOWED_ORIGINS", "RATELIMIT_DEFAULT", "WHATSAPP_PHONE_NUMBER_ID",
        }:
            monkeypatch.delenv(name, raising=False)


_schema_ready: set[str] = set()


def _prepare_schema(app) -> None:
    from database.connection import db

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with app.app_context():
        if url not in _schema_ready:
            db.drop_all()
            with db.engine.begin() as connection:
                connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
            db.create_all()
            _schema_ready.add(url)


def _truncate(app) -> None:
    from database.connection import db

    with app.app_context():
        db.session.remove()
        tables = [table.name for table in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                for name in tables:
                    connection.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
def make_app(monkeypatch):
    """Build a fresh testing app with extra environment; tables exist and are empty."""
    built = []

    def factory(env: dict[str, str] | None = None, sync_lines: bool = True, database: bool = True):
        from app import create_app

        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        app = create_app("testing")
        if not database:  # a database that is down: nothing to prepare or clean
            return app
        _prepare_schema(app)
        if not built:
            _truncate(app)
        if sync_lines:
            from app.cli import sync_lines as sync

            with app.app_context():
                sync()
        built.append(app)
        return app

    yield factory
    for app in built:
        from app.jobs import wait_for_jobs
        from database.connection import db

        wait_for_jobs(app, 60)  # a background job must not race the truncation below
        with app.app_context():
            db.session.remove()
        _truncate(app)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    """A testing app on the default database (SQLite unless the test asks for PostgreSQL)."""
    return make_app()


@pytest.fixture
def pg_app(make_app, postgres_url):
    """A testing app on real PostgreSQL."""
    return make_app({"TEST_DATABASE_URL": postgres_url})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def auth():
    """Headers that authenticate with the testing API key."""
    return {"X-API-Key": API_KEY}


# --- the Graph API emulator -------------------------------------------------------------------
GRAPH_TOKEN = "test-graph-token"


class DeliverToApp:
    """The emulator's webhooks, POSTed into whichever app the test wires up (full WSGI stack)."""

    def __init__(self) -> None:
        self.app = None

    def __call__(self, _url: str, body: bytes, headers: dict) -> int:
        if self.app is None:
            return 503
        with self.app.test_client() as client:
            return client.post("/api/v1/webhooks", data=body, headers=headers).status_code


@pytest.fixture
def emulator():
    """The bundled Graph emulator on a loopback port, fast webhooks, Meta's limits off."""
    from config.testing import TEST_WEBHOOK_SECRET
    from sandbox import EmulatorSettings, start_in_thread

    target = DeliverToApp()
    settings = EmulatorSettings(app_secret=TEST_WEBHOOK_SECRET, callback_url="http://service.local/api/v1/webhooks",
                                webhook_delay=0.02, batch_window=0.01, mps=0, pair_rate=False, slow_seconds=2.5,
                                access_token=GRAPH_TOKEN, retry_backoff=0.05)
    running = start_in_thread(settings, deliver=target)
    running.target = target
    yield running
    running.stop()


@pytest.fixture
def wa_app(make_app, emulator):
    """An app whose Graph client talks to the emulator over real HTTP, with webhooks wired back."""
    from app.jobs import wait_for_jobs
    from tests.helpers import SEND_LINES

    app = make_app({"WHATSAPP_API_BASE_URL": emulator.base_url, "WHATSAPP_ACCESS_TOKEN": GRAPH_TOKEN,
                    "MESSAGING_LINES": SEND_LINES, "GRAPH_READ_TIMEOUT": "1.5", "GRAPH_RETRY_MAX_SECONDS": "8"})
    emulator.target.app = app
    yield app
    # Settle before the tables are truncated: webhooks the emulator still owes the app are delivered
    # and processed, so no status job is writing during the truncation (a deadlock on PostgreSQL).
    emulator.wait_idle(10)
    wait_for_jobs(app, 30)
