"""Pacing to a HubSpot account's limits: a token bucket the server's answers can slow down.

HubSpot counts requests in a rolling window per app (``X-HubSpot-RateLimit-Max`` requests per
``-Interval-Milliseconds``, 100 per 10 s on Free/Starter) and, separately, 5 search requests per second
per account. A token bucket with a burst of 1 at ``safety × max / interval`` never puts more than
``max`` requests in any window. The window is shared by every process of the app, so answers adjust
the pace: the headers re-pace the bucket, ``Remaining: 0`` and a 429 pause it (``Retry-After`` when
given, else a fixed hold on top of the client's jittered backoff), and a 429 of the ``DAILY`` policy
stops the run (nothing will succeed before midnight in the account's time zone).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass

import httpx

from crm_hygiene.errors import Throttled
from crm_hygiene.resilience import Clock, Sleep, TokenBucket, parse_retry_after

MAX_HEADER = "X-HubSpot-RateLimit-Max"
INTERVAL_HEADER = "X-HubSpot-RateLimit-Interval-Milliseconds"
REMAINING_HEADER = "X-HubSpot-RateLimit-Remaining"


@dataclass(frozen=True)
class HubSpotLimits:
    """The limits to pace to (defaults: the documented Free/Starter app limits).

    Attributes:
        requests_per_interval: Requests per rolling window per app (Pro/Enterprise: 190).
        interval_seconds: The window.
        search_per_second: Search requests per second per account.
        safety: Fraction of the limit used, a margin for clock and network jitter.
        share: Fraction of the app's budget this client may use (several concurrent workers: 1/n).
        adapt: Follow the server's rate-limit headers when they differ from the configured limit.
    """

    requests_per_interval: int = 100
    interval_seconds: float = 10.0
    search_per_second: float = 5.0
    safety: float = 0.95
    share: float = 1.0
    adapt: bool = True

    def general_rate(self) -> float:
        return self.requests_per_interval / self.interval_seconds * self.safety * self.share

    def search_rate(self) -> float:
        return self.search_per_second * self.safety * self.share


class PacedBucket(TokenBucket):
    """A burst-1 token bucket that can be paused (``hold``) and re-paced (``set_rate``)."""

    def __init__(self, rate: float, *, clock: Clock = time.monotonic, sleep: Sleep = time.sleep) -> None:
        super().__init__(rate, 1, clock=clock, sleep=sleep)
        self._now = clock
        self._hold_until = clock()

    def hold(self, seconds: float) -> None:
        """No token for ``seconds`` from now (a longer hold already in force wins)."""
        self._hold_until = max(self._hold_until, self._now() + seconds)

    def acquire(self, tokens: float = 1.0) -> float:
        waited = 0.0
        pause = self._hold_until - self._now()
        if pause > 0:
            self._sleep(pause)
            waited = pause
        return waited + super().acquire(tokens)

    def set_rate(self, rate: float) -> None:
        with self._lock:
            self._refill()
            self.rate = rate


class DailyLimitReached(Throttled):
    """HubSpot's daily limit is used up: nothing succeeds before midnight in the account's time zone."""


class RateLimitWatcher:
    """The ``on_response`` hook of one paced client: follows headers, pauses on 429, stops on DAILY."""

    def __init__(self, bucket: PacedBucket, limits: HubSpotLimits, *, fallback_hold: float = 1.0) -> None:
        self.bucket = bucket
        self.limits = limits
        self.fallback_hold = fallback_hold
        self.throttled: Counter[str] = Counter()

    def __call__(self, response: httpx.Response) -> None:
        if response.status_code == 429:
            self._throttled(response)
        elif self.limits.adapt:
            self._follow(response.headers)

    def _throttled(self, response: httpx.Response) -> None:
        policy = _policy_name(response)
        self.throttled[policy or "unknown"] += 1
        if policy == "DAILY":
            raise DailyLimitReached(
                "HubSpot's daily API limit is used up; it resets at midnight in the account's time zone"
            )
        wait = parse_retry_after(response.headers.get("Retry-After"))
        self.bucket.hold(self.fallback_hold if wait is None else wait)

    def _follow(self, headers: httpx.Headers) -> None:
        most, interval_ms = _number(headers.get(MAX_HEADER)), _number(headers.get(INTERVAL_HEADER))
        if not most or not interval_ms:
            return
        interval = interval_ms / 1000
        rate = most / interval * self.limits.safety * self.limits.share
        if abs(rate - self.bucket.rate) > 1e-9:
            self.bucket.set_rate(rate)
        if _number(headers.get(REMAINING_HEADER)) == 0:
            self.bucket.hold(interval / most)  # the window is full (other workers): wait for one slot


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def _policy_name(response: httpx.Response) -> str:
    try:
        body = json.loads(response.content or b"{}")
    except ValueError:
        return ""
    return str(body.get("policyName") or "") if isinstance(body, dict) else ""
