"""Retry timing: exponential backoff with full jitter, Retry-After, and the pair-rate policy."""
from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Protocol


@dataclass(frozen=True)
class RetryPolicy:
    """How many attempts, within how much total time, and how far apart."""

    max_attempts: int = 4
    max_seconds: float = 20.0
    base_seconds: float = 0.5

    def ceiling(self, retry_index: int) -> float:
        """The upper bound of the ``retry_index``-th delay (0 for the first retry)."""
        return min(self.max_seconds, self.base_seconds * 2**retry_index)

    def delay(self, retry_index: int, rng: random.Random) -> float:
        """A full-jitter delay: uniform between 0 and ``base * 2**retry_index`` (capped)."""
        return rng.uniform(0.0, self.ceiling(retry_index))


def parse_retry_after(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), if any."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now())
    except (TypeError, ValueError, IndexError):
        return None


def recipient_key(phone_number_id: str, to: object) -> str:
    """The pair-rate key: Meta limits each (business number, user) pair, so key on both."""
    digits = "".join(ch for ch in str(to) if ch.isdigit())
    return f"{phone_number_id}:{digits or to}"


class RecipientBackoffPolicy(Protocol):
    """What GraphClient needs from a pair-rate policy; a Redis-backed one can share state."""

    def wait_time(self, recipient: str) -> float:
        """Seconds to wait before the next send to ``recipient`` (0 if none)."""

    def record_hit(self, recipient: str) -> float:
        """Note a 131056 for ``recipient``; return the wait it imposes."""

    def record_success(self, recipient: str) -> None:
        """Note an accepted send to ``recipient``, resetting its backoff."""


@dataclass
class _Entry:
    hits: int
    not_before: float


class RecipientBackoff:
    """In-process, thread-safe pair-rate backoff: after the X-th consecutive hit wait 4**X s.

    X starts at 0, so the waits are 1, 4, 16, 64 ... seconds. A recipient whose last wait ended
    more than ``forget_after`` seconds ago starts again from X = 0.
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        base: float = 4.0,
        max_wait: float = 4.0**5,
        forget_after: float = 600.0,
    ) -> None:
        self._clock = clock
        self._base = base
        self._max_wait = max_wait
        self._forget_after = forget_after
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def wait_time(self, recipient: str) -> float:
        """Seconds to wait before the next send to ``recipient`` (0 if none)."""
        with self._lock:
            entry = self._entries.get(recipient)
            return max(0.0, entry.not_before - self._clock()) if entry else 0.0

    def record_hit(self, recipient: str) -> float:
        """Note a 131056 for ``recipient``; return the wait it imposes."""
        with self._lock:
            now = self._clock()
            self._forget_stale(now)
            entry = self._entries.get(recipient)
            hits = entry.hits if entry else 0
            wait = min(self._max_wait, self._base**hits)
            self._entries[recipient] = _Entry(hits=hits + 1, not_before=now + wait)
            return wait

    def record_success(self, recipient: str) -> None:
        """Note an accepted send to ``recipient``, resetting its backoff."""
        with self._lock:
            self._entries.pop(recipient, None)

    def _forget_stale(self, now: float) -> None:
        stale = [key for key, e in self._entries.items() if now - e.not_before > self._forget_after]
        for key in stale:
            del self._entries[key]
