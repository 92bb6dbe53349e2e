"""The request limiter's windows, lockout and fail-open behaviour, without a server."""
import pytest
import redis

from app.private import ratelimit
from app.private.ratelimit import RequestLimiter


def test_each_window_is_counted_and_the_longest_wait_is_reported(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(ratelimit.time, "monotonic", lambda: clock[0])
    limiter = RequestLimiter("2 per second;3 per minute", "5 per minute", None)
    assert [limiter.check("key:a", "10.0.0.1").retry_after for _ in range(2)] == [0, 0]
    assert limiter.check("key:a", "10.0.0.1").retry_after == 1  # the per-second window is full
    clock[0] += 1.5
    # The second window opened, but the minute's three are used: wait for the minute to end.
    verdict = limiter.check("key:a", "10.0.0.1")
    assert 58 <= verdict.retry_after <= 60
    assert limiter.check("key:b", "10.0.0.1").retry_after == 0  # another caller has its own windows


def test_failed_authentications_lock_the_address_out_until_the_window_ends(monkeypatch):
    clock = [50.0]
    monkeypatch.setattr(ratelimit.time, "monotonic", lambda: clock[0])
    limiter = RequestLimiter("100 per minute", "3 per minute", None)
    for _ in range(2):
        limiter.record_failure("10.0.0.9")
    assert limiter.check("ip:10.0.0.9", "10.0.0.9").locked_out_for == 0
    limiter.record_failure("10.0.0.9")
    assert limiter.check("key:x", "10.0.0.9").locked_out_for == 60
    assert limiter.locked_out_for("10.0.0.9") == 60 and limiter.locked_out_for("10.0.0.10") == 0
    clock[0] += 59.5
    assert limiter.locked_out_for("10.0.0.9") == 1  # rounded up, never 0 while locked
    clock[0] += 1
    assert limiter.locked_out_for("10.0.0.9") == 0


def test_redis_failing_lets_requests_through_and_is_left_alone_for_a_second(monkeypatch, caplog):
    clock = [10.0]
    monkeypatch.setattr(ratelimit.time, "monotonic", lambda: clock[0])
    limiter = RequestLimiter("1 per minute", "1 per minute", "redis://127.0.0.1:1/0")
    calls = []

    def failing(keys, args):
        calls.append(keys)
        raise redis.ConnectionError("refused")

    limiter._check_script = failing
    verdicts = [limiter.check("key:a", "10.0.0.1") for _ in range(3)]
    assert all(v.retry_after == 0 and v.locked_out_for == 0 for v in verdicts)
    assert len(calls) == 1 and "rate limit storage unavailable" in caplog.text
    clock[0] += 1.1
    limiter.check("key:a", "10.0.0.1")
    assert len(calls) == 2


@pytest.mark.parametrize("setting", ["lots", "10 per fortnight"])
def test_an_unreadable_limit_stops_start_up_naming_the_setting(make_app, setting):
    from config import ConfigError

    with pytest.raises(ConfigError, match="RATELIMIT_DEFAULT"):
        make_app({"RATELIMIT_DEFAULT": setting}, database=False)
