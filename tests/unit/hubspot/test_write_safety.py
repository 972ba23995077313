"""HubSpot write safety (issue 10, deliverable 4), in-process on a virtual clock: every resend of a
write follows a read, merges are confirmed by reading the ids, and a lifecycle stage moved back is
never left empty without a ``restore`` signal. The over-the-socket versions and the property test
are in tests/integration/hubspot/test_write_safety_over_http.py."""

from __future__ import annotations

import pytest

from crm_hygiene.adapters.crm.hubspot import HubSpotCrmStore, HubSpotError
from crm_hygiene.local.fake_hubspot import FakeHubSpot, Fault
from crm_hygiene.local.fake_hubspot.crm import Source
from crm_hygiene.local.fake_hubspot.faults import PersonEdit
from crm_hygiene.models.crm import FieldWrite
from tests.fakes.hubspot import VirtualClock, store_for

UPDATE = {"method": "POST", "path": "batch/update"}


def stored(fake: FakeHubSpot, record_id: str, prop: str) -> str:
    return fake.crm.get("contacts", record_id).props.get(prop, "")


def ours(fake: FakeHubSpot, record_id: str, prop: str) -> list[str]:
    """The values the connector wrote to the property, oldest first (the fake's property history)."""
    history = fake.crm.history(fake.crm.get("contacts", record_id), prop)
    return [h["value"] for h in reversed(history) if h["sourceType"] == "INTEGRATION"]


def planned(store: HubSpotCrmStore, record_id: str, field: str, new: str) -> FieldWrite:
    record = store.get_record("contact", record_id)
    assert record is not None
    return FieldWrite(
        record_id=record_id, field=field, expected_old=record.get(field), new_value=new, change_id=record_id
    )


def person(record_id: str, **properties: str) -> PersonEdit:
    return PersonEdit(object_type="contacts", id=record_id, properties=properties)


# -- single and batch writes: a read before anything is resent ------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        Fault(kind="status", status=503, phase="after", **UPDATE),
        Fault(kind="status", status=502, phase="after", **UPDATE),
        Fault(kind="drop", phase="after", **UPDATE),
        Fault(kind="slow", delay=60, phase="after", **UPDATE),
    ],
    ids=["503 after", "502 after", "dropped after", "timeout after"],
)
def test_a_write_that_landed_under_an_ambiguous_answer_is_applied_once(
    fault: Fault, fake: FakeHubSpot, clock: VirtualClock
) -> None:
    store = store_for(fake, clock, timeout=5.0)
    write = planned(store, "100020", "city", "Landed")
    fake.add_faults(fault)
    (result,) = store.write_fields("contact", [write])
    assert result.status == "applied" and "verified" in result.detail
    assert ours(fake, "100020", "city") == ["Landed"] and fake.requests["batch_update"] == 1


def test_a_503_before_processing_is_resent_only_after_a_read(fake: FakeHubSpot, clock: VirtualClock) -> None:
    store = store_for(fake, clock)
    write = planned(store, "100021", "city", "Second try")
    fake.add_faults(Fault(kind="status", status=503, **UPDATE))
    reads_before = fake.requests["batch_read"]
    (result,) = store.write_fields("contact", [write])
    assert result.status == "applied" and ours(fake, "100021", "city") == ["Second try"]
    # the guard read, then one read after the 503 before the resend
    assert fake.requests["batch_update"] == 2 and fake.requests["batch_read"] - reads_before == 2


@pytest.mark.parametrize(
    "fault",
    [
        Fault(kind="status", status=503, phase="after", **UPDATE),
        Fault(kind="status", status=503, **UPDATE),
        Fault(kind="drop", **UPDATE),
        Fault(kind="rate_limit", **UPDATE),
        Fault(kind="status", status=423, **UPDATE),
    ],
    ids=["503 after processing", "503 before", "dropped before", "429", "423 locked"],
)
def test_a_persons_edit_between_our_attempts_is_never_overwritten(
    fault: Fault, fake: FakeHubSpot, clock: VirtualClock
) -> None:
    # Given a write, and a person editing the field at the moment HubSpot fails our attempt
    store = store_for(fake, clock)
    write = planned(store, "100022", "job_title", "Ours")
    fake.add_faults(fault.model_copy(update={"edits": [person("100022", jobtitle="The person's")]}))
    # When it is written
    (result,) = store.write_fields("contact", [write])
    # Then the person's value stands and is reported as the current value of a conflict
    assert result.status == "conflict" and result.current == "The person's"
    assert stored(fake, "100022", "jobtitle") == "The person's"
    assert len(ours(fake, "100022", "jobtitle")) <= 1 and fake.requests["batch_update"] == 1


