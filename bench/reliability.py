"""The fault suite: each fault, what was sent, what was recorded, what was lost and what was duplicated.

    bash bench/reliability.sh            (or .venv/bin/python bench/reliability.py [--load-seconds 60])

Production serving (gunicorn) on dedicated PostgreSQL and Redis servers (they are killed and restarted
here, so they are not the test suite's), the emulator sending signed webhooks back, and one RQ worker.
Every client send carries an Idempotency-Key and is retried on 5xx/connection errors, as a careful
client would; "lost" counts sends the client was told succeeded that are not in the database, and
"duplicated" counts messages the emulator accepted more than once.
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import psycopg
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    API_KEY, APP_SECRET, PYTHON, ROOT, emulator_command, free_port, gunicorn_command, migrate, process, reset_database,
    service_env,
)

PNID = "100000000000001"
QUOTA = 100_000
SERVICES = {"SERVICES_DIR": "/tmp/wamsvc-reliability", "TEST_PG_PORT": "55442", "TEST_REDIS_PORT": "56389"}


class Harness:
    """The servers, and the means to hurt them."""

    def __init__(self) -> None:
        out = subprocess.run([str(ROOT / "scripts" / "services.sh"), "start"], env={**os.environ, **SERVICES},
                             check=True, capture_output=True, text=True).stdout
        urls = dict(part.split("=", 1) for line in out.splitlines() for part in line.removeprefix("export ").split())
        self.pg_data, self.pg_bin = urls["TEST_PG_DATA"], urls["TEST_PG_BIN"]
        self.database = urls["BENCH_DATABASE_URL"]
        self.redis_url = urls["TEST_REDIS_URL"]
        self.graph_port, self.port = free_port(), free_port()
        self.graph = f"http://127.0.0.1:{self.graph_port}"
        self.url = f"http://127.0.0.1:{self.port}"
        lines = json.dumps([{"id": "main", "phone_number_id": PNID, "max_daily_messages": QUOTA}])
        self.env = service_env(self.database, self.redis_url, self.graph, lines)
        self.env.update(GRAPH_READ_TIMEOUT="2", GRAPH_RETRY_MAX_SECONDS="6", RATELIMIT_DEFAULT="100000 per minute")
        self.worker: subprocess.Popen | None = None

    def reset(self) -> None:
        reset_database(self.database)
        subprocess.run(["redis-cli", "-u", self.redis_url, "flushall"], capture_output=True)
        migrate(self.env)

    def start_worker(self) -> None:
        self.worker = subprocess.Popen([PYTHON, "-m", "flask", "--app", "entrypoint", "worker"], cwd=ROOT,
                                       env={**os.environ, **self.env}, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)

    def stop_worker(self, sig=signal.SIGTERM) -> None:
        if self.worker and self.worker.poll() is None:
            self.worker.send_signal(sig)
            self.worker.wait(30)

    def redis(self, up: bool) -> None:
        port = SERVICES["TEST_REDIS_PORT"]
        if up:
            subprocess.run(["redis-server", "--port", port, "--bind", "127.0.0.1", "--daemonize", "yes", "--save", "",
                            "--appendonly", "no", "--dir", SERVICES["SERVICES_DIR"]], check=True, capture_output=True)
            time.sleep(0.5)
        else:
            subprocess.run(["redis-cli", "-p", port, "shutdown", "nosave"], capture_output=True)

    def postgres(self, action: str) -> None:
        command = [f"{self.pg_bin}/pg_ctl", "-D", self.pg_data, "-m", "fast", "-w", action]
        if action == "start":
            command += ["-o", f"-c listen_addresses=127.0.0.1 -p {SERVICES['TEST_PG_PORT']} "
                        f"-k {SERVICES['SERVICES_DIR']} -c fsync=off", "-l", f"{SERVICES['SERVICES_DIR']}/pg.log"]
        if os.getuid() == 0:
            command = ["runuser", "-u", "postgres", "--"] + command
        subprocess.run(command, check=True, capture_output=True)

    def query(self, sql: str, *params):
        with psycopg.connect(self.database) as connection:
            return connection.execute(sql, params).fetchall()

    def graph_control(self, body: dict) -> None:
        requests.post(f"{self.graph}/_sandbox/faults", json=body, timeout=10).raise_for_status()

    def accepted_texts(self) -> Counter:
        data = requests.get(f"{self.graph}/_sandbox/messages", timeout=30).json()["data"]
        return Counter(item["body"].get("text", {}).get("body") for item in data)


class Client:
    """Sends with an Idempotency-Key, retrying 5xx and connection errors with the same key."""

    def __init__(self, harness: Harness, tag: str) -> None:
        self.h, self.tag = harness, tag
        self.ok: dict[str, dict] = {}
        self.statuses: Counter = Counter()
        self.lock = threading.Lock()
        self.session = requests.Session()

    def send(self, n: int, deadline: float) -> None:
        text, key = f"{self.tag}-{n}", f"{self.tag}-{n}-{uuid.uuid4().hex[:6]}"
        while time.monotonic() < deadline:
            try:
                response = self.session.post(f"{self.h.url}/api/v1/messages/text", timeout=30, json={
                    "phone_number": f"+1650555{2000 + n % 7000:04d}", "text": text},
                    headers={"X-API-Key": API_KEY, "Idempotency-Key": key})
                code = response.status_code
            except requests.RequestException:
                code = -1
            with self.lock:
                self.statuses[code] += 1
            if code in (201, 502):  # decided: sent, or refused/unknown and recorded as such
                with self.lock:
                    self.ok[text] = response.json()
                return
            if code == 409:  # the first attempt with this key is still in flight
                time.sleep(0.2)
                continue
            time.sleep(0.3)


def run_sends(client: Client, count: int, seconds: float, threads: int = 4, during=None) -> None:
    deadline = time.monotonic() + seconds
    numbers = iter(range(count))
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                n = next(numbers, None)
            if n is None:
                return
            client.send(n, deadline)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    if during:
        during()
    for thread in pool:
        thread.join()


def tally(h: Harness, client: Client, fault: str, extra: str = "") -> dict:
    recorded = {row[0] for row in h.query(
        "SELECT content->'text'->>'body' FROM messages WHERE direction = 'outbound' AND content->'text'->>'body' LIKE %s",
        client.tag + "-%")}
    accepted = h.accepted_texts()
    lost = sum(1 for text in client.ok if text not in recorded)
    duplicated = sum(count - 1 for text, count in accepted.items() if text and text.startswith(client.tag) and count > 1)
    return {"fault": fault, "sent": len(client.ok), "recorded": len(recorded & set(client.ok)), "lost": lost,
            "duplicated": duplicated, "notes": extra or _codes(client.statuses)}


def _codes(statuses: Counter) -> str:
    return ", ".join(f"{code}: {count}" for code, count in sorted(statuses.items()))


def webhook_check(h: Harness) -> tuple[int, int]:
    """(webhook POSTs the service answered 200, of those, how many are stored)."""
    deliveries = requests.get(f"{h.graph}/_sandbox/deliveries", timeout=30).json()["data"]
    acked = {hashlib.sha256(d["body"].encode()).hexdigest() for d in deliveries if d.get("status") == 200}
    stored = {row[0] for row in h.query("SELECT body_sha256 FROM webhook_events")}
    return len(acked), len(acked & stored)


def scenario_redis(h: Harness, stack: ExitStack) -> dict:
    client = Client(h, "redis")

    def fault():
        time.sleep(3)
        h.redis(False)
        time.sleep(4)
        h.redis(True)
        h.stop_worker()
        h.start_worker()

    run_sends(client, 300, 60, during=fault)
    time.sleep(5)
    acked, stored = webhook_check(h)
    return tally(h, client, "Redis killed mid-run, restarted",
                 f"{_codes(client.statuses)}; webhooks acked {acked}, stored {stored}")


def scenario_postgres(h: Harness, stack: ExitStack) -> dict:
    client = Client(h, "pg")
    h.graph_control({"webhook_retries": 8, "retry_backoff": 1.0})

    def fault():
        time.sleep(3)
        h.postgres("stop")
        time.sleep(3)
        h.postgres("start")

    run_sends(client, 300, 90, during=fault)
    time.sleep(8)
    acked, stored = webhook_check(h)
    return tally(h, client, "PostgreSQL restarted mid-run",
                 f"{_codes(client.statuses)}; webhooks acked {acked}, stored {stored}")


def scenario_graph(h: Harness, stack: ExitStack, tag: str, label: str, control: dict, count: int = 120) -> dict:
    client = Client(h, tag)
    h.graph_control(control)
    run_sends(client, count, 90)
    requests.delete(f"{h.graph}/_sandbox/faults", timeout=10)
    failed = h.query("SELECT count(*) FROM messages WHERE status = 'failed' AND content->'text'->>'body' LIKE %s",
                     client.tag + "-%")[0][0]
    unknown = h.query("SELECT count(*) FROM messages WHERE status = 'pending' AND content->'text'->>'body' LIKE %s",
                      client.tag + "-%")[0][0]
    return tally(h, client, label, f"{_codes(client.statuses)}; failed {failed}, delivery unknown {unknown}")


def scenario_load(h: Harness, stack: ExitStack, seconds: float) -> dict:
    client = Client(h, "load")
    five_xx = Counter()
    stop = time.monotonic() + seconds

    def reader():
        session = requests.Session()
        while time.monotonic() < stop:
            for path in ("/api/v1/messages?limit=20", "/api/v1/lines", "/api/v1/webhooks/events?limit=5"):
                code = session.get(h.url + path, headers={"X-API-Key": API_KEY}, timeout=30).status_code
                five_xx[code >= 500] += 1

    readers = [threading.Thread(target=reader) for _ in range(2)]
    for thread in readers:
        thread.start()
    run_sends(client, 100_000, seconds, threads=6)
    for thread in readers:
        thread.join()
    line = h.query("SELECT current_daily_count FROM messaging_lines WHERE line_id = 'main'")[0][0]
    # A unit is given back only when Graph refused the send; an accepted or delivery-unknown one keeps it.
    kept = h.query("SELECT count(*) FROM messages WHERE direction = 'outbound' AND (whatsapp_message_id IS NOT NULL "
                   "OR (status = 'pending' AND error->>'delivery_unknown' = 'true'))")[0][0]
    row = tally(h, client, f"Sustained load {seconds:.0f}s (sends, lists, webhooks)")
    row["notes"] = (f"{_codes(client.statuses)}; reads {sum(five_xx.values())}, 5xx {five_xx[True]}; "
                    f"quota counter {line} vs sends keeping a unit {kept}: {'exact' if line == kept else 'WRONG'}")
    return row


def wait_processed(h: Harness, seconds: float = 300) -> int:
    """Let the worker drain the webhook backlog the earlier scenarios left; returns what is left."""
    deadline = time.monotonic() + seconds
    while True:
        left = h.query("SELECT count(*) FROM webhook_events WHERE NOT processed")[0][0]
        if left == 0 or time.monotonic() > deadline:
            return left
        time.sleep(2)


def scenario_crash(h: Harness, stack: ExitStack) -> dict:
    """SIGKILL the worker while it processes a 400-item webhook; replaying it completes it exactly once."""
    wait_processed(h)
    h.stop_worker()
    items = [{"from": f"1650555{3000 + i:04d}", "id": f"wamid.CRASH{i}", "timestamp": "1760000000", "type": "text",
              "text": {"body": f"c{i}"}} for i in range(400)]
    payload = {"object": "whatsapp_business_account", "entry": [{"id": "waba", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"display_phone_number": "1", "phone_number_id": PNID},
        "messages": items}}]}]}
    body = json.dumps(payload, separators=(",", ":")).encode()
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = requests.post(f"{h.url}/api/v1/webhooks", data=body, timeout=30,
                             headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature})
    event_id = response.json()["event_id"]
    h.start_worker()
    time.sleep(0.6)  # in the middle of the 400 items
    h.stop_worker(signal.SIGKILL)
    after_crash = h.query("SELECT count(*) FROM messages WHERE whatsapp_message_id LIKE 'wamid.CRASH%%'")[0][0]
    subprocess.run([PYTHON, "-m", "flask", "--app", "entrypoint", "webhooks", "retry-failed", "--min-age", "0"],
                   cwd=ROOT, env={**os.environ, **h.env}, check=True, capture_output=True)
    final = h.query("SELECT count(*), count(DISTINCT whatsapp_message_id) FROM messages "
                    "WHERE whatsapp_message_id LIKE 'wamid.CRASH%%'")[0]
    processed = h.query("SELECT processed FROM webhook_events WHERE id = %s", event_id)[0][0]
    h.start_worker()
    leftover = wait_processed(h, 120)
    return {"fault": "Worker SIGKILLed mid-webhook, then replayed", "sent": 400, "recorded": final[0],
            "lost": 400 - final[1], "duplicated": final[0] - final[1],
            "notes": f"rows after the kill: {after_crash} (all or nothing); event processed after replay: {processed}; "
                     f"unprocessed events at the end: {leftover}"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--load-seconds", type=float, default=60.0)
    args = parser.parse_args()
    h = Harness()
    h.reset()
    rows = []
    with ExitStack() as stack:
        stack.enter_context(process(emulator_command(h.graph_port, f"{h.url}/api/v1/webhooks"), {},
                                    f"{h.graph}/_sandbox/health", "reliability-emulator"))
        stack.enter_context(process(gunicorn_command("entrypoint:app", h.port, 2, 8), h.env, f"{h.url}/health",
                                    "reliability-service"))
        h.start_worker()
        stack.callback(h.stop_worker)
        rows.append(scenario_redis(h, stack))
        rows.append(scenario_postgres(h, stack))
        rows.append(scenario_graph(h, stack, "timeout", "Graph timeouts (answers slower than the read timeout)",
                                   {"latency": 2.5}, count=40))
        rows.append(scenario_graph(h, stack, "storm5xx", "Graph 5xx storm",
                                   {"code": 131000, "http_status": 500, "count": 150}))
        rows.append(scenario_graph(h, stack, "storm429", "Graph 429 storm",
                                   {"code": 130429, "http_status": 429, "count": 150}))
        rows.append(scenario_graph(h, stack, "slow", "Graph slow answers (under the timeout)", {"latency": 0.8},
                                   count=60))
        rows.append(scenario_load(h, stack, args.load_seconds))
        rows.append(scenario_crash(h, stack))
    subprocess.run([str(ROOT / "scripts" / "services.sh"), "stop"], env={**os.environ, **SERVICES},
                   capture_output=True)
    print(f"{'fault':<56} {'sent':>6} {'recorded':>9} {'lost':>5} {'dup':>4}  notes")
    for row in rows:
        print(f"{row['fault']:<56} {row['sent']:>6} {row['recorded']:>9} {row['lost']:>5} {row['duplicated']:>4}  "
              f"{row['notes']}")
    bad = [row for row in rows if row["lost"] or row["duplicated"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
