"""Unmerge in the internal CRM, over the in-memory ports and over DynamoDB on moto (the same core).

Property: over random merges of random records, unmerge restores every member exactly (every field and
custom column), the survivor's fields return to their values before the merge, and the audit holds
each member's before-image ahead of the merge. Cases: a second unmerge is refused saying when; an
unmerge of a merge never performed is refused; a survivor field changed since the merge becomes a
review item and is not overwritten; a change rollback and a run rollback of a merge unmerge it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_hygiene.errors import Conflict
from crm_hygiene.memory import (
    InMemoryAuditLog,
    InMemoryChangeQueue,
    InMemoryCrmStore,
    InMemoryDecisionMemory,
    InMemoryHealthStore,
    InMemoryJobStore,
    InMemoryWorkflow,
    ListJobRunner,
    ListWorkQueue,
)
from crm_hygiene.models.record import Record
from crm_hygiene.models.unmerge import RecordImage
from crm_hygiene.services.merge.unmerge import Unmerger, unmerge
from crm_hygiene.services.review import jobs
from crm_hygiene.services.review.core import ReviewDeps, rollback_change
from crm_hygiene.settings import PipelineSettings
from crm_hygiene.types import FieldName, RecordId
from crm_hygiene.wiring.aws import AwsDeps
from tests.unmerge_support import performed_merge

FIELDS: tuple[FieldName, ...] = (
    "first_name", "last_name", "email", "phone", "company", "city", "owner", "lifecycle_stage", "lead_status",
)  # fmt: skip
SYSTEM: frozenset[FieldName] = frozenset({"updated_at"})  # the CRM stamps every write
_ids = itertools.count(300_001)


@dataclass
class Internal:
    """One internal CRM with the review ports around it."""

    deps: ReviewDeps
    put: Callable[[Sequence[Record]], None]

    def __repr__(self) -> str:
        return f"Internal({type(self.deps.crm).__name__})"


def _memory() -> Iterator[Internal]:
    crm = InMemoryCrmStore()
    queue, audit = InMemoryChangeQueue(), InMemoryAuditLog()
    deps = ReviewDeps(queue=queue, audit=audit, memory=InMemoryDecisionMemory(), apply_queue=ListWorkQueue(),
                      workflow=InMemoryWorkflow(), crm=crm, health=InMemoryHealthStore(),
                      unmerge=Unmerger(queue=queue, crm=crm, audit=audit))  # fmt: skip
    yield Internal(deps=deps, put=crm.add)


@pytest.fixture(params=["memory", "dynamodb"])
def internal(request: pytest.FixtureRequest) -> Iterator[Internal]:
    if request.param == "memory":
        yield from _memory()
        return
    aws_deps: AwsDeps[PipelineSettings] = request.getfixturevalue("deps")
    crm = aws_deps.crm
    put = getattr(crm, "put_records", None)
    assert put is not None, "the internal CRM on moto seeds with put_records"
    yield Internal(deps=aws_deps.review(), put=put)


def _record(values: dict[FieldName, str], custom: dict[str, str]) -> Record:
    record_id = str(next(_ids))
    fields = {"record_id": record_id, "updated_at": "2026-01-02T03:04:05Z", **values}
    return Record(object_type="contact", record_id=record_id, fields=fields, custom=custom, source="internal")


TEXT = st.text(alphabet="abcXYZ 09@.-", max_size=8)
RECORD = st.tuples(
    st.dictionaries(st.sampled_from(FIELDS), TEXT, max_size=len(FIELDS)),
    st.dictionaries(st.sampled_from(["segment", "source", "notes"]), TEXT, max_size=3),
)


@st.composite
def merges(
    draw: st.DrawFn,
) -> tuple[list[tuple[dict[FieldName, str], dict[str, str]]], dict[FieldName, int | str]]:
    """2 to 4 records, and field winners: each a member's value (by index) or a new value."""
    members = draw(st.lists(RECORD, min_size=2, max_size=4))
    winners = draw(
        st.dictionaries(
            st.sampled_from(FIELDS), st.one_of(st.integers(0, len(members) - 1), TEXT), max_size=5
        )
    )
    return members, winners


def _seed(internal: Internal, rows: Sequence[tuple[dict[FieldName, str], dict[str, str]]]) -> list[Record]:
    records = [_record(values, custom) for values, custom in rows]
    internal.put(records)
    return records


def _merge(internal: Internal, records: Sequence[Record], winners: dict[FieldName, int | str]) -> str:
    chosen = {
        name: (records[w].get(name), records[w].record_id)
        if isinstance(w, int)
        else (w, records[0].record_id)
        for name, w in winners.items()
    }
    d = internal.deps
    review_id, _ = performed_merge(
        [r.record_id for r in records], chosen, queue=d.queue, crm=d.crm, audit=d.audit
    )
    return review_id


