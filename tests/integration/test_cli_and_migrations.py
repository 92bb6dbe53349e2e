"""The flask CLI, the entry point, and migrations matching the models on PostgreSQL."""
import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
LINES = json.dumps([{"id": "cli", "phone_number_id": "4242", "max_daily_messages": 9}])


def _run(args, env, input_text=None, timeout=120):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("LINE_", "TEST_"))}
    base.update({"SANDBOX_MODE": "false", "PYTHONPATH": str(ROOT)}, **env)
    return subprocess.run(args, cwd=ROOT, env=base, input=input_text, capture_output=True, text=True,
                          timeout=timeout)


def _flask(*args, env, input_text=None):
    return _run([sys.executable, "-m", "flask", "--app", "entrypoint", *args], env, input_text)


@pytest.fixture
def sqlite_env(tmp_path):
    return {"FLASK_ENV": "development", "DEV_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
            "MESSAGING_LINES": LINES}


def test_init_db_builds_schema_and_syncs_lines(sqlite_env, tmp_path):
    result = _flask("init-db", env=sqlite_env)
    assert result.returncode == 0, result.stderr
    assert "database ready" in result.stdout and "'created': 1" in result.stdout
    import sqlite3

    rows = sqlite3.connect(tmp_path / "cli.db").execute(
        "SELECT line_id, phone_number_id, max_daily_messages FROM messaging_lines").fetchall()
    assert rows == [("cli", "4242", 9)]


def test_reset_db_asks_unless_yes(sqlite_env):
    assert _flask("init-db", env=sqlite_env).returncode == 0
    declined = _flask("reset-db", env=sqlite_env, input_text="n\n")
    assert declined.returncode != 0 and "Aborted" in (declined.stdout + declined.stderr)
    accepted = _flask("reset-db", "--yes", env=sqlite_env)
    assert accepted.returncode == 0, accepted.stderr
    assert "database reset" in accepted.stdout


def test_sync_lines_command(sqlite_env):
    assert _flask("init-db", env=sqlite_env).returncode == 0
    result = _flask("sync-lines", env=sqlite_env)
    assert result.returncode == 0 and "'updated': 1" in result.stdout


def test_misconfigured_production_exits_non_zero_naming_the_variable():
    env = {"FLASK_ENV": "production", "SECRET_KEY": "x" * 32, "DATABASE_URL": "postgresql://u@127.0.0.1:1/x",
           "WEBHOOK_SECRET": "s", "WEBHOOK_VERIFY_TOKEN": "v"}
    result = _run([sys.executable, "entrypoint.py"], env, timeout=60)
    assert result.returncode != 0
    assert "VALID_API_KEYS" in result.stderr
    assert "Traceback" not in result.stderr


def test_malformed_messaging_lines_stop_the_cli(sqlite_env):
    result = _flask("sync-lines", env={**sqlite_env, "MESSAGING_LINES": '[{"id": "x"}]'})
    assert result.returncode != 0
    assert "has no phone_number_id" in result.stderr


def test_upgrade_then_check_is_clean_on_postgres(postgres_url):
    admin = postgres_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute("DROP DATABASE IF EXISTS wamsvc_migrations WITH (FORCE)")
        connection.execute("CREATE DATABASE wamsvc_migrations")
    env = {"FLASK_ENV": "development", "DEV_DATABASE_URL": postgres_url.rsplit("/", 1)[0] + "/wamsvc_migrations",
           "SYNC_LINES_ON_START": "false"}
    upgrade = _flask("db", "upgrade", env=env)
    assert upgrade.returncode == 0, upgrade.stderr + upgrade.stdout
    check = _flask("db", "check", env=env)
    assert check.returncode == 0, check.stderr + check.stdout
    assert "No new upgrade operations detected" in check.stdout + check.stderr
    downgrade = _flask("db", "downgrade", "base", env=env)
    assert downgrade.returncode == 0, downgrade.stderr + downgrade.stdout
