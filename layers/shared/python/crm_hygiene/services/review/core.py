"""The reviewer's use cases: list, look at, decide (one or many), roll back (figures: ``metrics.py``).

**A decision is a change or it is refused.** Approving a change sends it to the apply step (the one
path every change takes). Edit-and-approve checks the reviewer's value against the standard's format
for the field and normalizes it as a scan would (``validate.value.check_value``: ``InvalidValue``,
422, before anything changes); on a finding (a ``flag`` with a field: a missing e-mail, a placeholder
phone, a misowned record) it makes the change the finding implies: the field, the value the CRM
holds now (read from the CRM, the write's expected old value), the reviewer's value, source
``reviewer:<id>``. A row-level finding (no field) refuses an edit. Approving as it is refuses
(``InvalidValue``) a value the policy never applies: one that empties the field (a delete) or starts a
spreadsheet formula; such a blocked item is edited or rejected. Conflict and failed items are
decidable again: a conflict's item already holds the CRM's value as the expected old value, and
re-approving keeps a reviewer's value. Merge decisions resume the waiting merge workflow through its
stored task token; the token never leaves the server.

**Audit before effect.** A decision is written to the audit trail (entry id
``<review>:<decision>:v<version>``, the reviewer, the structured source, the confidence) before
anything else happens; then the effects in an order a repeat can finish: a rejection is remembered,
the status changes (conditional on the version read), then the apply message is sent or the merge
workflow resumed. The same decision sent again on an item already in the state it leads to (a
reviewer's retry after an error or a lost answer) re-runs the effects after the status change: the
audit append is idempotent by id, remembering and sending are idempotent, and apply settles each
change once; so an approved change is never left without its apply message. A rollback writes its
intent (``rolling_back``) before the CRM write and its outcome (``rolled_back``) before the status
change, like the apply step (``services/apply/core.py``). The crash-point table is in
``docs/pipeline.md``.

``decided_by`` / ``decided_as`` are set by a person's decision only (never by apply or rollback).
"""

from __future__ import annotations

import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, get_args

from pydantic import BaseModel, ConfigDict

from crm_hygiene.csvio.formula import starts_formula
from crm_hygiene.errors import Conflict, Gone, InvalidDecision, InvalidValue, NotFound
from crm_hygiene.models.audit import AuditAction, AuditDraft, AuditEntry, AuditSource, entry_id
from crm_hygiene.models.crm import FieldWrite
from crm_hygiene.models.health import HealthPoint
from crm_hygiene.models.merge import MergeApproval, pair_keys_of
from crm_hygiene.models.messages import ApplyMessage
from crm_hygiene.models.review import (
    Approve,
    EditAndApprove,
    HumanDecision,
    Reject,
    ReviewDecision,
    ReviewItem,
)
from crm_hygiene.observability import logger
from crm_hygiene.ports import (
    AlertSink,
    AuditLog,
    ChangeQueue,
    CrmStore,
    DecisionMemory,
    FailureFigures,
    HealthStore,
    ScanRunner,
    SignalBus,
    Workflow,
    WorkQueue,
)
from crm_hygiene.services.apply.core import source_of
from crm_hygiene.standard.loader import default_standard
from crm_hygiene.standard.model import DataStandard
from crm_hygiene.types import OBJECT_TYPES, ChangeStatus, DecidableStatus, ObjectType
from crm_hygiene.validate.value import check_value

if TYPE_CHECKING:
    from crm_hygiene.enrich.quality import QualityStore
    from crm_hygiene.services.audit.core import IntegrityDeps

DECIDABLE: frozenset[ChangeStatus] = frozenset(get_args(DecidableStatus))
_LEADS_TO: dict[type[BaseModel], HumanDecision] = {
    Approve: "approved",
    Reject: "rejected",
    EditAndApprove: "edited",
}

ErrorCode = str
"""A bulk result's error code: not_found, conflict, gone, invalid_decision, invalid_value, error."""
_ERROR_CODES: tuple[tuple[type[Exception], ErrorCode], ...] = (
    (NotFound, "not_found"),
    (Conflict, "conflict"),
    (Gone, "gone"),
    (InvalidValue, "invalid_value"),
    (InvalidDecision, "invalid_decision"),
)