def test_single_writes_are_read_before_a_resend_too(fake: FakeHubSpot, clock: VirtualClock) -> None:
    # Given a batch HubSpot refuses whole (409: an email another contact has), so each record is written
    # with its own PATCH, and one PATCH is answered 503 after it landed while a person edits the field...
    store = store_for(fake, clock)
    other = planned(store, "100023", "city", "Fine")
    good = planned(store, "100024", "city", "Patched")
    fake.add_faults(Fault(kind="status", status=409, **UPDATE))
    fake.add_faults(
        Fault(kind="status", status=503, phase="after", method="PATCH", path="/contacts/100024",
              edits=[person("100024", city="Edited by a person")])
    )  # fmt: skip
    results = {r.record_id: r for r in store.write_fields("contact", [other, good])}
    # ...then the PATCH that landed is not resent over the person's edit
    assert results["100024"].status == "conflict" and results["100024"].current == "Edited by a person"
    assert (
        ours(fake, "100024", "city") == ["Patched"] and stored(fake, "100024", "city") == "Edited by a person"
    )
    assert results["100023"].status == "applied"
    assert fake.requests["update"] == 2  # one PATCH per record, none resent


def test_an_answer_that_never_comes_fails_after_the_last_read(fake: FakeHubSpot, clock: VirtualClock) -> None:
    store = store_for(fake, clock, write_attempts=2)
    write = planned(store, "100025", "city", "Never")
    fake.add_faults(Fault(kind="status", status=503, times=50, **UPDATE))
    (result,) = store.write_fields("contact", [write])
    assert result.status == "failed" and "not applied" in result.detail and "still holds" in result.detail
    assert ours(fake, "100025", "city") == [] and fake.requests["batch_update"] == 2


# -- merges: confirmed by reading the ids ---------------------------------------------------------------------


def test_a_merge_done_under_a_503_is_reported_done_with_the_survivor(
    store: HubSpotCrmStore, fake: FakeHubSpot
) -> None:
    fake.add_faults(Fault(kind="status", status=503, method="POST", path="/merge", phase="after"))
    result = store.merge("contact", "100030", "100031")
    survivor = fake.crm.get("contacts", "100030")
    assert result.surviving_id == str(survivor.id) not in {"100030", "100031"}
    assert result.detail.startswith("merged: confirmed") and fake.requests["merge"] == 1


def test_a_merge_refused_by_a_503_is_sent_again_after_reading_the_ids(
    store: HubSpotCrmStore, fake: FakeHubSpot
) -> None:
    fake.add_faults(Fault(kind="status", status=503, method="POST", path="/merge"))
    result = store.merge("company", "500010", "500011")
    assert fake.requests["merge"] == 2 and result.detail == ""
    assert str(fake.crm.get("companies", "500011").id) == result.surviving_id


def test_a_merge_that_never_happens_is_reported_clearly(store: HubSpotCrmStore, fake: FakeHubSpot) -> None:
    fake.add_faults(Fault(kind="status", status=503, times=50, method="POST", path="/merge"))
    with pytest.raises(HubSpotError) as caught:
        store.merge("contact", "100032", "100033")
    assert caught.value.category == "MERGE_NOT_DONE" and "still separate" in str(caught.value)
    assert fake.crm.get("contacts", "100032").id != fake.crm.get("contacts", "100033").id
    assert fake.requests["merge"] == store.write_attempts


def test_a_merge_someone_else_did_meanwhile_is_reported_not_repeated(
    store: HubSpotCrmStore, fake: FakeHubSpot
) -> None:
    fake.crm.merge("contacts", "100034", "100035")  # a person merged them in HubSpot
    result = store.merge("contact", "100034", "100035")
    assert result.detail == "already merged" and fake.requests["merge"] == 0


# -- lifecycle step-back: clear, set, restore -----------------------------------------------------------------


def moving_back(fake: FakeHubSpot, store: HubSpotCrmStore, record_id: str) -> FieldWrite:
    seeding = Source("IMPORT", "test")
    fake.crm.update("contacts", record_id, {"lifecyclestage": ""}, source=seeding)
    fake.crm.update("contacts", record_id, {"lifecyclestage": "customer"}, source=seeding)
    return planned(store, record_id, "lifecycle_stage", "Lead")


