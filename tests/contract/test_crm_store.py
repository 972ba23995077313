"""The ``CrmStore`` contract (crm_hygiene/ports.py), one suite for every CRM (see conftest.py)."""

from __future__ import annotations

import pytest

from crm_hygiene.errors import Conflict, HygieneError, NotFound
from crm_hygiene.models.crm import FieldWrite
from crm_hygiene.models.fields import CANONICAL_FIELDS
from tests.contract.conftest import CrmUnderTest

MISSING = "999999999"


def people(n: int) -> list[dict[str, str]]:
    return [{"email": f"person{i}@example.org", "last_name": f"Person{i}"} for i in range(n)]


def write(record_id: str, field: str, old: str, new: str, change_id: str = "c1") -> FieldWrite:
    return FieldWrite(record_id=record_id, field=field, expected_old=old, new_value=new, change_id=change_id)


def listed(crm: CrmUnderTest) -> list[str]:
    return [r.record_id for r in crm.store.list_records("contact", limit=100).records]


def test_list_pages_through_every_live_record_once_with_a_cursor(crm: CrmUnderTest) -> None:
    # Given five contacts
    ids = crm.seed(people(5))
    # When they are read two at a time, following the cursor
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(10):
        page = crm.store.list_records("contact", cursor=cursor, limit=2)
        assert len(page.records) <= 2
        seen += [r.record_id for r in page.records]
        cursor = page.next_cursor
        if cursor is None:
            break
    # Then every record came exactly once, and the last page says so
    assert sorted(seen) == sorted(ids) and cursor is None
    # And the order is stable: the same pages again give the same records
    assert [r.record_id for r in crm.store.list_records("contact", limit=2).records] == seen[:2]


def test_a_page_holds_canonical_records_of_the_type_asked(crm: CrmUnderTest) -> None:
    [record_id] = crm.seed([{"email": "ada@example.org", "last_name": "Lovelace"}])
    [record] = crm.store.list_records("contact").records
    assert (record.object_type, record.record_id) == ("contact", record_id)
    assert record.get("email") == "ada@example.org" and record.get("last_name") == "Lovelace"
    assert crm.store.list_records("company").records == []


def test_read_by_ids_leaves_missing_ids_out(crm: CrmUnderTest) -> None:
    first, _, third = crm.seed(people(3))
    records = crm.store.get_records("contact", [first, MISSING, third])
    assert sorted(r.record_id for r in records) == sorted([first, third])
    assert crm.store.get_records("contact", []) == []


def test_changed_since_returns_what_changed_at_or_after_the_moment(crm: CrmUnderTest) -> None:
    # Given three contacts, then a minute later one of them edited in the CRM
    first, second, _ = crm.seed(people(3))
    crm.advance(60)
    since = crm.now()
    crm.edit(second, "last_name", "Edited")
    # When the incremental scan asks what changed since just before the edit
    changed = list(crm.store.changed_since("contact", since))
    # Then only the edited record comes back, with its new value
    assert [r.record_id for r in changed] == [second] and changed[0].get("last_name") == "Edited"
    # And asking from before the seeding gives every record
    assert first in {r.record_id for r in crm.store.changed_since("contact", since.replace(year=2000))}


def test_a_guarded_write_applies_when_the_old_value_holds(crm: CrmUnderTest) -> None:
    [record_id] = crm.seed([{"email": "old@example.org", "last_name": "Old"}])
    [result] = crm.store.write_fields("contact", [write(record_id, "last_name", "Old", "New")])
    assert (result.status, result.change_id, result.record_id, result.field) == (
        "applied", "c1", record_id, "last_name",
    )  # fmt: skip
    assert crm.store.get_records("contact", [record_id])[0].get("last_name") == "New"
    # And delivering the same write again is not a conflict: the record already holds the new value
    [again] = crm.store.write_fields("contact", [write(record_id, "last_name", "Old", "New")])
    assert again.status == "applied"


