"""Token bucket, retry policy, circuit breaker, Retry-After: on a fake clock, no real waiting."""

from __future__ import annotations

import random

import pytest

from crm_hygiene.resilience import CircuitBreaker, CircuitOpen, RetryPolicy, TokenBucket, parse_retry_after


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_token_bucket_never_exceeds_its_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=10, burst=5, clock=clock, sleep=clock.sleep)
    stamps = []
    for _ in range(105):
        bucket.acquire()
        stamps.append(clock.now)
    # the first 5 go at once (burst), then one every 0.1 s
    assert stamps[4] == 0.0
    assert stamps[-1] == pytest.approx(10.0)
    for i in range(len(stamps)):
        window = [s for s in stamps if stamps[i] <= s < stamps[i] + 1.0]
        assert len(window) <= 10 + 5


def test_drain_after_a_429_makes_the_next_caller_wait() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=2, burst=2, clock=clock, sleep=clock.sleep)
    bucket.drain(pause=1.0)
    assert bucket.acquire() == pytest.approx(1.5)


def test_retry_policy_backs_off_with_jitter_and_honours_retry_after() -> None:
    policy = RetryPolicy(max_attempts=4, base_delay=1.0, max_delay=8.0, rng=random.Random(1))
    delays = [policy.delay(a) for a in (1, 2, 3, 4, 5)]
    assert all(0 <= d <= cap for d, cap in zip(delays, (1, 2, 4, 8, 8), strict=True))
    assert policy.delay(1, retry_after=12.0) == 12.0  # the server's word wins, even past the cap
    assert policy.should_retry(1, 503) and policy.should_retry(3, None)
    assert not policy.should_retry(4, 503) and not policy.should_retry(1, 400)


def test_circuit_breaker_opens_then_half_opens() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(threshold=3, reset_after=10, clock=clock)
    for _ in range(3):
        breaker.check()
        breaker.failure()
    assert breaker.state == "open"
    with pytest.raises(CircuitOpen):
        breaker.check()
    clock.now = 10
    assert breaker.state == "half_open"
    breaker.check()
    breaker.failure()  # the trial failed: open again
    assert breaker.state == "open"
    clock.now = 20
    breaker.success()
    assert breaker.state == "closed"


@pytest.mark.parametrize(
    ("header", "expected"),
    [(None, None), ("", None), ("3", 3.0), (" 1.5 ", 1.5), ("-4", 0.0), ("soon", None),
     ("Wed, 21 Oct 2015 07:28:10 GMT", 10.0)],
)  # fmt: skip
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    now = 1445412480.0  # 07:28:00 GMT that day
    assert parse_retry_after(header, now=now) == expected
