"""The connector against the fake over real sockets: keep-alive, timeouts, dropped connections."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from crm_hygiene.adapters.crm.hubspot import HubSpotCrmStore
from crm_hygiene.adapters.crm.hubspot_limits import HubSpotLimits
from crm_hygiene.local.fake_hubspot import DEFAULT_TOKEN, FakeHubSpotServer, Fault
from crm_hygiene.models.crm import FieldWrite


def planned(store: HubSpotCrmStore, ids: list[str], field: str, tag: str) -> list[FieldWrite]:
    records = {r.record_id: r for r in store.get_records("contact", ids)}
    return [
        FieldWrite(
            record_id=i,
            field=field,
            expected_old=r.get(field),
            new_value=f"{tag} {i}",
            change_id=f"{tag}/{i}",
        )
        for i, r in records.items()
    ]


def api_writes(server: FakeHubSpotServer, prop: str) -> dict[int, int]:
    return {
        object_id: n
        for (kind, object_id, name), n in server.fake.crm.writes.items()
        if kind == "contacts" and name == prop
    }


def test_a_full_read_write_merge_round_trip(
    hubspot_store: HubSpotCrmStore, fake_hubspot: FakeHubSpotServer
) -> None:
    ids, cursor = [], None
    while True:
        page = hubspot_store.list_records("contact", cursor=cursor, limit=50)
        ids += [r.record_id for r in page.records]
        if not (cursor := page.next_cursor):
            break
    assert len(ids) == len(set(ids)) == fake_hubspot.fake.stats()["records"]["contacts"]
    results = hubspot_store.write_fields("contact", planned(hubspot_store, ids[:30], "job_title", "Title"))
    assert {r.status for r in results} == {"applied"}
    merged = hubspot_store.merge("contact", ids[0], ids[1])
    assert hubspot_store.get_record("contact", ids[1]).record_id == merged.surviving_id  # type: ignore[union-attr]
    changed = {r.record_id for r in hubspot_store.changed_since("contact", datetime(2026, 9, 1, tzinfo=UTC))}
    assert set(ids[2:30]) <= changed and merged.surviving_id in changed


def test_dropped_connections_and_500s_apply_each_change_once(
    hubspot_store: HubSpotCrmStore, fake_hubspot: FakeHubSpotServer
) -> None:
    ids = [str(100001 + i) for i in range(60)]
    writes = planned(hubspot_store, ids, "city", "Town")
    fake_hubspot.fake.add_faults(
        Fault(kind="drop", method="POST", path="batch/update", phase="after"),
        Fault(kind="status", status=500, method="POST", path="batch/read", skip=1),
        Fault(kind="drop", method="GET", times=2),
    )
    results = hubspot_store.write_fields("contact", writes)
    assert {r.status for r in results} == {"applied"}
    assert (
        set(api_writes(fake_hubspot, "city").values()) == {1} and len(api_writes(fake_hubspot, "city")) == 60
    )


def test_a_timeout_after_the_write_landed_is_verified_not_repeated(fake_hubspot: FakeHubSpotServer) -> None:
    store = HubSpotCrmStore.from_settings(
        base_url=fake_hubspot.url, token=DEFAULT_TOKEN, timeout=0.3, sleep=lambda _s: None, settle_seconds=0.0,
        limits=HubSpotLimits(requests_per_interval=100_000, search_per_second=10_000),
    )  # fmt: skip
    writes = planned(store, ["100010", "100011"], "city", "Late")
    fake_hubspot.fake.add_faults(
        Fault(kind="slow", delay=0.6, method="POST", path="batch/update", phase="after")
    )
    assert {r.status for r in store.write_fields("contact", writes)} == {"applied"}
    assert api_writes(fake_hubspot, "city") == {100010: 1, 100011: 1}
    assert store.stats["general"].failures == 1  # the timed-out request


def test_a_request_still_in_flight_when_the_client_gave_up_is_waited_for(
    fake_hubspot: FakeHubSpotServer,
) -> None:
    # The write is held 0.6 s before HubSpot processes it; the client gives up at 0.3 s. Re-reading at
    # once would see the old value and write again; the settle pause (0.8 s) lets it land first.
    store = HubSpotCrmStore.from_settings(
        base_url=fake_hubspot.url, token=DEFAULT_TOKEN, timeout=0.3, settle_seconds=0.8,
        limits=HubSpotLimits(requests_per_interval=100_000, search_per_second=10_000),
    )  # fmt: skip
    writes = planned(store, ["100012"], "city", "Slow")
    fake_hubspot.fake.add_faults(Fault(kind="slow", delay=0.6, method="POST", path="batch/update"))
    (result,) = store.write_fields("contact", writes)
    assert result.status == "applied" and "verified" in result.detail
    assert api_writes(fake_hubspot, "city") == {100012: 1}


def test_the_client_is_plain_httpx_over_keep_alive(fake_hubspot: FakeHubSpotServer) -> None:
    with httpx.Client(
        base_url=fake_hubspot.url, headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"}
    ) as client:
        first = client.get("/crm/v3/objects/contacts", params={"limit": 2})
        second = client.get(
            "/crm/v3/objects/contacts", params={"limit": 2, "after": first.json()["paging"]["next"]["after"]}
        )
    assert first.status_code == second.status_code == 200
    assert first.headers["X-HubSpot-RateLimit-Max"] == "100000"
