"""The internal CRM table (DynamoDB): optimistic writes, merges that keep both records, on moto."""

from __future__ import annotations

import pytest

from crm_hygiene.adapters.aws.crm_store import DynamoCrmStore
from crm_hygiene.errors import NotFound
from crm_hygiene.models.crm import FieldWrite
from crm_hygiene.models.record import Record
from crm_hygiene.wiring.aws import AwsDeps


@pytest.fixture
def store(deps: AwsDeps) -> DynamoCrmStore:
    crm = deps.crm
    assert isinstance(crm, DynamoCrmStore)
    crm.put_records([Record(object_type="contact", record_id=i, fields={"record_id": i, "email": f"{i}@x.com"})
                     for i in ("1", "2", "3")])  # fmt: skip
    return crm


def test_merge_keeps_the_secondary_marked_and_is_idempotent(store: DynamoCrmStore) -> None:
    result = store.merge("contact", "1", "2")
    assert result.surviving_id == "1" and result.merged_ids == ["2"]
    assert store.get_records("contact", ["1", "2"])[0].record_id == "1"
    assert [r.record_id for r in store.get_records("contact", ["2"])] == []  # merged away, not deleted
    assert store.merge("contact", "1", "2").detail == "already merged"
    with pytest.raises(NotFound):
        store.merge("contact", "3", "2")  # already merged into someone else
    assert [r.record_id for r in store.list_records("contact").records] == ["1", "3"]


def test_writes_are_optimistic_and_never_touch_merged_records(store: DynamoCrmStore) -> None:
    ok, stale = store.write_fields("contact", [
        FieldWrite(record_id="1", field="email", expected_old="1@x.com", new_value="one@x.com", change_id="a"),
        FieldWrite(record_id="3", field="email", expected_old="old@x.com", new_value="new@x.com", change_id="b"),
    ])  # fmt: skip
    assert ok.status == "applied" and stale.status == "conflict" and stale.current == "3@x.com"
    store.merge("contact", "1", "2")
    [gone] = store.write_fields("contact", [FieldWrite(record_id="2", field="email", expected_old="2@x.com",
                                                       new_value="x@x.com", change_id="c")])  # fmt: skip
    assert gone.status == "not_found" and "merged into 1" in gone.detail
