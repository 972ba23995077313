"""A decision is a change or it is refused (issue 10, deliverable 1), and the apply step settles
every change: findings a reviewer gave a value, conflicts re-decided, failures retried or re-decided."""

from __future__ import annotations

from typing import Any

import pytest

from crm_hygiene.errors import Conflict, InvalidDecision, InvalidValue, Throttled
from crm_hygiene.memory import (
    InMemoryAuditLog,
    InMemoryChangeQueue,
    InMemoryCrmStore,
    InMemoryDecisionMemory,
    InMemoryHealthStore,
    InMemoryWorkflow,
    ListAlertSink,
    ListWorkQueue,
)
from crm_hygiene.models.crm import FieldWrite, WriteResult
from crm_hygiene.models.messages import ApplyMessage
from crm_hygiene.models.record import Record
from crm_hygiene.models.review import Approve, EditAndApprove, Reject, ReviewItem
from crm_hygiene.services.apply.core import MAX_RECEIVES, apply_changes
from crm_hygiene.services.review.core import ReviewDeps, decide, decide_many, rollback_change
from crm_hygiene.types import ChangeKind, ChangeStatus, ObjectType

CONTACT = Record(object_type="contact", record_id="c1", source="internal", fields={
    "record_id": "c1", "first_name": "Ada", "last_name": "Lovelace", "email": "", "phone": "+1 555 0100",
    "country": "US", "owner": "n/a", "company": "Analytical Engines"})  # fmt: skip
DEAL = Record(object_type="deal", record_id="d1", source="internal",
              fields={"record_id": "d1", "name": "Engine", "close_date": "2026-01-31", "amount": "10"})  # fmt: skip


def item(review_id: str, field: str, *, change_kind: ChangeKind = "flag", current: str = "", suggested: str = "",
         status: ChangeStatus = "queued", object_type: ObjectType = "contact", record_id: str = "c1",
         kind: Any = "misowned", source: str = "owner.required") -> ReviewItem:  # fmt: skip
    return ReviewItem(review_id=review_id, run_id="run-1", kind=kind, change_kind=change_kind,
                      object_type=object_type, record_id=record_id, field=field, current_value=current,
                      suggested_value=suggested, evidence="because", confidence=0.8, protected=False,
                      decision="review", status=status, source=source)  # fmt: skip


@pytest.fixture
def deps() -> ReviewDeps:
    crm = InMemoryCrmStore()
    crm.add([CONTACT, DEAL])
    return ReviewDeps(queue=InMemoryChangeQueue(), audit=InMemoryAuditLog(), memory=InMemoryDecisionMemory(),
                      apply_queue=ListWorkQueue(), workflow=InMemoryWorkflow(), crm=crm,
                      health=InMemoryHealthStore(), alerts=ListAlertSink())  # fmt: skip


def apply(deps: ReviewDeps, *, last_attempt: bool = False) -> None:
    """Delivers every apply message sent so far (the apply function's loop, once)."""
    queue = deps.apply_queue
    assert isinstance(queue, ListWorkQueue)
    messages, queue.messages = list(queue.messages), []
    ids = [m.review_id for m in messages if isinstance(m, ApplyMessage)]
    apply_changes(ids, queue=deps.queue, crm=deps.crm, audit=deps.audit, alerts=deps.alerts,
                  last_attempt=last_attempt)  # fmt: skip


def crm_value(
    deps: ReviewDeps, field: str, object_type: ObjectType = "contact", record_id: str = "c1"
) -> str:
    [record] = deps.crm.get_records(object_type, [record_id])
    return record.get(field)


# Why: "Edit-and-approve on a finding is lost" (the item stayed `edited`, the CRM untouched, the audit read
# "n/a -> Account Manager" from nothing the CRM held).
def test_edit_and_approve_on_a_finding_creates_the_change_and_applies_it(deps: ReviewDeps) -> None:
    # Given a misowned finding, and the CRM's owner changed since the scan
    deps.queue.put_new([item("f1", "owner", current="(scan-time)")])
    # When a reviewer edits and approves it
    edited = decide(deps, "f1", EditAndApprove(decision="edit_and_approve", value="Account Manager"), "ana")
    # Then it is the change it implies: the field, the CRM's value now, the reviewer's value and source
    assert (edited.status, edited.current_value, edited.final_value) == ("edited", "n/a", "Account Manager")
    assert edited.source == "reviewer:ana" and edited.is_change
    # And the apply step writes it through the same path as every change
    apply(deps)
    assert deps.queue.get("f1").status == "applied"
    assert crm_value(deps, "owner") == "Account Manager"
    history = deps.audit.by_change("f1")
    assert [e.action for e in history] == ["edited", "applying", "applied"]
    applied = history[-1]
    assert (applied.before, applied.after, applied.reviewer) == ("n/a", "Account Manager", "ana")
    assert applied.source is not None and (applied.source.kind, applied.source.name) == ("reviewer", "ana")
    assert applied.confidence == 0.8


