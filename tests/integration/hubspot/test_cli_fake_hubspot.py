"""``crm-hygiene fake-hubspot`` as a user runs it, and seeding a running fake from an export."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from crm_hygiene.local.fake_hubspot import DEFAULT_TOKEN, FakeHubSpotServer, seed_running_fake


@pytest.fixture
def running(hubspot_export: Path) -> Iterator[tuple[str, str]]:
    entry = "from crm_hygiene.cli import main; raise SystemExit(main())"
    command = [sys.executable, "-c", entry, "fake-hubspot", "--port", "0", "--seed-from", str(hubspot_export)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        seeded = process.stdout.readline()  # type: ignore[union-attr]
        banner = process.stdout.readline()  # type: ignore[union-attr]
        yield seeded, banner
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_command_serves_a_seeded_fake(running: tuple[str, str]) -> None:
    seeded, banner = running
    assert seeded.startswith("Seeded ") and "120 contacts" in seeded
    url = banner.split(" on ", 1)[1].split(" ", 1)[0]
    answer = httpx.get(
        f"{url}/crm/v3/objects/contacts",
        params={"limit": 1},
        headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"},
    )
    assert answer.status_code == 200 and answer.json()["results"][0]["id"] == "100001"


def test_seed_a_running_fake_from_an_export(hubspot_export: Path) -> None:
    with FakeHubSpotServer() as server:
        added = seed_running_fake(server.url, hubspot_export)
        again = seed_running_fake(server.url, hubspot_export)
        assert added == {"companies": 24, "contacts": 120, "deals": 30}
        assert again == {"companies": 0, "contacts": 0, "deals": 0}  # idempotent
        assert server.fake.crm.associations.types("deals", 900001, "companies")
