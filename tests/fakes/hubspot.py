"""Fake HubSpot for tests: a virtual clock, builders, and pytest fixtures.

Unit tests (no sockets) talk to the fake through ``FakeTransport`` with a ``VirtualClock`` shared by the
fake's rate limiter and the connector's pacing and backoff, so rate limits are enforced exactly and
nothing sleeps for real. Integration tests use the ``fake_hubspot`` fixture: the fake on a free
127.0.0.1 port, and ``hubspot_store`` connected to it (generous limits, backoff without sleeping).

Import the fixtures in a conftest: ``from tests.fakes.hubspot import fake_hubspot, hubspot_store``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from crm_hygiene.adapters.crm.hubspot import HubSpotCrmStore
from crm_hygiene.adapters.crm.hubspot_limits import HubSpotLimits
from crm_hygiene.local.fake_hubspot import DEFAULT_TOKEN, FakeHubSpot, FakeHubSpotServer, FakeLimits
from crm_hygiene.local.fake_hubspot.seed import seed_from_export
from crm_hygiene.local.fake_hubspot.transport import FakeTransport
from crm_hygiene.local.sample import generate_sample

START = 1_790_000_000.0  # 2026-09-21, a wall-clock second
AS_OF = dt.date(2026, 6, 1)  # the sample export is taken before START: no record is modified in the future


class VirtualClock:
    """Wall-clock seconds that only move when someone sleeps."""

    def __init__(self, start: float = START) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += max(0.0, seconds)


def make_fake(clock: VirtualClock | None = None, **options: Any) -> FakeHubSpot:
    clock = clock or VirtualClock()
    return FakeHubSpot(clock=clock, sleep=clock.sleep, **options)


def store_for(
    fake: FakeHubSpot, clock: VirtualClock, *, after: Callable[[str, str], None] | None = None,
    timeout: float = 30.0, **options: Any,
) -> HubSpotCrmStore:  # fmt: skip
    """The connector talking to ``fake`` in-process, on the same virtual clock."""
    return HubSpotCrmStore.from_settings(
        base_url="https://api.hubapi.com", token=DEFAULT_TOKEN, transport=FakeTransport(fake, timeout=timeout, after=after),
        sleep=clock.sleep, clock=clock, **options,
    )  # fmt: skip


def seeded(fake: FakeHubSpot, folder: Path) -> FakeHubSpot:
    seed_from_export(fake.crm, folder)
    return fake


@pytest.fixture(scope="session")
def hubspot_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small messy export (120 contacts, 24 companies, 30 deals) to seed fakes with."""
    folder = tmp_path_factory.mktemp("hubspot-export")
    generate_sample(folder, contacts=120, seed=11, as_of=AS_OF)
    return folder


@pytest.fixture
def fake_hubspot(hubspot_export: Path) -> Iterator[FakeHubSpotServer]:
    """The fake on a free 127.0.0.1 port, seeded, with limits far above what tests need."""
    fake = FakeHubSpot(limits=FakeLimits(per_interval=100_000, search_per_second=10_000))
    seed_from_export(fake.crm, hubspot_export)
    with FakeHubSpotServer(fake) as server:
        yield server


@pytest.fixture
def hubspot_store(fake_hubspot: FakeHubSpotServer) -> Iterator[HubSpotCrmStore]:
    """The connector on ``fake_hubspot``: real sockets, pacing to the fake's limits, no real backoff."""
    store = HubSpotCrmStore.from_settings(
        base_url=fake_hubspot.url, token=DEFAULT_TOKEN, timeout=2.0, sleep=lambda _s: None,
        limits=HubSpotLimits(requests_per_interval=100_000, search_per_second=10_000), settle_seconds=0.0,
    )  # fmt: skip
    yield store
    store.close()