def test_a_finding_about_the_whole_row_refuses_an_edit(deps: ReviewDeps) -> None:
    deps.queue.put_new([item("row", "", kind="stale")])
    with pytest.raises(InvalidDecision, match="row-level finding"):
        decide(deps, "row", EditAndApprove(decision="edit_and_approve", value="x"), "ana")
    assert deps.queue.get("row").status == "queued" and deps.audit.by_change("row") == []


REFUSED = [
    ("contact", "c1", "country", "Narnia", "format.country_alpha2"),
    ("contact", "c1", "first_name", "    ", "required"),
    ("deal", "d1", "close_date", "not a date", "format.date"),
    ("contact", "c1", "company", "Acme " * 20_000, "length"),
    ("contact", "c1", "company", '=HYPERLINK("http://evil.example","click")', "formula"),
    ("contact", "c1", "job_title", "@SUM(A1:A9)", "formula"),
    ("contact", "c1", "job_title", "-2+3", "formula"),
    ("contact", "c1", "phone", "+cmd|' /C calc'!A0", "placeholder.phone_e164"),
    ("contact", "c1", "email", "TBD", "placeholder.email"),
    ("contact", "c1", "last_name", "Love\tlace", "control_characters"),
    ("contact", "c1", "lifecycle_stage", "Friend", "format.picklist"),
]


# Why: "Edit values are not validated" (Narnia, a first name of spaces, `not a date`, 100 kB, =HYPERLINK).
@pytest.mark.parametrize(("object_type", "record_id", "field", "value", "rule"), REFUSED)
def test_an_invalid_edit_is_refused_naming_field_and_rule_and_nothing_changes(
    deps: ReviewDeps, object_type: ObjectType, record_id: str, field: str, value: str, rule: str
) -> None:
    deps.queue.put_new([item("x", field, change_kind="normalize", object_type=object_type, record_id=record_id,
                             current=crm_value(deps, field, object_type, record_id), suggested="y")])  # fmt: skip
    before = deps.queue.get("x")
    with pytest.raises(InvalidValue) as refused:
        decide(deps, "x", EditAndApprove(decision="edit_and_approve", value=value), "ana")
    assert (refused.value.field, refused.value.rule) == (field, rule)
    assert deps.queue.get("x") == before and deps.audit.by_change("x") == []
    assert isinstance(deps.apply_queue, ListWorkQueue) and deps.apply_queue.messages == []


@pytest.mark.parametrize(
    ("field", "typed", "written"),
    [
        ("country", "germany", "DE"),  # normalized as a scan would: the next scan finds nothing to fix
        ("first_name", "  ada ", "Ada"),
        ("phone", "+1 212 736 5000", "+12127365000"),  # a leading + is the E.164 format, not a formula
        ("lifecycle_stage", "MQL", "Marketing Qualified Lead"),
    ],
)
def test_a_valid_edit_is_written_in_the_standards_format(
    deps: ReviewDeps, field: str, typed: str, written: str
):
    deps.queue.put_new(
        [item("v", field, change_kind="normalize", current=crm_value(deps, field), suggested="?")]
    )
    decided = decide(deps, "v", EditAndApprove(decision="edit_and_approve", value=typed), "ana")
    assert decided.final_value == written
    apply(deps)
    assert crm_value(deps, field) == written and deps.queue.get("v").status == "applied"


def test_a_negative_amount_is_a_number_not_a_formula(deps: ReviewDeps) -> None:
    deps.queue.put_new([item("amt", "amount", change_kind="normalize", object_type="deal", record_id="d1",
                             current="10", suggested="11")])  # fmt: skip
    assert (
        decide(deps, "amt", EditAndApprove(decision="edit_and_approve", value="-250"), "ana").final_value
        == "-250"
    )


