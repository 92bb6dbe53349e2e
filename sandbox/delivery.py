"""Background webhook delivery: scheduling, batching, shuffling, duplicates and retries with backoff."""
from __future__ import annotations

import heapq
import itertools
import logging
import random
import threading
import time
from collections import deque
from dataclasses import dataclass, replace
from typing import Any, Callable

import requests

from sandbox.settings import EmulatorSettings
from sandbox.webhooks import Update, envelope, serialize, signed_headers

Deliver = Callable[[str, bytes, dict], int]
log = logging.getLogger("sandbox.delivery")


@dataclass(frozen=True)
class Post:
    """One HTTP POST to the callback: exact bytes and headers, kept identical across retries."""

    body: bytes
    headers: dict[str, str]
    updates: int
    attempt: int = 1
    duplicate: bool = False


class HttpDeliverer:
    """The default deliver callable: POST with requests, one session per delivery thread."""

    def __init__(self, settings: EmulatorSettings) -> None:
        self._settings = settings
        self._local = threading.local()

    def __call__(self, url: str, body: bytes, headers: dict) -> int:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        response = session.post(url, data=body, headers=headers, timeout=self._settings.delivery_timeout)
        response.close()
        return response.status_code


class Dispatcher:
    """Deliver scheduled updates to settings.callback_url from background worker threads."""

    def __init__(self, settings: EmulatorSettings, deliver: Deliver | None = None) -> None:
        self._settings = settings
        self._deliver: Deliver = deliver or HttpDeliverer(settings)
        self._cond = threading.Condition()
        self._scheduled: list[tuple[float, int, Update]] = []
        self._ready: list[tuple[float, int, Update]] = []
        self._posts: list[tuple[float, int, Post]] = []
        self._seq = itertools.count()
        self._busy = 0
        self._generation = 0
        self._stopped = False
        self._threads: list[threading.Thread] = []
        self._random = random.Random(settings.seed)  # nosec B311 - seeded randomness for reproducible test scenarios
        self._attempts: deque[dict[str, Any]] = deque(maxlen=max(settings.history_limit, 1))

    def start(self) -> None:
        """Start the delivery workers (settings.delivery_workers of them, at least one)."""
        for index in range(max(self._settings.delivery_workers, 1)):
            thread = threading.Thread(target=self._run, name=f"sandbox-webhooks-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the workers; pending updates are dropped."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout)

    def schedule(self, update: Update, delay: float) -> bool:
        """Queue an update to be sent delay seconds from now; False when there is no callback URL."""
        if not self._settings.callback_url:
            return False
        with self._cond:
            heapq.heappush(self._scheduled, (time.monotonic() + max(delay, 0.0), next(self._seq), update))
            self._cond.notify()
        return True

    def post_raw(self, body: bytes) -> Post | None:
        """Queue exact bytes for delivery now, signed, outside batching; None without a callback URL."""
        if not self._settings.callback_url:
            return None
        post = Post(body, signed_headers(body, self._settings.app_secret), updates=0)
        with self._cond:
            heapq.heappush(self._posts, (time.monotonic(), next(self._seq), post))
            self._cond.notify()
        return post

    def reset(self, timeout: float = 5.0) -> None:
        """Drop pending updates, wait for POSTs in flight, forget delivery records, re-seed the randomness.

        After reset returns no webhook from before the reset reaches the callback (unless a POST in
        flight takes longer than timeout).
        """
        with self._cond:
            self._generation += 1
            self._scheduled.clear()
            self._ready.clear()
            self._posts.clear()
            self._cond.notify_all()
            self._cond.wait_for(lambda: self._busy == 0, timeout)
            self._posts.clear()
            self._attempts.clear()
            self._random = random.Random(self._settings.seed)  # nosec B311 - seeded randomness for reproducible test scenarios

    def pending(self) -> int:
        """Return how many updates and posts are waiting or being delivered."""
        with self._cond:
            return len(self._scheduled) + len(self._ready) + len(self._posts) + self._busy

    def attempts(self) -> list[dict[str, Any]]:
        """Return every recorded delivery attempt, oldest first."""
        with self._cond:
            return list(self._attempts)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until nothing is pending or in flight; False on timeout."""
        with self._cond:
            return self._cond.wait_for(self._idle, timeout)

    def _idle(self) -> bool:
        return not (self._scheduled or self._ready or self._posts or self._busy)

    def _run(self) -> None:
        while True:
            job = self._next_job()
            if job is None:
                return
            try:
                for post in job:
                    self._attempt(post)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def _next_job(self) -> list[Post] | None:
        """Block until a retry or a batch is due; return its posts (None once stopped)."""
        with self._cond:
            while not self._stopped:
                now = time.monotonic()
                if self._posts and self._posts[0][0] <= now:
                    self._busy += 1
                    return [heapq.heappop(self._posts)[2]]
                while self._scheduled and self._scheduled[0][0] <= now:
                    self._ready.append(heapq.heappop(self._scheduled))
                job = self._take_batch(now)
                if job is not None:
                    self._busy += 1
                    return job
                self._cond.wait(self._wait_seconds(now))
            return None

    def _take_batch(self, now: float) -> list[Post] | None:
        """Return the posts for one batch of ready updates, or None while the batch window is open."""
        if not self._ready:
            return None
        settings = self._settings
        size = max(settings.batch_size, 1)
        batching = size > 1 or settings.shuffle
        if batching and len(self._ready) < size and now < self._ready[0][0] + settings.batch_window:
            return None
        if settings.shuffle:
            self._random.shuffle(self._ready)
        batch, self._ready = self._ready[:size], self._ready[size:]
        return self._compose([update for _, _, update in batch])

    def _wait_seconds(self, now: float) -> float | None:
        moments = [self._scheduled[0][0]] if self._scheduled else []
        if self._posts:
            moments.append(self._posts[0][0])
        if self._ready:
            moments.append(self._ready[0][0] + self._settings.batch_window)
        return max(min(moments) - now, 0.001) if moments else None

    def _compose(self, updates: list[Update]) -> list[Post]:
        settings = self._settings
        body = serialize(envelope(settings, updates))
        post = Post(body, signed_headers(body, settings.app_secret), updates=len(updates))
        rate = settings.duplicate_rate
        if rate > 0 and self._random.random() < rate:
            return [post, replace(post, duplicate=True)]
        return [post]

    def _attempt(self, post: Post) -> None:
        with self._cond:
            generation = self._generation
        url = self._settings.callback_url
        status: int | None = None
        error: str | None = None
        if not url:
            error = "no callback_url configured: dropped"
        else:
            try:
                status = int(self._deliver(url, post.body, dict(post.headers)))
            except Exception as exc:  # the callback may be down: record and retry like Meta
                error = f"{type(exc).__name__}: {exc}"
        self._record(url, post, status, error)
        if url and status != 200 and post.attempt <= self._settings.webhook_retries:
            delay = self._settings.retry_backoff * 2 ** (post.attempt - 1)
            with self._cond:
                if generation == self._generation:  # not reset meanwhile
                    retry = replace(post, attempt=post.attempt + 1)
                    heapq.heappush(self._posts, (time.monotonic() + delay, next(self._seq), retry))
                    self._cond.notify()

    def _record(self, url: str | None, post: Post, status: int | None, error: str | None) -> None:
        if status != 200:
            log.warning("webhook to %s attempt %d: status %s %s", url, post.attempt, status, error or "")
        else:
            log.debug("webhook to %s delivered (%d updates)", url, post.updates)
        record = {"url": url, "status": status, "error": error, "attempt": post.attempt,
                  "duplicate": post.duplicate, "updates": post.updates, "time": time.time(),
                  "signature": post.headers.get("X-Hub-Signature-256"), "body": post.body.decode("ascii")}
        with self._cond:
            self._attempts.append(record)