def test_a_write_whose_old_value_changed_is_a_conflict_and_changes_nothing(crm: CrmUnderTest) -> None:
    # Given a value read as "Old", then changed by a person in the CRM
    [record_id] = crm.seed([{"email": "old@example.org", "last_name": "Old"}])
    crm.edit(record_id, "last_name", "Theirs")
    # When we write expecting "Old"
    [result] = crm.store.write_fields("contact", [write(record_id, "last_name", "Old", "Ours")])
    # Then it is a conflict naming what the CRM holds, and their value stays
    assert result.status == "conflict" and result.current == "Theirs"
    assert crm.store.get_records("contact", [record_id])[0].get("last_name") == "Theirs"


def test_results_come_back_one_per_write_in_order(crm: CrmUnderTest) -> None:
    first, second = crm.seed(people(2))
    results = crm.store.write_fields("contact", [
        write(second, "last_name", "Person1", "B", "w1"),
        write(MISSING, "last_name", "x", "y", "w2"),
        write(first, "last_name", "stale", "A", "w3"),
    ])  # fmt: skip
    assert [(r.change_id, r.status) for r in results] == [
        ("w1", "applied"), ("w2", "not_found"), ("w3", "conflict"),
    ]  # fmt: skip


def test_read_only_fields_are_reported_and_never_written(crm: CrmUnderTest) -> None:
    # Given the fields the CRM says cannot be written
    info = crm.store.field_info("contact")
    assert set(info) <= set(CANONICAL_FIELDS["contact"]) and info["email"].writable
    read_only = sorted(name for name, i in info.items() if not i.writable)
    assert "record_id" in read_only and "created_at" in read_only
    [record_id] = crm.seed([{"email": "ro@example.org"}])
    before = crm.store.get_records("contact", [record_id])[0]
    # When a write targets each of them
    writes = [write(record_id, n, before.get(n), "2020-01-01", f"w-{n}") for n in read_only]
    results = crm.store.write_fields("contact", writes)
    # Then each is refused as read-only and the record is unchanged
    assert {r.status for r in results} == {"read_only"}
    after = crm.store.get_records("contact", [record_id])[0]
    assert all(after.get(n) == before.get(n) for n in read_only if n != "updated_at")


def test_a_field_the_crm_does_not_have_is_never_written(crm: CrmUnderTest) -> None:
    [record_id] = crm.seed([{"email": "x@example.org"}])
    [result] = crm.store.write_fields("contact", [write(record_id, "no_such_field", "", "value")])
    assert result.status in ("read_only", "failed")
    assert crm.store.get_records("contact", [record_id])[0].get("no_such_field") == ""


def test_merge_leaves_one_live_record_and_is_idempotent(crm: CrmUnderTest) -> None:
    # Given three contacts
    primary, secondary, other = crm.seed(people(3))
    # When the second is merged into the first
    result = crm.store.merge("contact", primary, secondary)
    # Then the survivor is listed, the merged ids are not, the others are untouched
    survivor = result.surviving_id
    assert result.primary_id == primary and secondary in result.merged_ids
    assert (survivor != primary) is crm.merge_mints_new_id
    assert sorted(listed(crm)) == sorted([survivor, other])
    assert crm.store.get_records("contact", [survivor])[0].record_id == survivor
    # And merging the same pair again reports the same survivor, without a second merge
    again = crm.store.merge("contact", primary, secondary)
    assert again.surviving_id == survivor and again.detail == "already merged"
    assert sorted(listed(crm)) == sorted([survivor, other])


def test_reading_a_merged_away_id_never_returns_a_record_under_that_id(crm: CrmUnderTest) -> None:
    primary, secondary = crm.seed(people(2))
    survivor = crm.store.merge("contact", primary, secondary).surviving_id
    records = crm.store.get_records("contact", [secondary])
    if crm.resolves_merged_ids:  # the CRM follows the merge to the record that survived it
        assert [r.record_id for r in records] == [survivor]
    else:  # the record is kept (never deleted) but no longer live
        assert records == []
    # Reading both old ids gives the survivor once, never twice
    both = crm.store.get_records("contact", [primary, secondary])
    assert [r.record_id for r in both] == [survivor]


def test_merging_a_missing_record_or_a_record_with_itself_is_refused(crm: CrmUnderTest) -> None:
    first, second = crm.seed(people(2))
    with pytest.raises(NotFound):
        crm.store.merge("contact", first, MISSING)
    with pytest.raises(NotFound):
        crm.store.merge("contact", MISSING, first)
    with pytest.raises(HygieneError):
        crm.store.merge("contact", first, first)
    assert sorted(listed(crm)) == sorted([first, second])


