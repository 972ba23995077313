"""ResilientClient against httpx.MockTransport: retries that are safe, and never a double write."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from crm_hygiene.adapters.http import NotSent, ResilientClient, ServiceError, UncertainOutcome
from crm_hygiene.errors import Throttled
from crm_hygiene.resilience import CircuitBreaker, CircuitOpen, RetryPolicy


def client(
    answers: list[Callable[[httpx.Request], httpx.Response]], **kw: object
) -> tuple[ResilientClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers[min(len(seen), len(answers)) - 1](request)

    http = httpx.Client(transport=httpx.MockTransport(handler), base_url="https://api.test")
    waits: list[float] = []
    rc = ResilientClient(http, retry=RetryPolicy(max_attempts=4, base_delay=0.01), sleep=waits.append, **kw)  # type: ignore[arg-type]
    return rc, seen


def status(code: int, headers: dict[str, str] | None = None) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(code, headers=headers, json={"status": code})


def boom(exc: type[Exception]) -> Callable[[httpx.Request], httpx.Response]:
    def raise_(request: httpx.Request) -> httpx.Response:
        raise exc("boom", request=request)  # type: ignore[call-arg]

    return raise_


def test_get_is_retried_through_5xx_and_timeouts() -> None:
    rc, seen = client([status(502), boom(httpx.ReadTimeout), status(200)])
    assert rc.request("GET", "/x").status_code == 200
    assert len(seen) == 3 and rc.stats.retries == 2


def test_429_is_retried_even_for_writes_and_honours_retry_after() -> None:
    rc, seen = client([status(429, {"Retry-After": "2"}), status(200)])
    assert rc.request("POST", "/batch/update", json={}).status_code == 200
    assert len(seen) == 2 and rc.stats.throttled == 1 and rc.stats.waited_seconds >= 2


def test_a_write_that_timed_out_is_not_retried_blindly() -> None:
    rc, seen = client([boom(httpx.ReadTimeout), status(200)])
    with pytest.raises(UncertainOutcome):
        rc.request("PATCH", "/objects/1", json={})
    assert len(seen) == 1


def test_a_write_answered_500_is_uncertain_and_not_retried() -> None:
    rc, seen = client([status(500), status(200)])
    with pytest.raises(UncertainOutcome):
        rc.request("POST", "/batch/update", json={})
    assert len(seen) == 1


def test_a_refused_connection_is_retried_for_writes() -> None:
    rc, seen = client([boom(httpx.ConnectError), status(200)])
    assert rc.request("POST", "/x").status_code == 200 and len(seen) == 2


def test_client_errors_are_not_retried_and_throttling_runs_out() -> None:
    rc, seen = client([status(400)])
    with pytest.raises(ServiceError) as caught:
        rc.request("GET", "/x")
    assert caught.value.status == 400 and len(seen) == 1
    rc, seen = client([status(429)])
    with pytest.raises(Throttled):
        rc.request("GET", "/x")
    assert len(seen) == 4


def test_breaker_stops_calls_to_a_failing_service() -> None:
    rc, seen = client([status(503)], breaker=CircuitBreaker(threshold=2, reset_after=60))
    with pytest.raises(CircuitOpen):
        rc.request("GET", "/x")
    assert len(seen) == 2


def test_a_write_answered_503_is_uncertain_not_resent() -> None:
    # HubSpot can answer 503 after the write was done: resending it blindly overwrote people's edits
    rc, seen = client([status(503), status(200)])
    with pytest.raises(UncertainOutcome):
        rc.request("POST", "/batch/update", json={})
    assert len(seen) == 1


def test_a_read_answered_503_is_still_retried() -> None:
    rc, seen = client([status(503), status(200)])
    assert rc.request("POST", "/batch/read", json={}, idempotent=True).status_code == 200 and len(seen) == 2


@pytest.mark.parametrize(
    ("answer", "raised"),
    [
        (status(429), Throttled),
        (status(423), ServiceError),
        (status(503), UncertainOutcome),
        (boom(httpx.ReadTimeout), UncertainOutcome),
        (boom(httpx.RemoteProtocolError), UncertainOutcome),
        (boom(httpx.ConnectError), NotSent),
    ],
    ids=["429", "423", "503", "timeout", "dropped", "refused"],
)
def test_once_sends_a_write_a_single_time_whatever_the_answer(
    answer: Callable[[httpx.Request], httpx.Response], raised: type[Exception]
) -> None:
    rc, seen = client([answer, status(200)])
    with pytest.raises(raised):
        rc.request("PATCH", "/objects/1", json={}, once=True)
    assert len(seen) == 1 and rc.stats.retries == 0
