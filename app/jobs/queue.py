"""One enqueue() for both backends, so the API behaves the same with or without Redis.

- ``rq``: jobs go to Redis; `flask --app entrypoint worker` runs them with an app context.
- ``thread``: jobs run on a small thread pool inside this process (the embedded default).
  They are never run inside the request that enqueued them.
Job functions take only JSON-able arguments and look everything else up themselves.
"""
from __future__ import annotations

import importlib
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from typing import Callable

from flask import Flask, current_app

log = logging.getLogger(__name__)
QUEUE_NAME = "wamsvc"
BULK_QUEUE = "wamsvc-bulk"  # long jobs, kept apart so they never hold up webhook processing
BULK_TIMEOUT = 24 * 3600


class ThreadJobs:
    """Jobs on a thread pool; delays through timers; wait_idle() for tests and shutdown."""

    def __init__(self, app: Flask, workers: int = 4) -> None:
        self.app = app
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="job")
        self.lock = threading.Condition()
        self.pending = 0

    def submit(self, path: str, args: tuple, delay: float, queue: str = QUEUE_NAME) -> None:
        with self.lock:
            self.pending += 1
        if queue == BULK_QUEUE:  # a thread of its own, so it never occupies the shared pool
            threading.Thread(target=self._run_and_count, args=(path, args), daemon=True, name="bulk-job").start()
        elif delay > 0:
            timer = threading.Timer(delay, self._start, (path, args))
            timer.daemon = True
            timer.start()
        else:
            self._start(path, args)

    def _start(self, path: str, args: tuple) -> None:
        future: Future = self.pool.submit(self._run, path, args)
        future.add_done_callback(self._done)

    def _run(self, path: str, args: tuple) -> None:
        with self.app.app_context():
            try:
                resolve(path)(*args)
            except Exception:  # a job's failure is logged; the job decides its own retries
                log.exception("job %s%r failed", path, args)

    def _run_and_count(self, path: str, args: tuple) -> None:
        try:
            self._run(path, args)
        finally:
            self._done(None)

    def _done(self, _future) -> None:
        with self.lock:
            self.pending -= 1
            self.lock.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self.lock:
            return self.lock.wait_for(lambda: self.pending == 0, timeout)


class RQJobs:
    """Jobs in Redis for `flask worker` processes; falls back to threads if Redis is down."""

    def __init__(self, app: Flask, fallback: ThreadJobs) -> None:
        from rq import Queue

        from app.extensions import redis_client

        with app.app_context():
            connection = redis_client.get()
        self.queues = {QUEUE_NAME: Queue(QUEUE_NAME, connection=connection, default_timeout=600),
                       BULK_QUEUE: Queue(BULK_QUEUE, connection=connection, default_timeout=BULK_TIMEOUT)}
        self.fallback = fallback

    def submit(self, path: str, args: tuple, delay: float, queue: str = QUEUE_NAME) -> None:
        from redis.exceptions import RedisError

        try:
            if delay > 0:
                self.queues[queue].enqueue_in(timedelta(seconds=delay), run_job, path, args)
            else:
                self.queues[queue].enqueue(run_job, path, args)
        except RedisError as exc:
            log.error("redis unavailable (%s): running job %s in this process instead", type(exc).__name__, path)
            self.fallback.submit(path, args, delay, queue)

    def wait_idle(self, timeout: float) -> bool:
        return self.fallback.wait_idle(timeout)


def resolve(path: str) -> Callable:
    """'package.module:function' to the function."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def run_job(path: str, args: tuple) -> None:
    """What an RQ worker executes: a fresh app context (and so a fresh session) per job."""
    app = current_app._get_current_object()
    with app.app_context():
        resolve(path)(*args)


def init_jobs(app: Flask) -> None:
    """Pick the backend from JOBS_BACKEND (rq needs REDIS_URL)."""
    threads = ThreadJobs(app, workers=app.config.get("JOBS_THREADS", 4))
    backend = app.config.get("JOBS_BACKEND", "thread")
    if backend == "rq" and app.config.get("REDIS_URL"):
        app.extensions["jobs"] = RQJobs(app, threads)
    else:
        app.extensions["jobs"] = threads
    log.debug("jobs backend: %s", type(app.extensions["jobs"]).__name__)


def enqueue(func: Callable | str, *args, delay: float = 0.0, queue: str = QUEUE_NAME) -> None:
    """Run func(*args) in the background, after delay seconds, on the named queue."""
    path = func if isinstance(func, str) else f"{func.__module__}:{func.__name__}"
    current_app.extensions["jobs"].submit(path, args, delay, queue)


def wait_for_jobs(app: Flask, timeout: float = 10.0) -> bool:
    """Wait until in-process jobs are done (tests, and orderly shutdown)."""
    return app.extensions["jobs"].wait_idle(timeout)