# Why: "A conflict item can never be applied" (re-approving wrote with the original old value, and the
# reviewer's value was lost).
def test_a_conflict_is_re_decided_against_the_crms_value_and_keeps_the_reviewers_value(
    deps: ReviewDeps,
) -> None:
    deps.queue.put_new([item("c", "company", change_kind="normalize", current="Analytical Engines",
                             suggested="Analytical Engines Ltd", kind="malformed")])  # fmt: skip
    decide(deps, "c", EditAndApprove(decision="edit_and_approve", value="Analytical Engines Limited"), "ana")
    # Given a rep changed the company before the apply ran
    deps.crm.write_fields("contact", [FieldWrite(record_id="c1", field="company", expected_old="Analytical Engines",
                                                 new_value="AE Corp", change_id="rep")])  # fmt: skip
    apply(deps)
    conflict = deps.queue.get("c")
    # Then the item shows what the CRM holds now as the value it will be written against
    assert conflict.status == "conflict" and conflict.current_value == "AE Corp"
    assert "AE Corp" in (conflict.note or "")
    # When the reviewer approves it again, it is written over that value, with the reviewer's value
    decide(deps, "c", Approve(decision="approve"), "ana")
    apply(deps)
    assert deps.queue.get("c").status == "applied"
    assert crm_value(deps, "company") == "Analytical Engines Limited"
    rolled = rollback_change(deps, "c", "bo")  # and a rollback restores what the CRM held before the write
    assert rolled.status == "rolled_back" and crm_value(deps, "company") == "AE Corp"


class Throttling(InMemoryCrmStore):
    def __init__(self, storm: int) -> None:
        super().__init__()
        self.storm = storm

    def write_fields(self, object_type: ObjectType, writes: Any) -> list[WriteResult]:
        if self.storm > 0:
            self.storm -= 1
            raise Throttled("429")
        return super().write_fields(object_type, writes)


# Why: "Failed items are terminal (deciding one answers 409; after a 429 storm 150 items sat in auto_applied)".
def test_after_a_429_storm_items_are_failed_with_the_reason_retried_and_decidable(deps: ReviewDeps) -> None:
    crm = Throttling(storm=MAX_RECEIVES + 1)
    crm.add([CONTACT])
    deps.crm = crm
    deps.queue.put_new([item("t", "company", change_kind="normalize", current="Analytical Engines",
                             suggested="Analytical Engines Ltd", status="auto_applied")])  # fmt: skip
    # When every delivery of its message meets the storm
    for receive in range(1, MAX_RECEIVES + 1):
        report = apply_changes(["t"], queue=deps.queue, crm=crm, audit=deps.audit, alerts=deps.alerts,
                               last_attempt=receive == MAX_RECEIVES)  # fmt: skip
        assert report.outcomes["t"] == ("failed" if receive == MAX_RECEIVES else "retry")
    # Then it is failed (never left auto_applied), says why, and raised exactly one apply_failed alert
    failed = deps.queue.get("t")
    assert failed.status == "failed" and "Throttled" in (failed.note or "")
    assert isinstance(deps.alerts, ListAlertSink)
    assert [a.kind for a in deps.alerts.raised] == ["apply_failed"] and deps.alerts.raised[0].review_id == "t"
    assert deps.alerts.raised[0].restore_value is None and "Analytical" not in deps.alerts.raised[0].summary
    # And a reviewer can retry it (approve), and it applies once the CRM recovers
    crm.storm = 1
    decided = decide(deps, "t", Approve(decision="approve"), "ana")
    assert decided.status == "approved" and decided.decided_by == "ana"
    apply(deps)  # still storming: back to failed, retried by redelivery
    assert deps.queue.get("t").status == "failed"
    apply_changes(["t"], queue=deps.queue, crm=crm, audit=deps.audit)
    assert deps.queue.get("t").status == "applied" and crm_value(deps, "company") == "Analytical Engines Ltd"


def test_a_failed_item_can_be_re_decided_with_another_value(deps: ReviewDeps) -> None:
    deps.queue.put_new([item("g", "company", change_kind="normalize", current="Analytical Engines",
                             suggested="x", status="failed")])  # fmt: skip
    decide(deps, "g", EditAndApprove(decision="edit_and_approve", value="Analytical Engines Plc"), "ana")
    apply(deps)
    assert crm_value(deps, "company") == "Analytical Engines Plc"


