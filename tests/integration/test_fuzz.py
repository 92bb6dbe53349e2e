"""schemathesis against /swagger.json: every operation, authenticated, bounded examples.

Zero server errors and responses that conform to the documented schemas. The server is the
embedded default (SQLite, the emulator in process, Meta's limits off so that a 502 would be a bug).
"""
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.helpers import free_port

ROOT = Path(__file__).resolve().parents[2]



@pytest.fixture
def live_server(tmp_path):
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "LINE_"))},
           "FLASK_ENV": "development", "DEV_DATABASE_URL": f"sqlite:///{tmp_path / 'fuzz.db'}", "PORT": str(port),
           "SANDBOX_MODE": "true", "SANDBOX_META_LIMITS": "false", "SANDBOX_WEBHOOK_DELAY": "0.05",
           "RATELIMIT_ENABLED": "false", "LOG_LEVEL": "WARNING", "FORWARD_MAX_ATTEMPTS": "1",
           "VALID_API_KEYS": "fuzz-key", "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "flask", "--app", "entrypoint", "init-db"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=120)
    log = open(tmp_path / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "entrypoint.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if requests.get(f"{url}/health", timeout=1).ok:
                break
        except requests.RequestException:
            time.sleep(0.2)
    yield url, tmp_path / "server.log"
    proc.terminate()
    proc.wait(10)
    log.close()


def test_schemathesis_finds_no_server_error_and_no_schema_violation(live_server):
    url, log_path = live_server
    command = shutil.which("schemathesis", path=str(Path(sys.executable).parent)) or "schemathesis"
    result = subprocess.run(
        [command, "run", f"{url}/swagger.json", "-H", "X-API-Key: fuzz-key", "--max-examples", "4",
         "--checks", "not_a_server_error,response_schema_conformance,content_type_conformance",
         "--request-timeout", "20", "--seed", "20261203", "--no-color"],
        cwd=ROOT, capture_output=True, text=True, timeout=900)
    report = result.stdout[-6000:]
    assert result.returncode == 0, report + "\n--- server log ---\n" + log_path.read_text()[-4000:]
    selected = re.search(r"Selected: (\d+)/(\d+)", report)
    tested = re.search(r"Tested: (\d+)", report)
    assert selected and tested, report
    assert int(tested.group(1)) == int(selected.group(1)) == int(selected.group(2)) > 40  # every operation
