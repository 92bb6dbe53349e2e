"""Benchmark POST /api/v1/messages/text against a bare Flask baseline, under the same gunicorn.

    .venv/bin/python bench/send.py [--duration 10] [--concurrency 16] [--rounds 2]

Setup: PostgreSQL and Redis from scripts/services.sh, the bundled emulator (faults and limits off),
gunicorn (gunicorn.conf.py, gthread) with the same workers and threads for both servers. Rounds
alternate baseline and service so drift affects both. Prints throughput, p50/p99 and the ratio.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    API_KEY, emulator_command, free_port, gunicorn_command, median_result, migrate, process, reset_database,
    require_clean, run_load, service_env, start_services,
)

TARGET = 0.7


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per timed run")
    parser.add_argument("--concurrency", type=int, default=16, help="client threads")
    parser.add_argument("--rounds", type=int, default=2, help="baseline/service pairs")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads per worker")
    args = parser.parse_args()

    services = start_services()
    database = services["BENCH_DATABASE_URL"]
    reset_database(database)
    graph_port, service_port, baseline_port = free_port(), free_port(), free_port()
    graph_url = f"http://127.0.0.1:{graph_port}"
    lines = json.dumps([{"id": "bench", "phone_number_id": "100000000000001", "max_daily_messages": 10_000_000}])
    env = service_env(database, services["TEST_REDIS_URL"], graph_url, lines)
    migrate(env)
    baseline_env = {"BASELINE_DATABASE_URL": database, "BASELINE_GRAPH_URL": graph_url}
    gunicorn = {"workers": args.workers, "threads": args.threads}

    # Many recipients, as in real traffic (one recipient would measure its contact row's lock).
    def recipient(n):
        return f"+1650555{2000 + n % 5000:04d}"

    def service_call(session, n):
        return session.post(f"http://127.0.0.1:{service_port}/api/v1/messages/text", timeout=30,
                            json={"phone_number": recipient(n), "text": f"bench {n}"}, headers={"X-API-Key": API_KEY})

    def baseline_call(session, n):
        return session.post(f"http://127.0.0.1:{baseline_port}/send", timeout=30,
                            json={"phone_number": recipient(n), "text": f"bench {n}"})

    ours, base = [], []
    with process(emulator_command(graph_port), {}, f"{graph_url}/_sandbox/health", "send-emulator"), \
         process(gunicorn_command("entrypoint:app", service_port, **gunicorn), env,
                 f"http://127.0.0.1:{service_port}/health", "send-service"), \
         process(gunicorn_command("bench.baseline_app:app", baseline_port, **gunicorn), baseline_env,
                 None, "send-baseline"):
        import time

        time.sleep(2)
        run_load("warm-up", service_call, args.concurrency, 2)
        run_load("warm-up", baseline_call, args.concurrency, 2)
        for _ in range(args.rounds):
            base.append(run_load("baseline", baseline_call, args.concurrency, args.duration))
            ours.append(run_load("service", service_call, args.concurrency, args.duration))
    baseline, service = median_result("baseline (Flask: 1 POST + 1 INSERT)", base), median_result(
        "service POST /api/v1/messages/text", ours)
    ratio = service.throughput / baseline.throughput if baseline.throughput else 0.0
    print(f"send benchmark: gunicorn {args.workers} workers x {args.threads} threads, "
          f"{args.concurrency} client threads, {args.rounds} x {args.duration:.0f}s rounds")
    print(baseline.line())
    print(service.line())
    if not require_clean(baseline, service):
        return 1
    print(f"throughput ratio service/baseline: {ratio:.2f} (target >= {TARGET})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
