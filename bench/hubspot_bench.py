"""HubSpot connector benchmark against the fake, over a local socket, at the documented limits.

Targets (issue 6):
- a full scan of 100k contacts takes within 20% of the theoretical minimum (pages × the limit's
  interval per request), with 0 requests over the limit (the fake counts them);
- applying 10k changes uses batch endpoints: ≤ 1 ``batch/update`` per 100 changes, plus retries.

    .venv/bin/python bench/hubspot_bench.py                 # 100k contacts, 10k changes (~2.5 min)
    .venv/bin/python bench/hubspot_bench.py --quick         # 10k contacts, 2k changes (~15 s)
    .venv/bin/python bench/hubspot_bench.py --per-10s 190   # Professional/Enterprise limits

Prints one line per measurement and, with ``--json PATH``, writes them as JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path
from typing import Any

from crm_hygiene.adapters.crm.hubspot import HubSpotCrmStore
from crm_hygiene.adapters.crm.hubspot_limits import HubSpotLimits
from crm_hygiene.local.fake_hubspot import DEFAULT_TOKEN, FakeHubSpot, FakeHubSpotServer, FakeLimits
from crm_hygiene.models.crm import FieldWrite

_FIRST = ("Ann", "Bob", "Chen", "Dana", "Eli", "Fatima", "Goran", "Hana", "Ivan", "Jade")
_LAST = ("Smith", "Okafor", "Müller", "Novak", "Garcia", "Kim", "Rossi", "Dubois", "Silva", "Khan")
_STAGES = ("subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer")
_TITLES = ("CEO", "CTO", "VP Sales", "Account Executive", "Engineer", "Analyst", "Director", "Manager")


def seed(fake: FakeHubSpot, contacts: int, rng: random.Random) -> None:
    """Synthetic contacts with the properties a scan reads (fast: no CSV round trip)."""
    owners = [fake.crm.owners.ensure(f"Owner {i}") for i in range(8)]
    start = 1_700_000_000_000
    for i in range(contacts):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        props = {
            "firstname": first, "lastname": last, "email": f"{first}.{last}.{i}@example.com".lower(),
            "phone": f"+1555{i:07d}", "company": f"Company {i % 5000}", "jobtitle": rng.choice(_TITLES),
            "city": "Austin", "state": "TX", "zip": "78701", "country": "US",
            "website": f"company{i % 5000}.com", "hubspot_owner_id": rng.choice(owners),
            "lifecyclestage": rng.choice(_STAGES), "hs_lead_status": "NEW",
        }  # fmt: skip
        fake.crm.create("contacts", props, created_ms=start + i * 1000, system=True)


def full_scan(store: HubSpotCrmStore, page_size: int) -> tuple[int, int, float, dict[str, str]]:
    """(records, pages, seconds, record id -> job title) of a full paged scan."""
    titles: dict[str, str] = {}
    cursor: str | None = None
    pages = 0
    started = time.perf_counter()
    while True:
        page = store.list_records("contact", cursor=cursor, limit=page_size)
        pages += 1
        for record in page.records:
            titles[record.record_id] = record.get("job_title")
        cursor = page.next_cursor
        if cursor is None:
            break
    return len(titles), pages, time.perf_counter() - started, titles


def apply_changes(
    store: HubSpotCrmStore, titles: dict[str, str], changes: int, rng: random.Random
) -> tuple[dict[str, int], float]:
    chosen = rng.sample(sorted(titles), changes)
    writes = [
        FieldWrite(record_id=i, field="job_title", expected_old=titles[i],
                   new_value=f"{titles[i]} (verified)", change_id=f"bench-{i}")
        for i in chosen
    ]  # fmt: skip
    started = time.perf_counter()
    results = store.write_fields("contact", writes)
    elapsed = time.perf_counter() - started
    statuses: dict[str, int] = {}
    for result in results:
        statuses[result.status] = statuses.get(result.status, 0) + 1
    return statuses, elapsed


def run(options: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(options.seed)
    limits = FakeLimits(
        per_interval=options.per_10s, interval_seconds=10.0, search_per_second=options.search_per_second
    )
    fake = FakeHubSpot(limits=limits)
    seed(fake, options.contacts, rng)
    interval = 10.0 / options.per_10s  # seconds per request at the limit
    with FakeHubSpotServer(fake) as server:
        paced = HubSpotLimits(
            requests_per_interval=options.per_10s, search_per_second=options.search_per_second
        )
        store = HubSpotCrmStore.from_settings(base_url=server.url, token=DEFAULT_TOKEN, limits=paced)
        store.field_info("contact")  # property metadata: one request, outside the timed scan
        count, pages, scan_seconds, titles = full_scan(store, 100)
        before = dict(fake.requests)
        statuses, apply_seconds = apply_changes(store, titles, options.changes, rng)
        stats = fake.stats()
        store.close()
    updates = stats["requests"].get("batch_update", 0) - before.get("batch_update", 0)
    reads = stats["requests"].get("batch_read", 0) - before.get("batch_read", 0)
    minimum = pages * interval
    return {
        "contacts": count,
        "limit": f"{options.per_10s} requests / 10 s, search {options.search_per_second}/s",
        "scan_pages": pages,
        "scan_seconds": round(scan_seconds, 2),
        "scan_theoretical_minimum_seconds": round(minimum, 2),
        "scan_ratio_to_minimum": round(scan_seconds / minimum, 3),
        "requests_over_limit": sum(stats["over_limit"].values()),
        "peak_requests_in_one_window": max(v for k, v in stats["peak_in_window"].items() if k != "search"),
        "changes": options.changes,
        "change_statuses": statuses,
        "batch_update_requests": updates,
        "batch_update_per_100_changes": round(updates / (options.changes / 100), 3),
        "batch_read_requests_before_writing": reads,
        "apply_seconds": round(apply_seconds, 2),
        "apply_theoretical_minimum_seconds": round((updates + reads) * interval, 2),
        "writes_applied_twice": stats["writes"]["repeated"],
        "client_retries": sum(s.retries for s in store.stats.values()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--per-10s", type=int, default=100, help="the app's requests per 10 s (default 100)")
    parser.add_argument("--search-per-second", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="10k contacts, 2k changes")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    options = parser.parse_args(argv)
    if options.quick:
        options.contacts, options.changes = 10_000, 2_000
    options.changes = min(options.changes, options.contacts)
    figures = run(options)
    for name, value in figures.items():
        print(f"{name:38} {value}")
    if options.json:
        options.json.write_text(json.dumps(figures, indent=2) + "\n")
    ok = (
        figures["scan_ratio_to_minimum"] <= 1.2
        and figures["requests_over_limit"] == 0
        and figures["batch_update_requests"] <= math.ceil(options.changes / 100) + figures["client_retries"]
        and figures["writes_applied_twice"] == 0
        and figures["change_statuses"].get("applied", 0) == options.changes
    )
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
