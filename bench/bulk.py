"""Benchmark bulk sends: pacing accuracy, raw speed against a plain POST loop, and 1 -> 2 workers.

    .venv/bin/python bench/bulk.py [--recipients 2000] [--mps 80] [--threads 8]

Setup: PostgreSQL and Redis (scripts/services.sh), the service under gunicorn in production config,
the bundled emulator with no latency, limits off and no webhooks, and `flask worker --burst` RQ
worker processes. Send times are read from the emulator, so worker start-up is not counted.
1. Pacing: the line's max_mps set to --mps; achieved rate over the whole batch, and its error.
2. Raw speed: pacing off, one worker with --threads Graph calls in flight, against a loop POSTing the
   same bodies to the emulator from the same number of threads.
3. Scaling: pacing off, 1 worker process, then 2.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    API_KEY, PYTHON, ROOT, emulator_command, free_port, gunicorn_command, migrate, process, reset_database,
    service_env, start_services,
)

PNID = "100000000000001"


def recipients(count: int) -> list[str]:
    return [f"+1650555{2000 + n:04d}" for n in range(count)]


def send_times(graph_url: str) -> list[float]:
    data = requests.get(f"{graph_url}/_sandbox/messages", timeout=30).json()["data"]
    return sorted(item["timestamp"] for item in data)


def run_bulk(service_url: str, graph_url: str, env: dict, numbers: list[str], workers: int) -> tuple[int, float]:
    """Submit one bulk send, drain it with `workers` RQ worker processes; (sends, seconds first->last)."""
    requests.post(f"{graph_url}/_sandbox/reset", json={}, timeout=10)
    response = requests.post(f"{service_url}/api/v1/messages/bulk", timeout=120, headers={"X-API-Key": API_KEY},
                             json={"message_type": "text", "text": "Bulk benchmark", "recipients": numbers})
    response.raise_for_status()
    bulk_id = response.json()["id"]
    procs = [subprocess.Popen([PYTHON, "-m", "flask", "--app", "entrypoint", "worker", "--burst"], cwd=ROOT,
                              env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for _ in range(workers)]
    for proc in procs:
        proc.wait(timeout=900)
    progress = requests.get(f"{service_url}/api/v1/messages/bulk/{bulk_id}", headers={"X-API-Key": API_KEY},
                            timeout=30).json()
    if progress["sent"] != len(numbers):
        raise RuntimeError(f"bulk send incomplete: {progress}")
    times = send_times(graph_url)
    return len(times), times[-1] - times[0]


def raw_loop(graph_url: str, numbers: list[str], threads: int) -> tuple[int, float]:
    """The same bodies POSTed straight to the emulator from `threads` threads."""
    requests.post(f"{graph_url}/_sandbox/reset", json={}, timeout=10)
    local = threading.local()

    def post(number: str) -> None:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": number, "type": "text",
                "text": {"body": "Bulk benchmark", "preview_url": False}}
        session.post(f"{graph_url}/v23.0/{PNID}/messages", json=body, headers={"Authorization": "Bearer bench"},
                     timeout=30).raise_for_status()

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(post, numbers))
    times = send_times(graph_url)
    return len(times), times[-1] - times[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipients", type=int, default=2000)
    parser.add_argument("--mps", type=int, default=80)
    parser.add_argument("--threads", type=int, default=8, help="Graph calls in flight per worker")
    args = parser.parse_args()
    services = start_services()
    database = services["BENCH_DATABASE_URL"]
    redis_url = services["TEST_REDIS_URL"].rsplit("/", 1)[0] + "/4"
    graph_port, service_port = free_port(), free_port()
    graph_url, service_url = f"http://127.0.0.1:{graph_port}", f"http://127.0.0.1:{service_port}"
    numbers = recipients(args.recipients)
    report = []

    def configure(mps: int, pacing: bool, parallelism: int) -> dict:
        reset_database(database)
        subprocess.run(["redis-cli", "-u", redis_url, "flushdb"], check=True, capture_output=True)
        lines = json.dumps([{"id": "bulk", "phone_number_id": PNID, "max_daily_messages": 10_000_000,
                             "max_mps": mps}])
        env = service_env(database, redis_url, graph_url, lines)
        env.update(BULK_PACING=str(pacing).lower(), BULK_PARALLELISM=str(parallelism),
                   BULK_THREADS=str(args.threads), BULK_MAX_RECIPIENTS=str(max(10_000, args.recipients)))
        migrate(env)
        return env

    def measure(label: str, mps: int, pacing: bool, workers: int) -> float:
        env = configure(mps, pacing, workers)
        with process(gunicorn_command("entrypoint:app", service_port, 2, 8), env, f"{service_url}/health",
                     "bulk-service"):
            sent, seconds = run_bulk(service_url, graph_url, env, numbers, workers)
        rate = (sent - 1) / seconds if seconds else 0.0
        report.append(f"{label:<44} {sent} sends in {seconds:6.2f}s = {rate:7.1f} msg/s")
        return rate

    with process(emulator_command(graph_port), {}, f"{graph_url}/_sandbox/health", "bulk-emulator"):
        paced = measure(f"paced at {args.mps} mps, 1 worker", args.mps, True, 1)
        one = measure(f"unpaced, 1 worker x {args.threads} threads", 80, False, 1)
        two = measure(f"unpaced, 2 workers x {args.threads} threads", 80, False, 2)
        sent, seconds = raw_loop(graph_url, numbers, args.threads)
        raw = (sent - 1) / seconds
        report.append(f"{'raw POST loop, ' + str(args.threads) + ' threads':<44} {sent} sends in {seconds:6.2f}s = "
                      f"{raw:7.1f} msg/s")
    print(f"bulk benchmark: {args.recipients} recipients, text messages")
    print("\n".join(report))
    print(f"pacing accuracy: {paced:.1f} msg/s against {args.mps} configured "
          f"({(paced - args.mps) / args.mps * 100:+.1f}%, target within 5%)")
    print(f"raw speed ratio, 1 worker / raw loop at the same concurrency: {one / raw:.2f} (target >= 0.8)")
    print(f"scaling 1 -> 2 worker processes: {two / one:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
