"""Two app processes (gunicorn) on one PostgreSQL and one Redis behave like one: nothing shared lives
in process memory. Covers rate limits, quotas, idempotency keys, webhook dedupe and an RQ worker."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
import redis
import requests

from app.private.signature import sign
from tests.helpers import free_port, meta_json, status_item, webhook

ROOT = Path(__file__).resolve().parents[2]
KEY = "scale-key"
SECRET = "scale-app-secret"
PNID = "100000000000001"



@pytest.fixture
def shared(postgres_url, redis_url, emulator):
    """Fresh database and Redis db for the two processes."""
    admin = postgres_url.rsplit("/", 1)[0] + "/postgres"
    database = postgres_url.rsplit("/", 1)[0] + "/wamsvc_scale"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute("DROP DATABASE IF EXISTS wamsvc_scale WITH (FORCE)")
        connection.execute("CREATE DATABASE wamsvc_scale")
    redis_db = redis_url.rsplit("/", 1)[0] + "/5"
    redis.Redis.from_url(redis_db).flushdb()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "LINE_"))},
           "FLASK_ENV": "production", "SECRET_KEY": "scale-secret-key-0123456789", "DATABASE_URL": database,
           "REDIS_URL": redis_db, "WEBHOOK_SECRET": SECRET, "WEBHOOK_VERIFY_TOKEN": "v", "VALID_API_KEYS": KEY,
           "WHATSAPP_API_BASE_URL": emulator.base_url, "WHATSAPP_ACCESS_TOKEN": "test-graph-token",
           "MESSAGING_LINES": json.dumps([{"id": "main", "phone_number_id": PNID, "max_daily_messages": 10}]),
           "RATELIMIT_DEFAULT": "1000 per minute", "GUNICORN_ACCESS_LOG": "off", "LOG_LEVEL": "WARNING",
           "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "flask", "--app", "entrypoint", "db", "upgrade"], cwd=ROOT, env=env,
                   check=True, capture_output=True, timeout=120)
    return env


def _serve(env: dict, extra: dict | None = None):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind",
                             f"127.0.0.1:{port}", "--workers", "1", "--threads", "4", "entrypoint:app"],
                            cwd=ROOT, env={**env, **(extra or {})}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/health", timeout=1).ok:
                return proc, url
        except requests.RequestException:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("gunicorn did not start")


@pytest.fixture
def two_instances(shared):
    env = {**shared, "JOBS_BACKEND": "thread"}
    first, a = _serve(env)
    second, b = _serve(env)
    yield a, b, shared["DATABASE_URL"]
    for proc in (first, second):
        proc.terminate()
        proc.wait(10)


def _send(url, n, **headers):
    return requests.post(f"{url}/api/v1/messages/text", json={"phone_number": f"+1650555{4000 + n:04d}",
                                                              "text": f"m{n}"},
                         headers={"X-API-Key": KEY, **headers}, timeout=30)


def test_quota_is_exact_across_two_instances(two_instances):
    a, b, _ = two_instances
    codes = [_send(a if n % 2 else b, n).status_code for n in range(16)]
    assert codes.count(201) == 10 and codes.count(429) == 6
    line = requests.get(f"{a}/api/v1/lines/main", headers={"X-API-Key": KEY}, timeout=10).json()
    assert line["current_daily_count"] == 10 and line["remaining_today"] == 0


def test_idempotency_key_replays_on_the_other_instance(two_instances, emulator):
    a, b, _ = two_instances
    first = _send(a, 1, **{"Idempotency-Key": "shared-key"})
    second = _send(b, 1, **{"Idempotency-Key": "shared-key"})
    assert first.status_code == second.status_code == 201
    assert second.headers.get("Idempotent-Replayed") == "true" and second.json()["id"] == first.json()["id"]
    assert len(emulator.state.messages()) == 1


def test_webhook_sent_to_both_instances_is_processed_once(two_instances):
    a, b, database = two_instances
    sent = _send(a, 2).json()
    body = meta_json(webhook([{"statuses": [status_item(sent["whatsapp_message_id"], "delivered")]}],
                             phone_number_id=PNID))
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body, SECRET)}
    assert requests.post(f"{a}/api/v1/webhooks", data=body, headers=headers, timeout=10).status_code == 200
    assert requests.post(f"{b}/api/v1/webhooks", data=body, headers=headers, timeout=10).status_code == 200
    deadline = time.monotonic() + 15
    events = []
    while time.monotonic() < deadline:
        events = requests.get(f"{a}/api/v1/webhooks/events?event_type=statuses", headers={"X-API-Key": KEY},
                              timeout=10).json()["items"]
        if len(events) == 2 and all(e["processed"] for e in events):
            break
        time.sleep(0.2)
    assert len(events) == 2 and all(e["processed"] for e in events)
    status = requests.get(f"{b}/api/v1/messages/status/{sent['id']}", headers={"X-API-Key": KEY}, timeout=10).json()
    assert status["status"] == "delivered"
    with psycopg.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM message_status_events WHERE status = 'delivered'"
                                  ).fetchone()[0] == 1


def test_rate_limit_is_shared_through_redis(shared):
    env = {**shared, "JOBS_BACKEND": "thread", "RATELIMIT_DEFAULT": "6 per minute"}
    first, a = _serve(env)
    second, b = _serve(env)
    try:
        codes = [requests.get(f"{url}/api/v1/lines", headers={"X-API-Key": KEY}, timeout=10).status_code
                 for url in (a, b) * 5]
    finally:
        for proc in (first, second):
            proc.terminate()
            proc.wait(10)
    assert codes.count(200) == 6 and codes.count(429) == 4


def test_queued_webhook_is_processed_by_an_rq_worker_process(shared):
    proc, url = _serve(shared)  # JOBS_BACKEND defaults to rq when REDIS_URL is set
    try:
        payload = webhook([{"contacts": [{"profile": {"name": "Rq"}, "wa_id": "16505554999"}],
                            "messages": [{"from": "16505554999", "id": "wamid.RQ1", "timestamp": "1760000000",
                                          "type": "text", "text": {"body": "via rq"}}]}], phone_number_id=PNID)
        body = meta_json(payload)
        response = requests.post(f"{url}/api/v1/webhooks", data=body, timeout=10, headers={
            "Content-Type": "application/json", "X-Hub-Signature-256": sign(body, SECRET)})
        assert response.status_code == 200
        event_id = response.json()["event_id"]
        before = requests.get(f"{url}/api/v1/webhooks/events/{event_id}", headers={"X-API-Key": KEY}, timeout=10)
        assert before.json()["processed"] is False  # queued in Redis, nobody has run it yet
        worker = subprocess.run([sys.executable, "-m", "flask", "--app", "entrypoint", "worker", "--burst"],
                                cwd=ROOT, env=shared, capture_output=True, text=True, timeout=120)
        assert worker.returncode == 0, worker.stderr[-2000:]
        after = requests.get(f"{url}/api/v1/webhooks/events/{event_id}", headers={"X-API-Key": KEY}, timeout=10)
        assert after.json()["processed"] is True
        listed = requests.get(f"{url}/api/v1/messages?direction=inbound", headers={"X-API-Key": KEY}, timeout=10)
        assert [m["whatsapp_message_id"] for m in listed.json()["items"]] == ["wamid.RQ1"]
    finally:
        proc.terminate()
        proc.wait(10)