def patches(record_id: str, **kw: object) -> Fault:
    return Fault(method="PATCH", path=f"/contacts/{record_id}$", **kw)  # type: ignore[arg-type]


def test_set_and_restore_both_failing_returns_the_value_to_restore(
    store: HubSpotCrmStore, fake: FakeHubSpot
) -> None:
    # Given a stage moved back: the clear lands, then every PATCH fails (set, and restore)
    write = moving_back(fake, store, "100040")
    fake.add_faults(patches("100040", kind="status", status=503, skip=1, times=100))
    (result,) = store.write_fields("contact", [write])
    # Then the field is empty, and the result says so with the value to put back
    assert stored(fake, "100040", "lifecyclestage") == ""
    assert result.status == "failed" and result.restore == "Customer" == write.expected_old
    assert "restore" in result.detail


def test_set_failing_restores_the_old_stage(store: HubSpotCrmStore, fake: FakeHubSpot) -> None:
    write = moving_back(fake, store, "100041")
    fake.add_faults(patches("100041", kind="status", status=500, skip=1, times=store.write_attempts))
    (result,) = store.write_fields("contact", [write])
    assert result.status == "failed" and result.restore is None and "restored" in result.detail
    assert stored(fake, "100041", "lifecyclestage") == "customer"
    assert ours(fake, "100041", "lifecyclestage")[-2:] == ["", "customer"]


def test_set_answered_503_after_it_landed_is_applied_once(store: HubSpotCrmStore, fake: FakeHubSpot) -> None:
    write = moving_back(fake, store, "100042")
    fake.add_faults(patches("100042", kind="status", status=503, skip=1, phase="after"))
    (result,) = store.write_fields("contact", [write])
    assert result.status == "applied" and stored(fake, "100042", "lifecyclestage") == "lead"
    assert ours(fake, "100042", "lifecyclestage")[-2:] == ["", "lead"]


def test_a_set_refused_for_good_is_restored_not_retried(store: HubSpotCrmStore, fake: FakeHubSpot) -> None:
    write = moving_back(fake, store, "100043")
    fake.add_faults(patches("100043", kind="status", status=400, skip=1))
    (result,) = store.write_fields("contact", [write])
    assert result.status == "failed" and stored(fake, "100043", "lifecyclestage") == "customer"
    assert fake.requests["update"] == 3  # clear, set (refused), restore


def test_a_person_setting_the_stage_while_it_is_cleared_wins(
    store: HubSpotCrmStore, fake: FakeHubSpot
) -> None:
    write = moving_back(fake, store, "100044")
    fake.add_faults(
        patches("100044", kind="status", status=503, phase="after", edits=[person("100044", lifecyclestage="other")])
    )  # fmt: skip
    (result,) = store.write_fields("contact", [write])
    assert result.status == "conflict" and result.current == "Other"
    assert stored(fake, "100044", "lifecyclestage") == "other" and ours(fake, "100044", "lifecyclestage") == [
        ""
    ]


def test_set_failing_and_the_record_unreadable_signals_a_restore(
    store: HubSpotCrmStore, fake: FakeHubSpot
) -> None:
    write = moving_back(fake, store, "100045")
    fake.add_faults(
        patches("100045", kind="status", status=503, skip=1, times=100),
        Fault(kind="status", status=500, method="POST", path="batch/read", skip=2, times=1000),
    )
    (result,) = store.write_fields("contact", [write])
    assert stored(fake, "100045", "lifecyclestage") == ""
    assert result.status == "failed" and result.restore == "Customer"


def test_a_stage_a_person_set_while_other_writes_were_retried_is_not_cleared(
    store: HubSpotCrmStore, fake: FakeHubSpot
) -> None:
    # Found by the property test: the batch of other fields fails (nothing processed) and a person sets
    # the stage meanwhile; the step-back must not clear it on the strength of the older guard read.
    write = moving_back(fake, store, "100046")
    city = planned(store, "100046", "city", "Elsewhere")
    fake.add_faults(
        Fault(kind="status", status=500, edits=[person("100046", lifecyclestage="other")], **UPDATE)
    )
    results = {r.field: r for r in store.write_fields("contact", [city, write])}
    assert results["lifecycle_stage"].status == "conflict" and results["lifecycle_stage"].current == "Other"
    assert (
        stored(fake, "100046", "lifecyclestage") == "other" and ours(fake, "100046", "lifecyclestage") == []
    )
    assert results["city"].status == "applied"
