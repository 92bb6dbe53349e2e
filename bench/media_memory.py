"""Measure how much a 100 MB download through the media proxy grows the server's peak memory.

    .venv/bin/python bench/media_memory.py [--megabytes 100]

The service runs under gunicorn (one worker, production config, PostgreSQL) against the emulator.
A real PDF padded to the size is uploaded through POST /api/v1/media, then downloaded through
GET /api/v1/media/<id>/download. Before the download the worker's peak-RSS counter is reset
(/proc/<pid>/clear_refs), so the figure is the download's own peak over the RSS it started from.
Target: under 20 MB.
"""
from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    API_KEY, emulator_command, free_port, gunicorn_command, migrate, process, reset_database, service_env,
    start_services,
)

TARGET_MB = 20


def big_pdf(path: Path, size: int) -> str:
    """A valid PDF padded with a comment to exactly `size` bytes, written in chunks; returns its sha256."""
    head = b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\n"
    tail = b"\ntrailer <</Root 1 0 R>>\n%%EOF\n"
    digest = hashlib.sha256()
    with open(path, "wb") as handle:
        for chunk in (head, b"%"):
            handle.write(chunk)
            digest.update(chunk)
        remaining = size - len(head) - 1 - len(tail)
        block = b"x" * (1 << 20)
        while remaining > 0:
            piece = block[:remaining]
            handle.write(piece)
            digest.update(piece)
            remaining -= len(piece)
        handle.write(tail)
        digest.update(tail)
    return digest.hexdigest()


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def worker_pid(port: int) -> int:
    pids = subprocess.check_output(["pgrep", "-f", f"127.0.0.1:{port}"]).split()
    return int(pids[-1])  # the arbiter starts first; its worker is the newest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--megabytes", type=int, default=100)
    args = parser.parse_args()
    size = args.megabytes * 1024 * 1024 - 4096  # just under WhatsApp's 100 MB document limit
    services = start_services()
    database = services["BENCH_DATABASE_URL"]
    reset_database(database)
    graph_port, service_port = free_port(), free_port()
    service = f"http://127.0.0.1:{service_port}"
    env = service_env(database, None, f"http://127.0.0.1:{graph_port}",
                      '[{"id": "media", "phone_number_id": "100000000000001"}]')
    env.update(JOBS_BACKEND="thread", GUNICORN_THREADS="4")
    migrate(env)
    with tempfile.TemporaryDirectory() as scratch, \
            process(emulator_command(graph_port), {}, f"http://127.0.0.1:{graph_port}/_sandbox/health", "media-emulator"), \
            process(gunicorn_command("entrypoint:app", service_port, 1, 4), env, f"{service}/health", "media-service"):
        source = Path(scratch) / "big.pdf"
        expected = big_pdf(source, size)
        pid = worker_pid(service_port)
        idle = status_kb(pid, "VmRSS")
        with open(source, "rb") as handle:
            uploaded = requests.post(f"{service}/api/v1/media", headers={"X-API-Key": API_KEY}, timeout=300,
                                     files={"file": ("big.pdf", handle, "application/pdf")})
        uploaded.raise_for_status()
        media_id = uploaded.json()["media_id"]
        upload_peak = status_kb(pid, "VmHWM")
        time.sleep(1)
        before = status_kb(pid, "VmRSS")
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # reset VmHWM (peak RSS) to the current RSS
        digest, received, started = hashlib.sha256(), 0, time.monotonic()
        with requests.get(f"{service}/api/v1/media/{media_id}/download", headers={"X-API-Key": API_KEY},
                          stream=True, timeout=300) as response:
            response.raise_for_status()
            for chunk in response.iter_content(256 * 1024):
                digest.update(chunk)
                received += len(chunk)
        seconds = time.monotonic() - started
        peak = status_kb(pid, "VmHWM")
    growth_mb = (peak - before) / 1024
    print(f"upload: worker RSS idle {idle / 1024:.1f} MB, peak during the upload {upload_peak / 1024:.1f} MB")
    print(f"media proxy memory: downloaded {received / 1048576:.1f} MB in {seconds:.1f}s "
          f"({received / 1048576 / seconds:.0f} MB/s), bytes {'match' if digest.hexdigest() == expected else 'DIFFER'}")
    print(f"worker RSS before {before / 1024:.1f} MB, peak during download {peak / 1024:.1f} MB: "
          f"growth {growth_mb:.1f} MB (target < {TARGET_MB} MB)")
    return 0 if digest.hexdigest() == expected else 1


if __name__ == "__main__":
    sys.exit(main())
