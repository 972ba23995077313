"""Pure building blocks for talking to rate-limited, flaky services: a token bucket, a retry policy
with exponential backoff and full jitter that honours Retry-After, and a circuit breaker.

Clocks and sleeps are injectable so tests run instantly and deterministically.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

Clock = Callable[[], float]
Sleep = Callable[[float], None]


class TokenBucket:
    """Allows ``rate`` acquisitions per second on average, ``burst`` at once; thread-safe.

    Every ``acquire`` waits until a token is available, so a caller can never exceed the rate.
    """

    def __init__(
        self, rate: float, burst: int = 1, *, clock: Clock = time.monotonic, sleep: Sleep = time.sleep
    ):
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst ≥ 1")
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._clock = clock
        self._sleep = sleep
        self._stamp = clock()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def acquire(self, tokens: float = 1.0) -> float:
        """Takes ``tokens``, waiting as long as needed; returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                self._refill()
                if self._tokens >= tokens - 1e-9:  # tolerance: 0.9999999 tokens must not spin forever
                    self._tokens = max(0.0, self._tokens - tokens)
                    return waited
                wait = max((tokens - self._tokens) / self.rate, 1e-6)
            self._sleep(wait)
            waited += wait

    def drain(self, pause: float = 0.0) -> None:
        """Empties the bucket (after a 429: the server says we are over), optionally pausing first."""
        with self._lock:
            self._tokens = 0.0
            self._stamp = self._clock() + pause


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, capped; a server's Retry-After wins when it is longer.

    Attributes:
        max_attempts: Attempts in all (1 = no retry).
        base_delay: Seconds before the first retry (before jitter).
        max_delay: Cap of one delay.
        retry_statuses: HTTP statuses worth retrying.
    """

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    retry_statuses: frozenset[int] = frozenset({429, 500, 502, 503, 504})
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        backoff = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        jittered = self.rng.uniform(0, backoff)
        if retry_after is not None and retry_after > 0:
            return min(max(retry_after, jittered), max(self.max_delay, retry_after))
        return jittered

    def should_retry(self, attempt: int, status: int | None) -> bool:
        """Whether to try again after attempt ``attempt`` failed with ``status`` (None: no response)."""
        return attempt < self.max_attempts and (status is None or status in self.retry_statuses)


BreakerState = Literal["closed", "open", "half_open"]


class CircuitOpen(Exception):
    """The breaker is open: the service failed repeatedly and is given time to recover."""


class CircuitBreaker:
    """Opens after ``threshold`` consecutive failures; after ``reset_after`` seconds lets one trial
    call through (half-open); a success closes it, a failure opens it again."""

    def __init__(
        self, threshold: int = 5, reset_after: float = 30.0, *, clock: Clock = time.monotonic
    ) -> None:
        self.threshold = threshold
        self.reset_after = reset_after
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._lock = threading.Lock()

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return "closed"
        return "half_open" if self._clock() - self._opened_at >= self.reset_after else "open"

    def check(self) -> None:
        """Raises ``CircuitOpen`` unless a call may go through now."""
        if self.state == "open":
            raise CircuitOpen(f"circuit open after {self._failures} consecutive failures")

    def success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None

    def failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._failures >= self.threshold or self._opened_at is not None:
                self._opened_at = self._clock()


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))
