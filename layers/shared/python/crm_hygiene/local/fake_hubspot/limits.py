"""Rate limits as HubSpot enforces them (crm-apis.md A.13): a rolling window per app (token), 5
search requests per second per account, a daily cap, and the counters the benchmark reads."""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class FakeLimits:
    """The limits the fake enforces (defaults: Free/Starter apps). ``enabled=False`` turns them off."""

    per_interval: int = 100
    interval_seconds: float = 10.0
    search_per_second: int = 5
    daily: int = 250_000
    enabled: bool = True


class RollingWindow:
    """At most ``most`` admissions in any ``interval`` seconds; remembers its busiest window."""

    def __init__(self, most: int, interval: float) -> None:
        self.most = most
        self.interval = interval
        self._stamps: deque[float] = deque()
        self.peak = 0

    def admit(self, now: float) -> bool:
        while self._stamps and self._stamps[0] <= now - self.interval:
            self._stamps.popleft()
        if len(self._stamps) >= self.most:
            return False
        self._stamps.append(now)
        self.peak = max(self.peak, len(self._stamps))
        return True

    def remaining(self, now: float) -> int:
        while self._stamps and self._stamps[0] <= now - self.interval:
            self._stamps.popleft()
        return max(0, self.most - len(self._stamps))


@dataclass
class LimitDecision:
    """Admitted, or the policy that refused the request."""

    policy: str | None
    headers: dict[str, str] = field(default_factory=dict)


class RateLimiter:
    """Per-app windows, the account's search window and daily count; thread-safe."""

    def __init__(self, limits: FakeLimits, clock: Callable[[], float]) -> None:
        self.limits = limits
        self._clock = clock
        self._lock = threading.Lock()
        self._apps: dict[str, RollingWindow] = {}
        self._search = RollingWindow(limits.search_per_second, 1.0)
        self.daily_used = 0
        self.over_limit: Counter[str] = Counter()

    def check(self, app: str, *, search: bool) -> LimitDecision:
        """Counts one request; ``policy`` is set when it is over a limit (and it is not counted)."""
        if not self.limits.enabled:
            return LimitDecision(None)
        with self._lock:
            now = self._clock()
            window = self._apps.setdefault(
                app, RollingWindow(self.limits.per_interval, self.limits.interval_seconds)
            )
            policy = self._refusal(window, now, search)
            if policy is not None:
                self.over_limit[policy] += 1
            else:
                self.daily_used += 1
            headers = {} if search else self._headers(window, now)
            return LimitDecision(policy, headers)

    def _refusal(self, window: RollingWindow, now: float, search: bool) -> str | None:
        if self.daily_used >= self.limits.daily:
            return "DAILY"
        if search:
            return None if self._search.admit(now) else "SECONDLY"
        return None if window.admit(now) else "TEN_SECONDLY_ROLLING"

    def _headers(self, window: RollingWindow, now: float) -> dict[str, str]:
        # Search answers carry none of these (crm-apis.md A.13).
        return {
            "X-HubSpot-RateLimit-Daily": str(self.limits.daily),
            "X-HubSpot-RateLimit-Daily-Remaining": str(max(0, self.limits.daily - self.daily_used)),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(self.limits.interval_seconds * 1000)),
            "X-HubSpot-RateLimit-Max": str(self.limits.per_interval),
            "X-HubSpot-RateLimit-Remaining": str(window.remaining(now)),
            "X-HubSpot-RateLimit-Secondly": str(
                max(1, round(self.limits.per_interval / self.limits.interval_seconds))
            ),
            "X-HubSpot-RateLimit-Secondly-Remaining": str(max(0, window.remaining(now) // 10)),
        }

    def peaks(self) -> dict[str, int]:
        """The most requests seen in one window, per app and for search."""
        with self._lock:
            return {**{app: w.peak for app, w in self._apps.items()}, "search": self._search.peak}
