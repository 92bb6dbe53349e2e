"""Send pacing shared by every worker: a per-line rate (max_mps) and the per-recipient pair rate.

Each call reserves the next free send slot (a GCRA / virtual-scheduling limiter): the slot after the
last one reserved, spaced 1/rate apart. Callers sleep until their slot, so N workers together send at
exactly the line's rate. With Redis the slots live in Redis (one Lua script, Redis's own clock), so
workers on different machines share them; without Redis they live in this process.
"""
from __future__ import annotations

import logging
import threading
import time

log = logging.getLogger(__name__)
PAIR_INTERVAL = 6.0     # Meta: about one message per 6 s to one user ...
PAIR_BURST = 45         # ... after a burst of up to 45
RESERVE_SCRIPT = """
local now_t = redis.call('TIME')
local now = tonumber(now_t[1]) * 1000000 + tonumber(now_t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now - burst then tat = now - burst end
local slot = tat
if slot < now then slot = now end
redis.call('SET', KEYS[1], tat + interval, 'PX', math.floor(math.max(tat + interval - now, 0) / 1000) + 60000)
return slot - now
"""
DELAY_SCRIPT = """
local now_t = redis.call('TIME')
local now = tonumber(now_t[1]) * 1000000 + tonumber(now_t[2])
local until_t = now + tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < until_t then redis.call('SET', KEYS[1], until_t, 'PX', math.floor(tonumber(ARGV[1]) / 1000) + 60000) end
return 0
"""


class LocalSlots:
    """Slots in this process only (the embedded default)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tat: dict[str, float] = {}

    def reserve(self, key: str, interval: float, burst: float) -> float:
        with self.lock:
            now = time.monotonic()
            tat = max(self.tat.get(key, 0.0), now - burst)
            self.tat[key] = tat + interval
            return max(tat, now) - now

    def delay(self, key: str, seconds: float) -> None:
        with self.lock:
            self.tat[key] = max(self.tat.get(key, 0.0), time.monotonic() + seconds)


class RedisSlots:
    """Slots in Redis, shared by every process and machine."""

    def __init__(self, client) -> None:
        self.reserve_script = client.register_script(RESERVE_SCRIPT)
        self.delay_script = client.register_script(DELAY_SCRIPT)

    def reserve(self, key: str, interval: float, burst: float) -> float:
        micros = self.reserve_script(keys=[key], args=[int(interval * 1e6), int(burst * 1e6)])
        return int(micros) / 1e6

    def delay(self, key: str, seconds: float) -> None:
        self.delay_script(keys=[key], args=[int(seconds * 1e6)])


class FailoverSlots:
    """Redis slots that fall back to this process's own when Redis is unreachable (logged)."""

    def __init__(self, primary, fallback: LocalSlots) -> None:
        self.primary, self.fallback = primary, fallback

    def reserve(self, key: str, interval: float, burst: float) -> float:
        try:
            return self.primary.reserve(key, interval, burst)
        except Exception as exc:  # redis-py raises several types for a dead server
            log.error("pacing: redis unavailable (%s); pacing in this process only", type(exc).__name__)
            return self.fallback.reserve(key, interval, burst)

    def delay(self, key: str, seconds: float) -> None:
        try:
            self.primary.delay(key, seconds)
        except Exception as exc:  # as above
            log.error("pacing: redis unavailable (%s); backing off in this process only", type(exc).__name__)
            self.fallback.delay(key, seconds)


class Pacer:
    """Reserve send slots for a line and a recipient; push them back after Meta's rate-limit errors."""

    def __init__(self, slots, sleep=time.sleep) -> None:
        self.slots = slots
        self.sleep = sleep

    def wait_for_slot(self, line_id: str, max_mps: int, recipient: str) -> float:
        """Sleep until this line and this recipient may send; returns the seconds waited."""
        waited = 0.0
        if max_mps > 0:
            # A burst of at most a tenth of a second keeps the rate smooth from the first message.
            waited = self.slots.reserve(f"wamsvc:pace:line:{line_id}", 1.0 / max_mps, 0.1)
        pair = self.slots.reserve(f"wamsvc:pace:pair:{line_id}:{recipient}", PAIR_INTERVAL,
                                  PAIR_INTERVAL * (PAIR_BURST - 1))
        wait = max(waited, pair)
        if wait > 0:
            self.sleep(wait)
        return wait

    def back_off_line(self, line_id: str, seconds: float) -> None:
        """130429 (throughput): nobody sends on this line for a while."""
        self.slots.delay(f"wamsvc:pace:line:{line_id}", seconds)

    def back_off_recipient(self, line_id: str, recipient: str, seconds: float) -> None:
        """131056 (pair rate): only this recipient waits."""
        self.slots.delay(f"wamsvc:pace:pair:{line_id}:{recipient}", seconds)


_PROCESS_SLOTS = LocalSlots()  # one schedule per process, shared by every bulk job in it


def build_pacer(redis_client) -> Pacer:
    """Redis-backed slots when Redis is configured, else this process's own."""
    if redis_client is None:
        return Pacer(_PROCESS_SLOTS)
    return Pacer(FailoverSlots(RedisSlots(redis_client), _PROCESS_SLOTS))
