"""Benchmark webhook ingest (POST /api/v1/webhooks) against a bare Flask baseline, same gunicorn.

    .venv/bin/python bench/webhooks.py [--duration 10] [--concurrency 16] [--rounds 2]

Cases: one status per POST, and 50 statuses per POST, each signed like Meta (X-Hub-Signature-256).
Baseline: a bare Flask route that verifies the signature and INSERTs the raw body once. The service
stores the raw event and queues its processing (RQ on Redis). Processing is then measured on its own:
a fresh queue of 1,000 one-status events, then of 60 fifty-status events, each drained by one
`flask worker --burst`, timed from its first applied status to its last.
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    APP_SECRET, PYTHON, ROOT, free_port, gunicorn_command, median_result, migrate, process, require_clean,
    reset_database, run_load, service_env, start_services,
)

TARGET = 0.7
PNID = "100000000000001"


def status_body(n: int, statuses: int) -> bytes:
    items = [{"id": f"wamid.BENCH{n}.{i}", "status": "delivered", "timestamp": str(1760000000 + i),
              "recipient_id": "16505551234"} for i in range(statuses)]
    payload = {"object": "whatsapp_business_account", "entry": [{"id": "waba", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"display_phone_number": "15550001111", "phone_number_id": PNID},
        "statuses": items}}]}]}
    return json.dumps(payload, separators=(",", ":")).encode()


def signed(body: bytes) -> dict[str, str]:
    return {"Content-Type": "application/json",
            "X-Hub-Signature-256": "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()}


def poster(url: str, statuses: int):
    def call(session, n):
        body = status_body(n, statuses)
        return session.post(url, data=body, headers=signed(body), timeout=30)
    return call


def drain(env: dict[str, str], database: str, expected: int, timeout: float = 300.0) -> tuple[int, float]:
    """Start one RQ worker on the queued events; (statuses applied, seconds) from its first to the last.

    Timing starts at the first applied status, so the worker's start-up is not counted.
    """
    before = count_statuses(database)
    worker = subprocess.Popen([PYTHON, "-m", "flask", "--app", "entrypoint", "worker", "--burst"], cwd=ROOT,
                              env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first_at, first_count, applied = None, 0, 0
    deadline = time.monotonic() + timeout
    try:
        while applied < expected and time.monotonic() < deadline:
            applied = count_statuses(database) - before
            if first_at is None and applied:
                first_at, first_count = time.monotonic(), applied
            time.sleep(0.05)
    finally:
        worker.terminate()
        worker.wait(30)
    if first_at is None:
        return 0, 0.0
    return applied - first_count, time.monotonic() - first_at


def count_statuses(database_url: str) -> int:
    import psycopg

    with psycopg.connect(database_url) as connection:
        return connection.execute("SELECT count(*) FROM message_status_events").fetchone()[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()

    services = start_services()
    database = services["BENCH_DATABASE_URL"]
    reset_database(database)
    redis_url = services["TEST_REDIS_URL"].rsplit("/", 1)[0] + "/3"
    subprocess.run(["redis-cli", "-u", redis_url, "flushdb"], check=True, capture_output=True)
    lines = json.dumps([{"id": "bench", "phone_number_id": PNID, "max_daily_messages": 10_000_000}])
    service_port, baseline_port = free_port(), free_port()
    env = service_env(database, redis_url, "http://127.0.0.1:9", lines)
    migrate(env)
    gunicorn = {"workers": args.workers, "threads": args.threads}
    service_url = f"http://127.0.0.1:{service_port}/api/v1/webhooks"
    baseline_url = f"http://127.0.0.1:{baseline_port}/webhook"
    results = {}
    with process(gunicorn_command("entrypoint:app", service_port, **gunicorn), env,
                 f"http://127.0.0.1:{service_port}/health", "webhooks-service"), \
         process(gunicorn_command("bench.baseline_app:app", baseline_port, **gunicorn),
                 {"BASELINE_DATABASE_URL": database, "BASELINE_APP_SECRET": APP_SECRET}, None, "webhooks-baseline"):
        time.sleep(2)
        for statuses in (1, 50):
            run_load("warm-up", poster(service_url, statuses), args.concurrency, 1, ok=(200,))
            run_load("warm-up", poster(baseline_url, statuses), args.concurrency, 1, ok=(200,))
            base, ours = [], []
            for _ in range(args.rounds):
                base.append(run_load("baseline", poster(baseline_url, statuses), args.concurrency, args.duration,
                                     ok=(200,)))
                ours.append(run_load("service", poster(service_url, statuses), args.concurrency, args.duration,
                                     ok=(200,)))
            results[statuses] = (median_result(f"baseline, {statuses} status/POST", base),
                                 median_result(f"service, {statuses} status/POST", ours))
        # Processing, on its own: a fresh queue of known events, drained by one worker.
        processing = {}
        for statuses, events in ((1, 1000), (50, 60)):
            subprocess.run(["redis-cli", "-u", redis_url, "flushdb"], check=True, capture_output=True)
            session = requests.Session()
            offset = 10_000_000 * statuses
            for n in range(events):
                body = status_body(offset + n, statuses)
                session.post(service_url, data=body, headers=signed(body), timeout=30).raise_for_status()
            applied, seconds = drain(env, database, events * statuses)
            processing[statuses] = (events, applied, seconds)
    print(f"webhook ingest benchmark: gunicorn {args.workers} workers x {args.threads} threads, "
          f"{args.concurrency} client threads, {args.rounds} x {args.duration:.0f}s rounds")
    clean = True
    for statuses, (baseline, service) in results.items():
        print(baseline.line())
        print(service.line())
        if not require_clean(baseline, service):
            clean = False
            continue
        ratio = service.throughput / baseline.throughput if baseline.throughput else 0.0
        print(f"  {statuses} status/POST: ratio {ratio:.2f}"
              + (f" (target >= {TARGET})" if statuses == 1 else "")
              + f"; statuses/s ingested: service {service.throughput * statuses:.0f}, "
                f"baseline {baseline.throughput * statuses:.0f}")
    for statuses, (events, applied, seconds) in processing.items():
        print(f"processing, {statuses} status/event: one RQ worker applied {applied} statuses of {events} events "
              f"in {seconds:.1f}s = {applied / seconds if seconds else 0:.0f} statuses/s (each once, by unique key)")
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