class DecisionResult(BaseModel):
    """What became of one item of a bulk decision or a run rollback.

    Attributes:
        status: The item's status after it, or ``error``.
        error: Why it failed (``<ErrorType>: <message>``; ``internal error`` for an unexpected one).
        error_code: The error's code (see ``ErrorCode``), None when it succeeded.
        field / rule: For ``invalid_value``: the field and the rule that refused the value.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    review_id: str
    status: str
    error: str | None = None
    error_code: ErrorCode | None = None
    field: str | None = None
    rule: str | None = None


class Unmerge(Protocol):
    """Undoes a performed merge (``services.merge.unmerge.Unmerger``; the merge use case imports this
    one, so it arrives as a port rather than an import)."""

    def __call__(self, review_id: str, reviewer: str) -> BaseModel:
        """Unmerges the merge ``review_id``; ``Conflict`` when it cannot be (never merged, unmerged)."""
        ...


@dataclass
class ReviewDeps:
    queue: ChangeQueue
    audit: AuditLog
    memory: DecisionMemory
    apply_queue: WorkQueue
    workflow: Workflow
    crm: CrmStore
    health: HealthStore
    quality: QualityStore | None = None
    alerts: AlertSink | None = None
    signals: SignalBus | None = None  # measurement events of decisions (services/review/metrics.py)
    failures: FailureFigures | None = None  # dead letters and failed merges for the console's figures
    standard: DataStandard = field(default_factory=default_standard)
    """The standard edit values are checked against (the deployment's, like the scan's)."""
    integrity: IntegrityDeps | None = None  # audit verification (GET /audit/verify, verified history)
    scans: ScanRunner | None = None  # starts and follows scans on demand (POST /scans)
    unmerge: Unmerge | None = None
    """Undoes a merge (``services/merge/unmerge.py``'s ``Unmerger``, set by the wiring): a change or run
    rollback that meets a merge unmerges it. None: merges are refused (409) as before."""


def decide(deps: ReviewDeps, review_id: str, decision: ReviewDecision, reviewer: str) -> ReviewItem:
    """Applies a reviewer's decision to one item (see the module docstring).

    Raises:
        NotFound: no such item. Conflict: the item is not awaiting a decision, or changed meanwhile.
        Gone: a merge whose workflow no longer waits (timed out or finished).
        InvalidValue: an edit's value the standard refuses (nothing changed).
        InvalidDecision: a decision that cannot apply to the item (an edit of a row-level finding or
            a merge, a merge primary that is not a member).
    """
    item = deps.queue.get(review_id)
    leads_to = _LEADS_TO[type(decision)]
    if item.status not in DECIDABLE:
        if item.status == leads_to and _same(deps, item, decision):
            return _effects(deps, item, repeat=True)  # a repeat: finish what the first one began
        raise Conflict(f"review {review_id} is {item.status}, not awaiting a decision")
    if item.change_kind == "merge":
        return _decide_merge(deps, item, decision, reviewer)
    changes = _changes(deps, item, decision, reviewer)
    _audit_decision(deps.audit, item, leads_to, changes, reviewer)
    if isinstance(decision, Reject):
        deps.memory.remember_rejection(review_id, decision.note or "rejected", reviewer)
    updated = deps.queue.transition(item, leads_to, **changes)
    return _effects(deps, updated)


def _same(deps: ReviewDeps, item: ReviewItem, decision: ReviewDecision) -> bool:
    """Whether ``decision`` is the one that put ``item`` in its state (so sending it again is a retry)."""
    if isinstance(decision, EditAndApprove):
        if item.final_value is None or not item.field:
            return False
        try:
            value = check_value(deps.standard, item.object_type, item.field, decision.value)
        except InvalidValue:
            return False
        return item.final_value in (value, decision.value)
    if isinstance(decision, Approve) and decision.primary_id is not None:
        return decision.primary_id == item.final_value  # a merge approval naming the same primary
    return True


def _changes(deps: ReviewDeps, item: ReviewItem, decision: ReviewDecision, reviewer: str) -> dict[str, Any]:
    """What the decision changes on the item (besides its status); checks an edit's value first."""
    changes: dict[str, Any] = {
        "reviewer": reviewer,
        "note": decision.note,
        "decided_by": reviewer,
        "decided_as": _LEADS_TO[type(decision)],
    }
    if isinstance(decision, Approve):
        _approvable_as_is(item)
    if not isinstance(decision, EditAndApprove):
        return changes
    if not item.field:
        raise InvalidDecision(
            f"review {item.review_id} is a row-level finding about the whole record: there is no field to "
            "edit; approve or reject it, or edit the record in the CRM"
        )
    records = deps.crm.get_records(item.object_type, [item.record_id])
    record = next((r for r in records if r.record_id == item.record_id), None)
    country = _country(deps.standard, record.get("country")) if record is not None else None
    changes["final_value"] = check_value(
        deps.standard, item.object_type, item.field, decision.value, country=country
    )
    if not item.is_change:  # a finding: the change it implies, against what the CRM holds now
        if record is None:
            raise Conflict(
                f"review {item.review_id}: {item.object_type} {item.record_id} is no longer in the CRM"
            )
        changes["current_value"] = record.get(item.field)
        changes["source"] = f"reviewer:{reviewer}"
    return changes


def _approvable_as_is(item: ReviewItem) -> None:
    """Refuses approving a value the policy would never apply: approving writes it as it is, so an
    item blocked for emptying its field (a delete) or for a spreadsheet formula needs an edited value
    or a rejection. A restore puts back what the CRM held and a merge writes no single value."""
    if not item.is_change or item.change_kind in ("merge", "restore") or not item.field:
        return
    value = item.value_to_write
    if not value.strip():
        raise InvalidValue(
            item.field, "required",
            "approving would empty the field and deletes are never applied: edit a value or reject",
        )  # fmt: skip
    if starts_formula(value):
        raise InvalidValue(
            item.field, "formula",
            f"the value starts with {value[0]!r}, which spreadsheets run as a formula: edit it or reject",
        )  # fmt: skip


def _country(standard: DataStandard, raw: str) -> str | None:
    try:
        return check_value(standard, "contact", "country", raw) if raw.strip() else None
    except InvalidValue:
        return None


def _effects(deps: ReviewDeps, item: ReviewItem, *, repeat: bool = False) -> ReviewItem:
    """What a decided item still needs once its status changed; each step is idempotent, so a repeat
    of the decision finishes a first attempt that stopped half-way."""
    if item.change_kind == "merge":
        return _resume_workflow(deps, item) if repeat else item
    if repeat and item.status == "rejected":
        deps.memory.remember_rejection(item.review_id, item.note or "rejected", item.decided_by or "")
    if item.change_kind == "enrich" and deps.quality is not None:
        _count_outcome(deps.quality, item)
    if item.status in ("approved", "edited") and item.is_change:
        deps.apply_queue.send([ApplyMessage(review_id=item.review_id, run_id=item.run_id)])
    return item


def _count_outcome(quality: QualityStore, item: ReviewItem) -> None:
    """A reviewed enrichment teaches provider quality (once per item)."""
    if quality.seen_feedback(item.review_id):
        return
    from crm_hygiene.enrich.quality import review_outcome

    providers = [p.strip() for p in item.source.split(",") if p.strip()]
    quality.add(review_outcome(providers, item.field, item.status), [item.review_id])


def _decide_merge(deps: ReviewDeps, item: ReviewItem, decision: ReviewDecision, reviewer: str) -> ReviewItem:
    """Audit, then the status (so the merge task finds the item approved), then the workflow."""
    primary = decision.primary_id if isinstance(decision, Approve) else None
    if primary is not None:
        check_primary(item, primary)
    if isinstance(decision, EditAndApprove):
        raise InvalidDecision(
            "a merge cannot be edited; approve it (optionally naming primary_id) or reject it"
        )
    if item.task_token is None:
        raise Conflict(f"merge {item.review_id} is not waiting in a workflow yet; try again shortly")
    leads_to = _LEADS_TO[type(decision)]
    changes = _changes(deps, item, decision, reviewer)
    if primary is not None:
        changes["final_value"] = primary  # the reviewer's primary, for a repeat to resume with
    _audit_decision(deps.audit, item, leads_to, changes, reviewer)
    if isinstance(decision, Reject):
        members = item.proposal.members if item.proposal is not None else ()
        # by the merge and by each pair in it: no later scan or entry check proposes any of them again
        for key in (item.review_id, *pair_keys_of(item.object_type, members)):
            deps.memory.remember_rejection(key, decision.note or "rejected", reviewer)
    updated = deps.queue.transition(item, leads_to, **changes)
    try:
        _answer_workflow(deps, updated)
    except Gone:
        if updated.status == "approved":  # it will never merge: say so on the item, decidable again
            deps.queue.transition(updated, "failed", note="the merge workflow no longer waits (timed out)")
            raise
        logger.info(
            "merge workflow no longer waiting; the rejection stands", extra={"review_id": item.review_id}
        )
    return updated


def _answer_workflow(deps: ReviewDeps, item: ReviewItem) -> None:
    if item.task_token is None:
        raise Gone(f"merge {item.review_id} holds no workflow token")
    if item.status == "rejected":
        deps.workflow.fail(item.task_token, "Rejected", item.note or "rejected by a reviewer")
    else:
        approval = MergeApproval(
            decision="approve", reviewer=item.decided_by or "", primary_id=item.final_value
        )
        deps.workflow.resume(item.task_token, approval.model_dump(mode="json"))


def _resume_workflow(deps: ReviewDeps, item: ReviewItem) -> ReviewItem:
    """A repeated merge decision: answer the workflow again; ``Gone`` means the first answer arrived."""
    try:
        _answer_workflow(deps, item)
    except Gone:
        pass
    return item


def check_primary(item: ReviewItem, primary_id: str) -> None:
    """Refuses a merge primary that is not one of the merge's members.

    Raises:
        InvalidDecision: it is not a member (or the item holds no proposal to check it against).
    """
    if item.proposal is None:
        raise InvalidDecision(f"review {item.review_id} has no merge proposal: it cannot take a primary_id")
    if primary_id not in item.proposal.members:
        members = ", ".join(item.proposal.members)
        raise InvalidDecision(
            f"primary_id {primary_id} is not one of the records this merge joins ({members}); "
            "choose one of them"
        )


def _audit_decision(
    audit: AuditLog, item: ReviewItem, status: HumanDecision, changes: dict[str, Any], reviewer: str
) -> None:
    """The decision's entry, before any effect; its id is the item's version, so a repeat is one entry."""
    decided = item.model_copy(update=changes)
    writes = status != "rejected" and decided.is_change and decided.change_kind != "merge"
    audit.append(
        [
            AuditDraft(
                actor=f"user:{reviewer}",
                action=status,
                object_type=item.object_type,
                record_id=item.record_id,
                field=item.field,
                before=decided.current_value,
                after=decided.value_to_write if writes else decided.final_value,
                reason=decided.note or f"reviewer decision on {item.kind}",
                change_id=item.review_id,
                review_id=item.review_id,
                run_id=item.run_id,
                entry_id=entry_id(item.review_id, status, item.version),
                confidence=item.confidence,
                source=source_of(decided),
                reviewer=reviewer,
            )
        ]
    )


def decide_many(
    deps: ReviewDeps, decisions: Sequence[tuple[str, ReviewDecision]], reviewer: str
) -> list[DecisionResult]:
    """Decides several items: one result per item, in order; an item's error (any error) is that item's
    result and never stops the others or fails the call."""
    return [_decide_one(deps, review_id, decision, reviewer) for review_id, decision in decisions]


def _decide_one(deps: ReviewDeps, review_id: str, decision: ReviewDecision, reviewer: str) -> DecisionResult:
    try:
        item = decide(deps, review_id, decision, reviewer)
    except Exception as exc:  # noqa: BLE001  # one item's failure is its result, whatever it is
        return error_result(review_id, exc)
    return DecisionResult(review_id=review_id, status=item.status)


def error_result(review_id: str, exc: Exception) -> DecisionResult:
    """One item's error as a result: typed code; the message for our own errors only (an unexpected
    error's text may hold backend details or values, so it is logged by type and replaced)."""
    code = next((c for t, c in _ERROR_CODES if isinstance(exc, t)), None)
    if code is None:  # logged by type and place only: an exception's text may hold record values
        where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        at = f"{where.filename.rsplit('/', 1)[-1]}:{where.lineno}" if where else "?"
        extra = {"review_id": review_id, "error": type(exc).__name__, "at": at}
        logger.error("decision failed unexpectedly", extra=extra)
        return DecisionResult(review_id=review_id, status="error", error="internal error", error_code="error")
    if isinstance(exc, InvalidValue):
        return DecisionResult(review_id=review_id, status="error", error=f"InvalidValue: {exc}",
                              error_code=code, field=exc.field, rule=exc.rule)  # fmt: skip
    return DecisionResult(
        review_id=review_id, status="error", error=f"{type(exc).__name__}: {exc}", error_code=code
    )


def rollback_change(deps: ReviewDeps, review_id: str, reviewer: str) -> ReviewItem:
    """Restores the value a change replaced, exactly, if the CRM still holds what it wrote.

    Intent entry, CRM write, outcome entry, status (see the module docstring): a repeat after a crash
    anywhere finds the item still ``applied`` and the CRM already holding the old value, and ends the same.
    """
    item = deps.queue.get(review_id)
    if item.change_kind == "merge" and deps.unmerge is not None:
        # the same answer as POST /merges/{id}/unmerge (a second unmerge is refused, saying when)
        deps.unmerge(review_id, reviewer)
        return deps.queue.get(review_id)
    if item.status == "rolled_back":
        return item  # a repeat (the first one's answer was lost): it is done
    if item.status != "applied":
        raise Conflict(f"review {review_id} is {item.status}; only applied changes can be rolled back")
    if not item.is_change or item.change_kind == "merge":
        raise Conflict(f"review {review_id} is a {item.change_kind}: only field changes can be rolled back")
    written = item.value_to_write
    write = FieldWrite(
        record_id=item.record_id,
        field=item.field,
        expected_old=written,
        new_value=item.current_value,
        change_id=f"rollback:{review_id}",
    )
    deps.audit.append([_rollback_draft(item, "rolling_back", reviewer, "about to roll back")])
    [result] = deps.crm.write_fields(item.object_type, [write])
    if result.status != "applied":
        raise Conflict(
            f"cannot roll back {review_id}: the CRM now holds {result.current!r} ({result.status})"
        )
    deps.audit.append([_rollback_draft(item, "rolled_back", reviewer, "rollback")])
    return deps.queue.transition(item, "rolled_back", reviewer=reviewer, note="rolled back")


def _rollback_draft(item: ReviewItem, action: AuditAction, reviewer: str, reason: str) -> AuditDraft:
    return AuditDraft(
        actor=f"user:{reviewer}",
        action=action,
        object_type=item.object_type,
        record_id=item.record_id,
        field=item.field,
        before=item.value_to_write,
        after=item.current_value,
        reason=reason,
        change_id=item.review_id,
        review_id=item.review_id,
        run_id=item.run_id,
        entry_id=entry_id(item.review_id, action, item.version),
        confidence=item.confidence,
        source=AuditSource(kind="reviewer", name=reviewer),
        reviewer=reviewer,
    )


def rollback_run(deps: ReviewDeps, run_id: str, reviewer: str) -> list[DecisionResult]:
    """Rolls back every applied change of a run, newest first; reports each one."""
    applied: list[ReviewItem] = []
    cursor: str | None = None
    while True:
        page, cursor = deps.queue.list(run_id=run_id, status="applied", limit=200, cursor=cursor)
        applied.extend(page)
        if cursor is None:
            break
    results = []
    for item in sorted(applied, key=lambda i: i.updated_at, reverse=True):
        try:
            rollback_change(deps, item.review_id, reviewer)
            results.append(DecisionResult(review_id=item.review_id, status="rolled_back"))
        except Exception as exc:  # noqa: BLE001  # one item's failure is its result
            results.append(error_result(item.review_id, exc))
    return results


def item_detail(deps: ReviewDeps, review_id: str) -> tuple[ReviewItem, list[AuditEntry]]:
    """The item and the audit history of its record (what happened to it so far)."""
    item = deps.queue.get(review_id)
    return item, deps.audit.history(item.object_type, item.record_id)


def health(deps: ReviewDeps) -> dict[str, Any]:
    """The latest aggregate health per object type."""
    return {t: deps.health.aggregate(t) for t in OBJECT_TYPES}


def health_history(deps: ReviewDeps, object_type: ObjectType | None, limit: int) -> list[HealthPoint]:
    """The newest ``limit`` runs' health of ``object_type`` (every type: their points together),
    oldest first: the trend the console charts."""
    types = [object_type] if object_type else list(OBJECT_TYPES)
    points = [p for t in types for p in deps.health.history(t, limit)]
    points.sort(key=lambda p: (p.at, p.run_id, p.object_type))
    return points[-limit:]
