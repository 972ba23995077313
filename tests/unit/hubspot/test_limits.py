"""Pacing: the connector never exceeds the fake's windows, adapts to headers, stops on DAILY."""

from __future__ import annotations

import httpx
import pytest

from crm_hygiene.adapters.crm.hubspot_limits import HubSpotLimits, PacedBucket, RateLimitWatcher
from crm_hygiene.errors import Throttled
from crm_hygiene.local.fake_hubspot import FakeLimits, Fault
from tests.fakes.hubspot import VirtualClock, make_fake, store_for


def test_a_paced_bucket_holds_and_repaces() -> None:
    clock = VirtualClock(0.0)
    bucket = PacedBucket(10.0, clock=clock, sleep=clock.sleep)
    bucket.acquire()
    bucket.hold(3.0)
    bucket.drain()  # what the HTTP client does after a 429: must not cut the hold short
    bucket.acquire()
    assert clock.now >= 3.0
    bucket.set_rate(1.0)
    start = clock.now
    bucket.acquire()
    bucket.acquire()
    assert clock.now - start >= 1.0


def response(status: int, headers: dict[str, str] | None = None, body: bytes = b"") -> httpx.Response:
    return httpx.Response(status, headers=headers, content=body)


def test_the_watcher_follows_headers_and_pauses_on_429() -> None:
    clock = VirtualClock(0.0)
    bucket = PacedBucket(9.5, clock=clock, sleep=clock.sleep)
    watcher = RateLimitWatcher(bucket, HubSpotLimits())
    watcher(
        response(
            200, {"X-HubSpot-RateLimit-Max": "190", "X-HubSpot-RateLimit-Interval-Milliseconds": "10000"}
        )
    )
    assert bucket.rate == pytest.approx(190 / 10 * 0.95)
    watcher(response(429, {"Retry-After": "4"}, b'{"policyName":"TEN_SECONDLY_ROLLING"}'))
    bucket.acquire()
    assert clock.now >= 4.0 and watcher.throttled["TEN_SECONDLY_ROLLING"] == 1
    with pytest.raises(Throttled, match="daily"):
        watcher(response(429, {}, b'{"policyName":"DAILY","errorType":"RATE_LIMIT"}'))


def test_a_full_scan_stays_inside_every_window() -> None:
    # Given the documented Free/Starter limits and 1,500 contacts
    clock = VirtualClock()
    fake = make_fake(clock)
    for i in range(1500):
        fake.crm.create("contacts", {"email": f"p{i}@example.com"}, system=True)
    store = store_for(fake, clock)
    # When every page is read (and a search or two on the side)
    cursor, pages = None, 0
    while True:
        page = store.list_records("contact", cursor=cursor)
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    # Then no request went over a limit, and the scan took about pages × 0.1 s of (virtual) time
    stats = fake.stats()
    assert stats["over_limit"] == {}
    assert stats["peak_in_window"][next(iter(fake.tokens))] <= 100
    assert pages == 15


def test_a_429_storm_is_ridden_out_without_losing_a_page() -> None:
    clock = VirtualClock()
    fake = make_fake(clock)
    for i in range(30):
        fake.crm.create("contacts", {"email": f"p{i}@example.com"}, system=True)
    store = store_for(fake, clock)
    fake.add_faults(Fault(kind="rate_limit", times=5, method="GET", path="/objects/contacts$"))
    page = store.list_records("contact", limit=100)
    assert len(page.records) == 30
    assert store.stats["general"].throttled == 5


def test_the_daily_limit_stops_the_run() -> None:
    clock = VirtualClock()
    fake = make_fake(clock, limits=FakeLimits(daily=3))
    store = store_for(fake, clock)
    store.list_records("contact")  # properties + list: 2 of 3
    store.list_records("contact")
    with pytest.raises(Throttled, match="daily"):
        store.list_records("contact")