class Restoring(InMemoryCrmStore):
    def write_fields(self, object_type: ObjectType, writes: Any) -> list[WriteResult]:
        return [w.result("failed", current="", detail="set failed, restore failed").model_copy(
            update={"restore": w.expected_old}) for w in writes]  # fmt: skip


def test_a_write_that_needs_its_value_restored_raises_a_high_priority_item_and_an_alert(
    deps: ReviewDeps,
) -> None:
    crm = Restoring()
    crm.add([CONTACT])
    deps.queue.put_new([item("l", "lifecycle_stage", change_kind="normalize", current="customer",
                             suggested="lead", status="approved")])  # fmt: skip
    apply_changes(["l"], queue=deps.queue, crm=crm, audit=deps.audit, alerts=deps.alerts, last_attempt=True)
    restore = deps.queue.get("restore-l")
    assert (restore.priority, restore.status, restore.change_kind) == ("high", "queued", "restore")
    assert (restore.field, restore.current_value, restore.suggested_value) == (
        "lifecycle_stage",
        "",
        "customer",
    )
    assert isinstance(deps.alerts, ListAlertSink)
    [restore_alert] = [a for a in deps.alerts.raised if a.kind == "restore_needed"]
    assert restore_alert.severity == "high" and restore_alert.restore_value == "customer"
    # approving it writes the value back through the apply step
    recovered = InMemoryCrmStore()  # the CRM recovered, holding the emptied field
    recovered.add([CONTACT.model_copy(update={"fields": {**CONTACT.fields, "lifecycle_stage": ""}})])
    deps.crm = recovered
    decide(deps, "restore-l", Approve(decision="approve"), "ana")
    apply(deps)
    assert crm_value(deps, "lifecycle_stage") == "customer"


class Exploding(InMemoryChangeQueue):
    def get(self, review_id: str) -> ReviewItem:
        if review_id == "boom":
            raise RuntimeError("ProvisionedThroughputExceeded: table crm-hygiene-prod-change-queue")
        return super().get(review_id)


# Why: "Bulk answers 400 after applying part of the batch (an unexpected error on one item aborts the call)".
def test_bulk_gives_one_result_per_item_and_an_unexpected_error_is_that_items(deps: ReviewDeps) -> None:
    deps.queue = Exploding()
    deps.queue.put_new([item("a", "owner"), item("b", "owner")])
    results = decide_many(deps, [
        ("a", Approve(decision="approve")),
        ("boom", Approve(decision="approve")),
        ("missing", Reject(decision="reject")),
        ("b", EditAndApprove(decision="edit_and_approve", value="=1+1")),
    ], "ana")  # fmt: skip
    assert [(r.review_id, r.status, r.error_code) for r in results] == [
        ("a", "approved", None), ("boom", "error", "error"), ("missing", "error", "not_found"),
        ("b", "error", "invalid_value")]  # fmt: skip
    assert results[1].error == "internal error"  # backend text never reaches the reviewer
    assert (results[3].field, results[3].rule) == ("owner", "formula")


# The metrics hook: decided_by / decided_as are a person's decision, never apply's or a rollback's.
def test_only_a_person_sets_decided_by_and_decided_as(deps: ReviewDeps) -> None:
    deps.queue.put_new([item("m", "company", change_kind="normalize", current="Analytical Engines",
                             suggested="Analytical Engines Ltd")])  # fmt: skip
    decide(deps, "m", Approve(decision="approve"), "ana")
    apply(deps)
    rollback_change(deps, "m", "bo")
    final = deps.queue.get("m")
    assert (final.status, final.reviewer, final.decided_by, final.decided_as) == (
        "rolled_back",
        "bo",
        "ana",
        "approved",
    )
    deps.queue.put_new([item("auto", "company", change_kind="normalize", current="Analytical Engines Ltd",
                             suggested="Analytical Engines Limited", status="auto_applied")])  # fmt: skip
    apply_changes(["auto"], queue=deps.queue, crm=deps.crm, audit=deps.audit)
    assert deps.queue.get("auto").decided_by is None and deps.queue.get("auto").decided_as is None


