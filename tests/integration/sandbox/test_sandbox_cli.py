"""The standalone command: `python -m sandbox --port P --callback URL --app-secret S --access-token T`."""
from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from sandbox.testing import CallbackRecorder

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(base_url: str, process: subprocess.Popen, log: Path, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"sandbox exited early: {log.read_text()}")
        try:
            if requests.get(f"{base_url}/_sandbox/health", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.05)
    raise AssertionError("sandbox did not start")


@pytest.fixture
def standalone(tmp_path):
    recorder = CallbackRecorder()
    port = free_port()
    log = tmp_path / "sandbox.log"
    with open(log, "w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "sandbox", "--port", str(port), "--callback", recorder.url, "--app-secret", "s",
             "--access-token", "t", "--webhook-delay", "0.02"],
            cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, text=True)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base_url, process, log)
        yield base_url, recorder, process, log
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        recorder.stop()


def send(base_url: str, token: str):
    return requests.post(f"{base_url}/v23.0/100000000000001/messages", timeout=5,
                         headers={"Authorization": f"Bearer {token}"},
                         json={"messaging_product": "whatsapp", "to": "+16505551234", "type": "text",
                               "text": {"body": "from the standalone sandbox"}})


def test_standalone_sandbox_answers_a_send_and_signs_its_webhooks(standalone):
    base_url, recorder, _, _ = standalone
    response = send(base_url, "t")
    assert response.status_code == 200, response.text
    wamid = response.json()["messages"][0]["id"]
    assert recorder.wait_for(lambda posts: len(posts) >= 3, 10)
    assert [s["status"] for s in recorder.all_statuses()] == ["sent", "delivered", "read"]
    assert {s["id"] for s in recorder.all_statuses()} == {wamid}
    assert all(post.signature_valid("s") for post in recorder.posts)


def test_standalone_sandbox_rejects_a_wrong_token_with_190(standalone):
    base_url, _, _, _ = standalone
    response = send(base_url, "not-t")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == 190


def test_standalone_sandbox_serves_requests_concurrently_and_stops_on_ctrl_c(standalone):
    base_url, _, process, log = standalone
    assert requests.post(f"{base_url}/_sandbox/faults", json={"slow_seconds": 0.5}, timeout=5).status_code == 200
    slow_answers = []
    slow = threading.Thread(target=lambda: slow_answers.append(
        requests.post(f"{base_url}/v23.0/1/messages", headers={"Authorization": "Bearer t"}, timeout=5,
                      json={"messaging_product": "whatsapp", "to": "16505550999", "text": {"body": "x"}})))
    slow.start()
    time.sleep(0.1)
    started = time.monotonic()
    assert requests.get(f"{base_url}/_sandbox/health", timeout=5).status_code == 200
    assert time.monotonic() - started < 0.3  # not stuck behind the slow request
    slow.join(10)
    assert [answer.status_code for answer in slow_answers] == [200]
    process.send_signal(signal.SIGINT)
    assert process.wait(10) == 0
    output = log.read_text()
    assert f"listening on {base_url}" in output
    assert "POST /v23.0/1/messages" in output  # request log goes to stdout
