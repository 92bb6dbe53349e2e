"""Request rate limits per caller, and the lockout after repeated failed authentications.

Fixed windows, parsed by the `limits` library ("600 per minute", several separated by ";"). They
are kept in Redis when REDIS_URL is set, so every process shares them, and in process memory
otherwise. One Lua call per request counts it against each of its caller's windows and reads the
client address's failed-authentication count, so a request costs a single Redis round trip.

Redis failing: requests go through unlimited (fail open), the failure is logged, and Redis is left
alone for a second so that each request does not wait out a connection timeout.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import redis
from limits import RateLimitItem, parse, parse_many

log = logging.getLogger(__name__)

KEY_PREFIX = "wamsvc"
RETRY_REDIS_AFTER = 1.0

# KEYS: the caller's windows..., then the address's failure counter. ARGV: each window in ms.
# Returns, per window, its count and ms left; then the failure count and its ms left.
_CHECK = """
local out = {}
for i = 1, #ARGV do
  local count = redis.call('INCR', KEYS[i])
  if count == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[i]) end
  out[#out + 1] = count
  out[#out + 1] = redis.call('PTTL', KEYS[i])
end
local failures = KEYS[#ARGV + 1]
out[#out + 1] = tonumber(redis.call('GET', failures) or '0')
out[#out + 1] = redis.call('PTTL', failures)
return out
"""
_FAIL = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count
"""


@dataclass(frozen=True)
class Verdict:
    """What one check found: seconds to wait for the rate limit, and for the auth lockout (0: none)."""

    retry_after: int = 0
    locked_out_for: int = 0


class _MemoryWindows:
    """Fixed windows in this process: key -> [count, expires_at]."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, list[float]] = {}

    def hit(self, key: str, seconds: float, now: float) -> tuple[int, float]:
        with self._lock:
            window = self._windows.get(key)
            if window is None or window[1] <= now:
                if len(self._windows) > 100_000:
                    self._prune(now)
                window = self._windows[key] = [0, now + seconds]
            window[0] += 1
            return int(window[0]), window[1] - now

    def get(self, key: str, now: float) -> tuple[int, float]:
        window = self._windows.get(key)
        if window is None or window[1] <= now:
            return 0, 0.0
        return int(window[0]), window[1] - now

    def _prune(self, now: float) -> None:
        for key in [k for k, w in self._windows.items() if w[1] <= now]:
            del self._windows[key]


def _seconds(remaining: float) -> int:
    """Retry-After: whole seconds, rounded up, at least 1."""
    return max(1, int(remaining) + (remaining % 1 > 0))


class RequestLimiter:
    """The service's one limiter; `check` per request, `record_failure` per failed authentication."""

    def __init__(self, default: str, auth_failures: str, redis_url: str | None, enabled: bool = True) -> None:
        self.enabled = enabled
        self.limits: list[RateLimitItem] = parse_many(default)
        self.failure_limit: RateLimitItem = parse(auth_failures)
        self._memory = _MemoryWindows()
        self._redis = None
        self._skip_redis_until = 0.0
        if redis_url:
            client = redis.Redis.from_url(redis_url, socket_connect_timeout=0.5, socket_timeout=0.5)
            self._redis = client
            self._check_script = client.register_script(_CHECK)
            self._fail_script = client.register_script(_FAIL)

    # -- per request ------------------------------------------------------------------------
    def check(self, caller: str, address: str) -> Verdict:
        """Count a request from caller (an API key's fingerprint, else the address) and judge it."""
        keys = [self._window_key(caller, item) for item in self.limits] + [self._failure_key(address)]
        windows = [item.get_expiry() for item in self.limits]
        if self._redis is not None:
            counts = self._redis_call(self._check_script, keys, [int(s * 1000) for s in windows])
            if counts is None:
                return Verdict()  # fail open
        else:
            now = time.monotonic()
            counts = []
            for key, seconds in zip(keys, windows):
                count, left = self._memory.hit(key, seconds, now)
                counts += [count, left * 1000]
            failures, left = self._memory.get(keys[-1], now)
            counts += [failures, left * 1000]
        retry_after = 0
        for i, item in enumerate(self.limits):
            count, left_ms = counts[2 * i], counts[2 * i + 1]
            if count > item.amount:
                retry_after = max(retry_after, _seconds(max(left_ms, 0) / 1000))
        failures, failures_left_ms = counts[-2], counts[-1]
        locked = _seconds(max(failures_left_ms, 0) / 1000) if failures >= self.failure_limit.amount else 0
        return Verdict(retry_after=retry_after, locked_out_for=locked)

    def locked_out_for(self, address: str) -> int:
        """Seconds the address must wait after too many failed authentications (0: none)."""
        key = self._failure_key(address)
        if self._redis is not None:
            if time.monotonic() < self._skip_redis_until:
                return 0
            try:
                count, left_ms = self._redis.pipeline(transaction=False).get(key).pttl(key).execute()
                count = int(count or 0)
            except redis.RedisError as exc:
                self._redis_failed(exc)
                return 0
        else:
            count, left = self._memory.get(key, time.monotonic())
            left_ms = left * 1000
        return _seconds(max(left_ms, 0) / 1000) if count >= self.failure_limit.amount else 0

    def record_failure(self, address: str) -> None:
        """Count a failed authentication from the address."""
        key, seconds = self._failure_key(address), self.failure_limit.get_expiry()
        if self._redis is not None:
            self._redis_call(self._fail_script, [key], [int(seconds * 1000)])
        else:
            self._memory.hit(key, seconds, time.monotonic())

    # -- storage ------------------------------------------------------------------------------
    def _redis_call(self, script, keys: list[str], args: list[int]):
        """The script's result, or None while Redis is failing."""
        if time.monotonic() < self._skip_redis_until:
            return None
        try:
            return script(keys=keys, args=args)
        except redis.RedisError as exc:
            self._redis_failed(exc)
            return None

    def _redis_failed(self, exc: Exception) -> None:
        self._skip_redis_until = time.monotonic() + RETRY_REDIS_AFTER
        log.error("rate limit storage unavailable (%s); failing open for %.0fs", type(exc).__name__,
                  RETRY_REDIS_AFTER)

    @staticmethod
    def _window_key(caller: str, item: RateLimitItem) -> str:
        return f"{KEY_PREFIX}:rate:{caller}:{item.amount}/{item.get_expiry()}"

    @staticmethod
    def _failure_key(address: str) -> str:
        return f"{KEY_PREFIX}:authfail:{address}"