def test_repeating_a_decision_finishes_it_instead_of_answering_409(deps: ReviewDeps) -> None:
    deps.queue.put_new([item("r", "company", change_kind="normalize", current="Analytical Engines",
                             suggested="Analytical Engines Ltd")])  # fmt: skip
    decide(deps, "r", Approve(decision="approve"), "ana")
    assert isinstance(deps.apply_queue, ListWorkQueue)
    deps.apply_queue.messages.clear()  # the apply message was lost
    again = decide(deps, "r", Approve(decision="approve"), "ana")
    assert again.status == "approved" and len(deps.apply_queue.messages) == 1
    assert [e.action for e in deps.audit.by_change("r")] == ["approved"]  # one decision, one entry


def test_repeating_an_edit_is_recognised_after_normalizing(deps: ReviewDeps) -> None:
    deps.queue.put_new([item("n", "country", change_kind="normalize", current="US", suggested="US")])
    decide(deps, "n", EditAndApprove(decision="edit_and_approve", value="germany"), "ana")
    again = decide(deps, "n", EditAndApprove(decision="edit_and_approve", value="Germany"), "ana")
    assert again.final_value == "DE"
    with pytest.raises(Conflict):  # another value on an item waiting for apply is not a repeat
        decide(deps, "n", EditAndApprove(decision="edit_and_approve", value="France"), "ana")


def test_a_restore_is_alerted_once_across_the_retries_of_its_write(deps: ReviewDeps) -> None:
    crm = Restoring()
    crm.add([CONTACT])
    deps.queue.put_new([item("s", "lifecycle_stage", change_kind="normalize", current="customer",
                             suggested="lead", status="approved")])  # fmt: skip
    for receive in range(1, MAX_RECEIVES + 1):
        apply_changes(["s"], queue=deps.queue, crm=crm, audit=deps.audit, alerts=deps.alerts,
                      last_attempt=receive == MAX_RECEIVES)  # fmt: skip
    assert isinstance(deps.alerts, ListAlertSink)
    assert sorted(a.kind for a in deps.alerts.raised) == ["apply_failed", "restore_needed"]
    assert deps.queue.get("restore-s").status == "queued"


# Found at the issue-10 review: the policy blocks a change that would empty a field or start a formula,
# and a blocked item is decidable; approving it as it is wrote the delete or the formula to the CRM.
@pytest.mark.parametrize(
    ("field", "suggested", "rule"),
    [("company", '=HYPERLINK("http://evil","x")', "formula"), ("company", "@SUM(A1)", "formula"),
     ("phone", "", "required"), ("company", "   ", "required")],
)  # fmt: skip
def test_approving_a_blocked_delete_or_formula_as_it_is_is_refused_and_nothing_changes(
    deps: ReviewDeps, field: str, suggested: str, rule: str
) -> None:
    deps.queue.put_new([item("b", field, change_kind="enrich", current=crm_value(deps, field),
                             suggested=suggested, status="blocked")])  # fmt: skip
    before = deps.queue.get("b")
    with pytest.raises(InvalidValue) as refused:
        decide(deps, "b", Approve(decision="approve"), "ana")
    assert (refused.value.field, refused.value.rule) == (field, rule)
    assert deps.queue.get("b") == before and deps.audit.by_change("b") == []
    assert isinstance(deps.apply_queue, ListWorkQueue) and deps.apply_queue.messages == []
    # an edited value or a rejection still decides it
    decide(deps, "b", EditAndApprove(decision="edit_and_approve", value="+1 212 736 5000"
                                     if field == "phone" else "Analytical Engines Ltd"), "ana")  # fmt: skip
    apply(deps)
    assert deps.queue.get("b").status == "applied" and crm_value(deps, field) not in ("", suggested)


def test_a_signed_phone_or_a_restore_is_approved_as_it_is(deps: ReviewDeps) -> None:
    deps.queue.put_new([item("p", "phone", change_kind="normalize", current="+1 555 0100", suggested="+15550100"),
                        item("r", "company", change_kind="restore", current="", suggested="Analytical Engines",
                             status="queued")])  # fmt: skip
    assert decide(deps, "p", Approve(decision="approve"), "ana").status == "approved"
    assert decide(deps, "r", Approve(decision="approve"), "ana").status == "approved"
