"""An httpx client wrapper that rate-limits, retries safely and breaks the circuit.

Retries never double-apply: a request that is not idempotent is retried only when it certainly did
not reach the server or was certainly not processed (connection refused, a 429); when the outcome is
unknown (a timeout after sending, a dropped connection, any 5xx, 503 included: a gateway may answer
503 after the service behind it did the work) it raises ``UncertainOutcome`` so the caller can check
what happened (read the record back) before trying again. ``once=True`` sends a request at most once,
for callers that must read before anything is resent (HubSpot writes: the guard read goes stale
while the client backs off).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from crm_hygiene.errors import HygieneError, Throttled
from crm_hygiene.resilience import CircuitBreaker, RetryPolicy, Sleep, TokenBucket, parse_retry_after

# Answers that say the request was not processed, so even a write may be retried. Not 503: HubSpot
# (and any service behind a load balancer) can answer 503 after the write was done.
_NOT_PROCESSED = frozenset({429})


class UncertainOutcome(HygieneError):
    """A non-idempotent request may or may not have been applied; verify before retrying."""


class ServiceError(HygieneError):
    """The service answered with an error that retrying will not fix (or retries ran out)."""

    def __init__(self, message: str, status: int | None = None, body: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class NotSent(ServiceError):
    """The request never reached the service (the connection was refused): nothing was processed."""


@dataclass
class CallStats:
    """Counts for benchmarks and provider quality: requests, retries, 429s, waits."""

    requests: int = 0
    retries: int = 0
    throttled: int = 0
    failures: int = 0
    waited_seconds: float = 0.0
    by_status: dict[int, int] = field(default_factory=dict)


@dataclass
class ResilientClient:
    """Wraps an ``httpx.Client`` (injected: tests pass a mock transport or a local fake's URL).

    Attributes:
        on_response: Called with every response (e.g. to adapt the limiter to rate-limit headers).
    """

    client: httpx.Client
    limiter: TokenBucket | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    breaker: CircuitBreaker | None = None
    sleep: Sleep = time.sleep
    on_response: Callable[[httpx.Response], None] | None = None
    stats: CallStats = field(default_factory=CallStats)

    def request(
        self, method: str, url: str, *, idempotent: bool | None = None, once: bool = False, **kwargs: Any
    ) -> httpx.Response:
        """Sends a request with limits, retries and the breaker; returns the final response.

        Args:
            idempotent: Whether repeating the request is harmless; defaults to True for GET/HEAD/
                OPTIONS/PUT/DELETE and False otherwise (POST, PATCH).
            once: Send it at most once, whatever the answer: the caller retries (after reading).

        Raises:
            Throttled: still rate-limited after the last attempt.
            UncertainOutcome: a non-idempotent request may have been applied.
            NotSent: the connection was refused (after the last attempt).
            ServiceError: a 4xx (other than 429) or retries exhausted on 5xx.
            CircuitOpen: the service is failing and is being left alone.
        """
        safe = (
            idempotent
            if idempotent is not None
            else method.upper() in ("GET", "HEAD", "OPTIONS", "PUT", "DELETE")
        )
        attempt = 0
        while True:
            attempt += 1
            response, error = self._send(method, url, **kwargs)
            if response is not None and response.status_code < 400:
                return response
            status = response.status_code if response is not None else None
            if once or not self._retryable(attempt, status, error, safe):
                self._fail(response, error, safe)
            retry_after = (
                parse_retry_after(response.headers.get("Retry-After")) if response is not None else None
            )
            pause = self.retry.delay(attempt, retry_after)
            if status == 429 and self.limiter is not None:
                self.limiter.drain()
            self.stats.retries += 1
            self.stats.waited_seconds += pause
            self.sleep(pause)

    def _send(self, method: str, url: str, **kwargs: Any) -> tuple[httpx.Response | None, Exception | None]:
        if self.breaker is not None:
            self.breaker.check()
        if self.limiter is not None:
            self.stats.waited_seconds += self.limiter.acquire()
        self.stats.requests += 1
        try:
            response = self.client.request(method, url, **kwargs)
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            self._count(None)
            return None, exc
        self._count(response)
        if self.on_response is not None:
            self.on_response(response)
        return response, None

    def _count(self, response: httpx.Response | None) -> None:
        ok = response is not None and response.status_code < 500 and response.status_code != 429
        if self.breaker is not None:
            (self.breaker.success if ok else self.breaker.failure)()
        if response is None:
            self.stats.failures += 1
            return
        self.stats.by_status[response.status_code] = self.stats.by_status.get(response.status_code, 0) + 1
        self.stats.throttled += response.status_code == 429

    def _retryable(self, attempt: int, status: int | None, error: Exception | None, safe: bool) -> bool:
        if not self.retry.should_retry(attempt, status):
            return False
        if safe:
            return True
        if status in _NOT_PROCESSED:
            return True
        return isinstance(error, httpx.ConnectError)  # refused before anything was sent

    def _fail(self, response: httpx.Response | None, error: Exception | None, safe: bool) -> None:
        if response is None:
            if isinstance(error, httpx.ConnectError):
                raise NotSent(f"no connection: {type(error).__name__}: {error}")
            if not safe:
                raise UncertainOutcome(
                    f"no answer ({type(error).__name__}); the request may have been applied"
                )
            raise ServiceError(f"no answer after retries: {type(error).__name__}: {error}")
        status = response.status_code
        if status == 429:
            raise Throttled("rate-limited (HTTP 429)")
        if status >= 500 and not safe:
            raise UncertainOutcome(f"HTTP {status}; the request may have been applied")
        raise ServiceError(f"HTTP {status}: {response.text[:500]}", status=status, body=response.text)
