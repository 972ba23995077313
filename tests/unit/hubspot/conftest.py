"""Unit tests of the HubSpot connector, webhook receiver and fake: in-process, on a virtual clock."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm_hygiene.adapters.crm.hubspot import HubSpotCrmStore
from crm_hygiene.local.fake_hubspot import FakeHubSpot
from crm_hygiene.local.fake_hubspot.seed import seed_from_export
from tests.fakes.hubspot import VirtualClock, hubspot_export, make_fake, store_for  # noqa: F401  (a fixture)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def fake(clock: VirtualClock, hubspot_export: Path) -> FakeHubSpot:  # noqa: F811  (the fixture above)
    fake = make_fake(clock)
    seed_from_export(fake.crm, hubspot_export)
    return fake


@pytest.fixture
def store(fake: FakeHubSpot, clock: VirtualClock) -> HubSpotCrmStore:
    return store_for(fake, clock)
