"""Shared benchmark plumbing: real servers on loopback, gunicorn, a threaded load generator.

Only loopback addresses are ever contacted. Every run is bounded in requests and time.
"""
from __future__ import annotations

import os
import shlex
import socket
import statistics
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import requests

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GUNICORN = [PYTHON, "-m", "gunicorn"]
API_KEY = "bench-api-key"
APP_SECRET = "bench-app-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_services() -> dict[str, str]:
    """Start (or reuse) PostgreSQL and Redis with scripts/services.sh; return their URLs."""
    output = subprocess.run([str(ROOT / "scripts" / "services.sh"), "start"], check=True, capture_output=True,
                            text=True).stdout
    env = {}
    for line in output.splitlines():
        for assignment in shlex.split(line.removeprefix("export ")):
            name, _, value = assignment.partition("=")
            env[name] = value
    return env


def reset_database(url: str) -> None:
    """Drop and recreate the benchmark database, so every run starts empty."""
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {name}")


def wait_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


@contextmanager
def process(command: list[str], env: dict[str, str], ready_url: str | None, log_name: str) -> Iterator[None]:
    """Run a server process for the duration of the block; its output goes to bench/results/<log_name>.log."""
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    with open(results / f"{log_name}.log", "w") as log:
        proc = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
        try:
            if ready_url:
                wait_http(ready_url)
            yield
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def emulator_command(port: int, callback: str | None = None) -> list[str]:
    """The bundled emulator with Meta's limits and faults off."""
    command = [PYTHON, "-m", "sandbox", "--port", str(port), "--app-secret", APP_SECRET, "--mps", "0",
               "--no-pair-rate", "--log-level", "WARNING", "--webhook-delay", "0.05"]
    return command + (["--callback", callback] if callback else [])


def gunicorn_command(app: str, port: int, workers: int, threads: int) -> list[str]:
    """Production serving, the same settings for the service and its baseline."""
    return GUNICORN + ["-c", str(ROOT / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}", "--workers",
                       str(workers), "--threads", str(threads), app]


def service_env(database_url: str, redis_url: str | None, graph_url: str, lines: str) -> dict[str, str]:
    """Production configuration for the service under test."""
    env = {
        "FLASK_ENV": "production", "SECRET_KEY": "bench-secret-key-not-for-real-use", "DATABASE_URL": database_url,
        "WEBHOOK_SECRET": APP_SECRET, "WEBHOOK_VERIFY_TOKEN": "bench-verify", "VALID_API_KEYS": API_KEY,
        "FORWARD_WEBHOOK_SECRET": "bench-forward", "WHATSAPP_API_BASE_URL": graph_url,
        "WHATSAPP_ACCESS_TOKEN": "bench-graph-token", "MESSAGING_LINES": lines, "LOG_LEVEL": "WARNING",
        "GUNICORN_ACCESS_LOG": "off", "RATELIMIT_DEFAULT": "10000000 per minute", "DB_POOL_SIZE": "20",
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def migrate(env: dict[str, str]) -> None:
    subprocess.run([PYTHON, "-m", "flask", "--app", "entrypoint", "db", "upgrade"], cwd=ROOT,
                   env={**os.environ, **env}, check=True, capture_output=True)


@dataclass
class LoadResult:
    """Throughput and latency of one timed run."""

    name: str
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    throughput: float = 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000

    def line(self) -> str:
        return (f"{self.name:<34} {self.throughput:9.1f} req/s   p50 {self.percentile(50):7.2f} ms   "
                f"p99 {self.percentile(99):7.2f} ms   errors {self.errors}   statuses {self.statuses}")


def run_load(name: str, make_call: Callable[[requests.Session, int], requests.Response], concurrency: int,
             duration: float, max_requests: int = 200_000, ok=(200, 201)) -> LoadResult:
    """Call make_call from `concurrency` threads for `duration` seconds (bounded), timing each call."""
    result = LoadResult(name)
    lock = threading.Lock()
    stop_at = time.monotonic() + duration
    counter = iter(range(max_requests))

    def worker():
        session = requests.Session()
        latencies, statuses, errors = [], {}, 0
        while time.monotonic() < stop_at:
            try:
                n = next(counter)
            except StopIteration:
                break
            started = time.perf_counter()
            try:
                response = make_call(session, n)
                code = response.status_code
            except requests.RequestException:
                code = -1
            latencies.append(time.perf_counter() - started)
            statuses[code] = statuses.get(code, 0) + 1
            errors += code not in ok
        with lock:
            result.latencies.extend(latencies)
            result.errors += errors
            for code, count in statuses.items():
                result.statuses[code] = result.statuses.get(code, 0) + count

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.monotonic() - started
    result.requests = len(result.latencies)
    result.throughput = result.requests / result.seconds
    return result


def require_clean(*results: LoadResult) -> bool:
    """False (and a line saying so) when a run had errors: its throughput is not comparable."""
    failed = [r for r in results if r.errors]
    for result in failed:
        print(f"INVALID: {result.name} had {result.errors} failed requests {result.statuses}; no ratio from it")
    return not failed


def median_result(name: str, runs: list[LoadResult]) -> LoadResult:
    """Combine repeated runs: median throughput, pooled latencies."""
    merged = LoadResult(name)
    merged.latencies = [lat for run in runs for lat in run.latencies]
    merged.errors = sum(run.errors for run in runs)
    for run in runs:
        for code, count in run.statuses.items():
            merged.statuses[code] = merged.statuses.get(code, 0) + count
    merged.requests = sum(run.requests for run in runs)
    merged.seconds = sum(run.seconds for run in runs)
    merged.throughput = statistics.median(run.throughput for run in runs)
    return merged