def test_backend_failures_surface_as_domain_errors(crm: CrmUnderTest) -> None:
    if crm.break_backend is None:
        pytest.skip(f"{crm.name}: no backend that can fail (capability break_backend=None)")
    crm.seed(people(1))
    crm.break_backend()
    with pytest.raises(HygieneError):
        crm.store.list_records("contact")
    with pytest.raises(HygieneError):
        crm.store.get_records("contact", ["1"])


def test_a_write_to_a_merged_away_id_never_writes_past_the_guard(crm: CrmUnderTest) -> None:
    # Given two records merged (the primary's values win), and a write queued for the secondary before
    primary, secondary = crm.seed(people(2))
    survivor = crm.store.merge("contact", primary, secondary).surviving_id
    # When it is applied after the merge
    [result] = crm.store.write_fields("contact", [write(secondary, "last_name", "Person1", "Late")])
    if crm.resolves_merged_ids:  # followed to the survivor, which no longer holds the expected value
        assert result.status == "conflict" and result.current == "Person0"
    else:  # the merged-away record is not live
        assert result.status == "not_found" and "merged" in result.detail
    # Then the survivor keeps its value
    assert crm.store.get_records("contact", [survivor])[0].get("last_name") == "Person0"


def test_a_record_merged_into_another_cannot_be_merged_into_a_third(crm: CrmUnderTest) -> None:
    first, second, third = crm.seed(people(3))
    survivor = crm.store.merge("contact", first, second).surviving_id
    if crm.resolves_merged_ids:  # the merged-away id means its survivor: the survivor is merged
        assert crm.store.merge("contact", third, second).surviving_id not in (survivor, second)
        assert len(listed(crm)) == 1
    else:
        with pytest.raises(NotFound):
            crm.store.merge("contact", third, second)
        assert sorted(listed(crm)) == sorted([survivor, third])


SYSTEM_FIELDS = frozenset({"record_id", "created_at", "updated_at", "last_activity_at"})


def test_a_snapshot_holds_each_live_records_whole_state(crm: CrmUnderTest) -> None:
    first, second = crm.seed(people(2))
    images = crm.store.snapshot("contact", [first, MISSING, second])
    assert [i.record_id for i in images] == [first, second]
    for image, record in zip(images, crm.store.get_records("contact", [first, second]), strict=True):
        assert image.fields == record.fields and image.object_type == "contact"
    # a merged-away id has no state of its own any more
    crm.store.merge("contact", first, second)
    assert crm.store.snapshot("contact", [second]) == []


def test_a_merged_away_record_comes_back_as_its_image_once(crm: CrmUnderTest) -> None:
    # Given a record's image taken before it was merged away
    primary, secondary, other = crm.seed(people(3))
    [image] = crm.store.snapshot("contact", [secondary])
    survivor = crm.store.merge("contact", primary, secondary).surviving_id
    # When it is brought back
    back = crm.store.restore_merged("contact", image, survivor)
    # Then it is live again, under its own id or (HubSpot: merges cannot be undone) a new one
    assert (back != secondary) is crm.merge_mints_new_id
    assert sorted(listed(crm)) == sorted([survivor, other, back])
    [record] = crm.store.get_records("contact", [back])
    assert {k: v for k, v in record.fields.items() if k not in SYSTEM_FIELDS} == {
        k: v for k, v in image.fields.items() if k not in SYSTEM_FIELDS
    }
    # And bringing it back again finds it instead of making a second one
    assert crm.store.restore_merged("contact", image, survivor) == back
    assert len(listed(crm)) == 3


def test_a_record_not_merged_into_the_survivor_is_not_reinstated(crm: CrmUnderTest) -> None:
    if crm.merge_mints_new_id:
        pytest.skip(f"{crm.name}: recreates from the image; a live holder of its email is a repeat")
    first, second, third = crm.seed(people(3))
    [image] = crm.store.snapshot("contact", [third])
    crm.store.merge("contact", first, second)
    with pytest.raises(Conflict):
        crm.store.restore_merged("contact", image.model_copy(update={"record_id": second}), third)