def _live(internal: Internal, record_id: RecordId) -> Record:
    [record] = internal.deps.crm.get_records("contact", [record_id])
    return record


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=merges())
def test_unmerge_restores_every_member_exactly(internal: Internal, case: tuple) -> None:  # type: ignore[type-arg]
    # Given random records merged into the first with random field winners
    rows, winners = case
    records = _seed(internal, rows)
    review_id = _merge(internal, records, winners)
    d = internal.deps
    primary, losers = records[0], records[1:]
    assert d.crm.get_records("contact", [r.record_id for r in losers]) == []
    # Then every member's before-image was in the audit before its merge
    for record in records:
        chain = d.audit.history("contact", record.record_id)
        [image] = [e for e in chain if e.action == "before_image"]
        assert RecordImage.model_validate_json(image.before or "").fields == record.fields
        merged = [e.seq for e in chain if e.action in ("merged", "merging")]
        assert all(image.seq < seq for seq in merged)
    # When it is unmerged
    result = unmerge(review_id, "rita", queue=d.queue, crm=d.crm, audit=d.audit)
    # Then every merged-away record is back, exactly, under its own id
    assert [(r.old_id, r.new_id) for r in result.restored] == [(r.record_id, r.record_id) for r in losers]
    for record in losers:
        back = _live(internal, record.record_id)
        assert (back.fields, back.custom) == (record.fields, record.custom)
    # And the survivor holds its values from before the merge (the CRM's own timestamp aside; a field
    # the merge filled is emptied again: through the port an empty field and a missing one read the same)
    survivor = _live(internal, primary.record_id)
    assert _visible(survivor) == _visible(primary)
    assert survivor.custom == primary.custom and result.conflicts == []
    item = d.queue.get(review_id)
    assert item.status == "rolled_back" and item.reviewer == "rita"
    actions = [e.action for e in d.audit.by_change(review_id) if e.record_id == primary.record_id]
    assert actions.index("unmerging") < actions.index("unmerged")


def _visible(record: Record) -> dict[FieldName, str]:
    return {k: v for k, v in record.fields.items() if v and k not in SYSTEM}


def _one_merge(internal: Internal) -> tuple[str, Record, Record]:
    a = _record({"first_name": "Ada", "email": "ada@example.com", "phone": "", "owner": "owner-a"}, {})
    b = _record({"first_name": "ADA", "email": "ada@example.org", "phone": "+14155550101", "owner": "owner-b"},
                {"segment": "smb"})  # fmt: skip
    internal.put([a, b])
    review_id = _merge(internal, [a, b], {"phone": 1, "first_name": "Ada Lovelace"})
    return review_id, a, b


def test_a_second_unmerge_is_refused_saying_when(internal: Internal) -> None:
    review_id, _, _ = _one_merge(internal)
    d = internal.deps
    first = unmerge(review_id, "rita", queue=d.queue, crm=d.crm, audit=d.audit)
    with pytest.raises(Conflict, match=r"already unmerged on \d{4}-\d{2}-\d{2} .* by rita") as refused:
        unmerge(review_id, "sam", queue=d.queue, crm=d.crm, audit=d.audit)
    assert f"{first.unmerged_at:%Y-%m-%d %H:%M}" in str(refused.value)


def test_a_merge_never_performed_cannot_be_unmerged(internal: Internal) -> None:
    d = internal.deps
    a, b = _record({"first_name": "Bo"}, {}), _record({"first_name": "Bo"}, {})
    internal.put([a, b])
    from crm_hygiene.services.merge.core import merge_item
    from tests.unmerge_support import merge_task

    task = merge_task([a.record_id, b.record_id], {})
    d.queue.put_new([merge_item(task, "queued")])
    with pytest.raises(Conflict, match="never performed .* queued"):
        unmerge(task.review_id, "rita", queue=d.queue, crm=d.crm, audit=d.audit)
    assert d.audit.by_change(task.review_id) == []  # refused before any entry


def test_a_survivor_field_changed_since_the_merge_goes_to_review_not_overwritten(internal: Internal) -> None:
    # Given a merge that wrote the survivor's phone and first name, and a person who since changed the name
    review_id, a, b = _one_merge(internal)
    d = internal.deps
    survivor = _live(internal, a.record_id)
    assert (survivor.get("phone"), survivor.get("first_name")) == ("+14155550101", "Ada Lovelace")
    [result] = d.crm.write_fields("contact", [_write(a.record_id, "first_name", "Ada Lovelace", "Ada King")])
    assert result.status == "applied"
    # When it is unmerged
    outcome = unmerge(review_id, "rita", queue=d.queue, crm=d.crm, audit=d.audit)
    # Then the phone nobody touched is back, the changed name is kept and raised for review
    survivor = _live(internal, a.record_id)
    assert (survivor.get("phone"), survivor.get("first_name")) == ("", "Ada King")
    assert outcome.survivor_restored == ["phone"]
    [conflict] = outcome.conflicts
    item = d.queue.get(conflict)
    assert (item.field, item.current_value, item.suggested_value, item.status) == (
        "first_name", "Ada King", "Ada", "queued",
    )  # fmt: skip
    assert item.change_kind == "restore" and item.record_id == a.record_id


def test_a_change_rollback_of_a_merge_unmerges_it(internal: Internal) -> None:
    review_id, _, b = _one_merge(internal)
    item = rollback_change(internal.deps, review_id, "rita")
    assert item.status == "rolled_back" and item.note is not None and item.note.startswith("unmerged")
    assert _live(internal, b.record_id).fields == b.fields
    with pytest.raises(Conflict, match="already unmerged"):
        rollback_change(internal.deps, review_id, "rita")


def test_a_run_rollback_unmerges_the_runs_merges(internal: Internal) -> None:
    review_id, _, b = _one_merge(internal)
    job_deps = jobs.JobDeps(review=internal.deps, jobs=InMemoryJobStore(), runner=ListJobRunner())
    job, _ = jobs.start_run_rollback(job_deps, "run-u", "rita")
    finished = jobs.run_job(job_deps, job.job_id, job.attempt, lambda: 900.0)
    assert (finished.status, finished.done, finished.errors) == ("succeeded", 1, 0)
    assert internal.deps.queue.get(review_id).status == "rolled_back"
    assert _live(internal, b.record_id).fields == b.fields


def _write(record_id: RecordId, field: FieldName, old: str, new: str):  # type: ignore[no-untyped-def]
    from crm_hygiene.models.crm import FieldWrite

    return FieldWrite(record_id=record_id, field=field, expected_old=old, new_value=new, change_id="person")
