"""Merges through the connector: new ids, aliases, idempotence, uncertain answers."""

from __future__ import annotations

import pytest

from crm_hygiene.adapters.crm.hubspot import HubSpotCrmStore, HubSpotError
from crm_hygiene.errors import NotFound
from crm_hygiene.local.fake_hubspot import FakeHubSpot, Fault


def test_a_contact_merge_mints_a_new_id_and_old_ids_follow(store: HubSpotCrmStore, fake: FakeHubSpot) -> None:
    result = store.merge("contact", "100001", "100002")
    assert result.surviving_id not in {"100001", "100002"} and result.merged_ids == ["100001", "100002"]
    survivor = store.get_record("contact", "100002")
    assert survivor is not None and survivor.record_id == result.surviving_id
    assert survivor.custom["hs_merged_object_ids"] == "100001;100002"
    listed = {r.record_id for r in store.list_records("contact", limit=100).records}
    assert "100001" not in listed and "100002" not in listed


def test_a_deal_merge_keeps_the_primary_id(store: HubSpotCrmStore) -> None:
    result = store.merge("deal", "900001", "900002")
    assert result.surviving_id == "900001"


def test_merging_again_is_reported_not_repeated(store: HubSpotCrmStore, fake: FakeHubSpot) -> None:
    first = store.merge("company", "500001", "500002")
    again = store.merge("company", "500001", "500002")
    assert again.surviving_id == first.surviving_id and again.detail == "already merged"
    assert fake.requests["merge"] == 1


def test_an_uncertain_merge_is_checked_before_any_retry(store: HubSpotCrmStore, fake: FakeHubSpot) -> None:
    fake.add_faults(Fault(kind="drop", method="POST", path="/merge", phase="after"))
    result = store.merge("contact", "100003", "100004")
    assert result.detail.startswith("merged: confirmed") and fake.requests["merge"] == 1
    assert store.get_record("contact", "100003").record_id == result.surviving_id  # type: ignore[union-attr]


def test_merge_refusals(store: HubSpotCrmStore) -> None:
    with pytest.raises(NotFound):
        store.merge("contact", "100005", "999999")
    with pytest.raises(HubSpotError):
        store.merge("contact", "100005", "100005")
