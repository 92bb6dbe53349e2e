"""Meta's sending limits: throughput per phone number (130429) and the business-user pair rate (131056)."""
from __future__ import annotations

import threading
import time
from collections import deque

from sandbox.errors import GraphError
from sandbox.settings import EmulatorSettings


class SendLimits:
    """Thread-safe counters behind the two limits; read the thresholds from settings on every check."""

    def __init__(self, settings: EmulatorSettings, clock=time.monotonic) -> None:
        self._settings = settings
        self._clock = clock
        self._lock = threading.Lock()
        self._recent: dict[str, deque[float]] = {}
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}

    def reset(self) -> None:
        """Forget every counter."""
        with self._lock:
            self._recent.clear()
            self._buckets.clear()

    def admit(self, phone_number_id: str, wa_id: str) -> None:
        """Count one send, or raise 130429 / 131056 without counting it."""
        with self._lock:
            now = self._clock()
            window = self._throughput_window(phone_number_id, now)
            bucket = self._pair_tokens(phone_number_id, wa_id, now)
            if window is not None:
                window.append(now)
            if bucket is not None:
                self._buckets[(phone_number_id, wa_id)] = (bucket - 1.0, now)

    def _throughput_window(self, phone_number_id: str, now: float) -> deque[float] | None:
        """Return the sliding one-second window to append to, or raise 130429 when it is full."""
        limit = self._settings.mps
        if limit <= 0:
            return None
        window = self._recent.setdefault(phone_number_id, deque())
        while window and now - window[0] >= 1.0:
            window.popleft()
        if len(window) >= limit:
            raise GraphError(130429, f"Message failed to send because there were too many messages sent "
                                     f"from this phone number in a short period of time (limit {limit} "
                                     f"messages per second).")
        return window

    def _pair_tokens(self, phone_number_id: str, wa_id: str, now: float) -> float | None:
        """Return the tokens left in the recipient's bucket (refilled), or raise 131056 when empty."""
        settings = self._settings
        if not settings.pair_rate:
            return None
        capacity = float(max(settings.pair_burst, 1))
        interval = max(settings.pair_interval, 1e-6)
        tokens, last = self._buckets.get((phone_number_id, wa_id), (capacity, now))
        tokens = min(capacity, tokens + (now - last) / interval)
        if tokens < 1.0:
            self._buckets[(phone_number_id, wa_id)] = (tokens, now)
            raise GraphError(131056, f"Message failed to send because there were too many messages sent "
                                     f"from this phone number to {wa_id} in a short period of time "
                                     f"(burst {settings.pair_burst}, then 1 per {settings.pair_interval:g} s).")
        return tokens
