"""HubSpotCrmStore reads against the fake: paging, batch read, incremental search, labels, merges."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from crm_hygiene.adapters.crm.hubspot import HubSpotAuthError, HubSpotCrmStore
from crm_hygiene.adapters.secrets import EnvSecretStore
from crm_hygiene.errors import NotFound
from crm_hygiene.local.fake_hubspot import FakeHubSpot
from crm_hygiene.local.fake_hubspot.transport import FakeTransport
from tests.fakes.hubspot import VirtualClock, make_fake, store_for


def scan(store: HubSpotCrmStore, object_type: str, limit: int = 100) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        page = store.list_records(object_type, cursor=cursor, limit=limit)  # type: ignore[arg-type]
        ids += [r.record_id for r in page.records]
        if page.next_cursor is None:
            return ids
        cursor = page.next_cursor


def test_paging_reads_every_live_record_once(store: HubSpotCrmStore, fake: FakeHubSpot) -> None:
    fake.crm.archive("contacts", "100007")
    ids = scan(store, "contact", limit=7)
    assert len(ids) == len(set(ids)) == fake.stats()["records"]["contacts"]
    assert "100007" not in ids


def test_records_hold_labels_and_canonical_names(store: HubSpotCrmStore) -> None:
    record = store.list_records("contact", limit=1).records[0]
    assert record.source == "hubspot" and record.record_id == "100001"
    assert record.fields["lifecycle_stage"] in {"Subscriber", "Lead", "Marketing Qualified Lead", "Sales Qualified Lead",
                                                "Opportunity", "Customer", "Evangelist", "Other", ""}  # fmt: skip
    assert not record.fields["owner"].isdigit()  # the owner's name, not the id
    assert record.fields["created_at"].endswith("Z")


def test_deals_carry_their_company_from_associations(store: HubSpotCrmStore, hubspot_export: Path) -> None:
    listed = {r.record_id: r.fields["company_id"] for r in store.list_records("deal", limit=100).records}
    read = {r.record_id: r.fields["company_id"] for r in store.get_records("deal", list(listed))}
    assert listed == read and sum(1 for v in listed.values() if v) > len(listed) // 2


def test_get_records_follows_merges_and_leaves_out_the_missing(
    store: HubSpotCrmStore, fake: FakeHubSpot
) -> None:
    survivor = fake.crm.merge("contacts", "100001", "100002")
    records = store.get_records("contact", ["100001", "100002", "100003", "555555", "100003"])
    assert [r.record_id for r in records] == [str(survivor.id), "100003"]
    assert records[0].custom["hs_merged_object_ids"] == "100001;100002"
    assert store.get_record("contact", "100002").record_id == str(survivor.id)  # type: ignore[union-attr]
    assert store.get_record("contact", "555555") is None


def test_changed_since_returns_exactly_the_records_changed(
    store: HubSpotCrmStore, fake: FakeHubSpot, clock: VirtualClock
) -> None:
    clock.now = datetime(2031, 1, 1, tzinfo=UTC).timestamp()  # after every date in the export
    since = datetime.fromtimestamp(clock.now, UTC)
    for record_id in ("100003", "100010", "100011"):
        clock.sleep(1)
        fake.ui_update("contacts", record_id, {"jobtitle": "Changed"})
    changed = [r.record_id for r in store.changed_since("contact", since)]
    assert changed == ["100003", "100010", "100011"]


def test_changed_since_slices_past_the_10000_window_without_losing_a_record(clock: VirtualClock) -> None:
    # Given 10,450 contacts, 450 of them modified in the very same millisecond (a bulk import)
    fake = make_fake(clock)
    for i in range(10_000):
        fake.crm.create(
            "contacts", {"email": f"p{i}@x.com"}, updated_ms=1_700_000_000_000 + i * 7, system=True
        )
    for i in range(450):
        fake.crm.create("contacts", {"email": f"bulk{i}@x.com"}, updated_ms=1_700_000_100_000, system=True)
    store = store_for(fake, clock)
    # When the whole history is scanned incrementally
    ids = [r.record_id for r in store.changed_since("contact", datetime(2020, 1, 1, tzinfo=UTC))]
    # Then every record comes exactly once and no request hit the window (a 400)
    assert len(ids) == len(set(ids)) == 10_450
    assert store.stats["search"].by_status.keys() == {200}
    assert fake.stats()["over_limit"] == {}


def test_changed_since_does_not_skip_records_when_others_change_during_the_scan(clock: VirtualClock) -> None:
    fake = make_fake(clock)
    for i in range(1000):
        fake.crm.create("contacts", {"email": f"p{i}@x.com"}, updated_ms=1_700_000_000_000 + i, system=True)
    edits = iter(range(1, 1000, 97))

    def someone_edits(method: str, path: str) -> None:
        if path.endswith("/search"):
            record = next(edits, None)
            if record is not None:
                fake.ui_update("contacts", str(record), {"jobtitle": "edited meanwhile"})

    store = store_for(fake, clock, after=someone_edits)
    ids = {r.record_id for r in store.changed_since("contact", datetime(2020, 1, 1, tzinfo=UTC))}
    assert ids == {str(i) for i in range(1, 1001)}


def test_field_info_comes_from_the_portals_metadata(store: HubSpotCrmStore) -> None:
    info = store.field_info("deal")
    assert info["stage"].writable and "Closed Won" in info["stage"].options
    assert not info["last_activity_at"].writable and not info["company_id"].writable


def test_associations_with_labels(store: HubSpotCrmStore, fake: FakeHubSpot) -> None:
    companies = store.associations("contact", "100001", "companies")
    store.associate("contact", "100001", "companies", "500002")
    store.associate(
        "contact", "100001", "companies", "500003", labels=[("HUBSPOT_DEFINED", 279), ("HUBSPOT_DEFINED", 1)]
    )
    after = {a.to_id: a for a in store.associations("contact", "100001", "companies")}
    assert {"500002", "500003"} <= set(after) and len(after) >= len(companies)
    assert after["500003"].primary and after["500003"].labels == ["Primary"]
    assert not after["500002"].primary
    back = {a.to_id for a in store.associations("company", "500003", "contacts")}
    assert "100001" in back


def test_tokens_come_from_a_secret_store_and_a_bad_one_is_an_auth_error(
    fake: FakeHubSpot, clock: VirtualClock
) -> None:
    def build(token: str) -> HubSpotCrmStore:
        return HubSpotCrmStore.from_settings(
            secrets=EnvSecretStore({"HUBSPOT_TOKEN": token}),
            transport=FakeTransport(fake),
            sleep=clock.sleep,
            clock=clock,
        )

    assert build("fake-hubspot-token").list_records("company", limit=1).records
    with pytest.raises(HubSpotAuthError) as failure:
        build("revoked").list_records("company", limit=1)
    assert failure.value.status == 401 and "revoked" not in str(failure.value)
    with pytest.raises(NotFound):
        HubSpotCrmStore.from_settings(secrets=EnvSecretStore({}), transport=FakeTransport(fake)).field_info(
            "contact"
        )
