"""The reviewer's use cases: list, look at, decide (one or many), roll back (figures: ``metrics.py``).

Merge decisions resume the waiting merge workflow through its stored task token; the token never
leaves the server. Every decision is audited with the reviewer's identity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from crm_hygiene.errors import Conflict, Gone, HygieneError, InvalidDecision, NotFound
from crm_hygiene.models.audit import AuditDraft, AuditEntry
from crm_hygiene.models.crm import FieldWrite
from crm_hygiene.models.merge import MergeApproval, pair_keys_of
from crm_hygiene.models.messages import ApplyMessage
from crm_hygiene.models.review import Approve, EditAndApprove, Reject, ReviewDecision, ReviewItem
from crm_hygiene.ports import (
    AlertSink,
    AuditLog,
    ChangeQueue,
    CrmStore,
    DecisionMemory,
    FailureFigures,
    HealthStore,
    SignalBus,
    Workflow,
    WorkQueue,
)
from crm_hygiene.types import OBJECT_TYPES, ChangeStatus

if TYPE_CHECKING:
    from crm_hygiene.enrich.quality import QualityStore
    from crm_hygiene.services.audit.core import IntegrityDeps

DECIDABLE: frozenset[ChangeStatus] = frozenset({"queued", "blocked", "conflict"})


class DecisionResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    review_id: str
    status: str
    error: str | None = None


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
    integrity: IntegrityDeps | None = None  # audit verification (GET /audit/verify, verified history)


def decide(deps: ReviewDeps, review_id: str, decision: ReviewDecision, reviewer: str) -> ReviewItem:
    """Applies a reviewer's decision to one item.

    Raises:
        NotFound: no such item. Conflict: the item is not awaiting a decision, or changed meanwhile.
        Gone: a merge whose workflow no longer waits (timed out or finished).
    """
    item = deps.queue.get(review_id)
    if item.status not in DECIDABLE:
        raise Conflict(f"review {review_id} is {item.status}, not awaiting a decision")
    if item.change_kind == "merge":
        return _decide_merge(deps, item, decision, reviewer)
    if isinstance(decision, Reject):
        updated = deps.queue.transition(item, "rejected", reviewer=reviewer, note=decision.note,
                                        decided_by=reviewer, decided_as="rejected")  # fmt: skip
        deps.memory.remember_rejection(review_id, decision.note or "rejected", reviewer)
    elif isinstance(decision, EditAndApprove):
        if not item.is_change and item.field == "":
            raise Conflict(f"review {review_id} is a row-level finding: there is no field to edit")
        updated = deps.queue.transition(
            item, "edited", reviewer=reviewer, note=decision.note, final_value=decision.value,
            decided_by=reviewer, decided_as="edited",
        )  # fmt: skip
    else:
        updated = deps.queue.transition(item, "approved", reviewer=reviewer, note=decision.note,
                                        decided_by=reviewer, decided_as="approved")  # fmt: skip
    _audit_decision(deps.audit, updated, reviewer)
    if updated.change_kind == "enrich" and deps.quality is not None:
        _count_outcome(deps.quality, updated)
    if updated.status in ("approved", "edited") and (updated.is_change or updated.final_value):
        deps.apply_queue.send([ApplyMessage(review_id=review_id, run_id=updated.run_id)])
    return updated


def _count_outcome(quality: QualityStore, item: ReviewItem) -> None:
    """A reviewed enrichment teaches provider quality (once per item)."""
    if quality.seen_feedback(item.review_id):
        return
    from crm_hygiene.enrich.quality import review_outcome

    providers = [p.strip() for p in item.source.split(",") if p.strip()]
    quality.add(review_outcome(providers, item.field, item.status), [item.review_id])


def _decide_merge(deps: ReviewDeps, item: ReviewItem, decision: ReviewDecision, reviewer: str) -> ReviewItem:
    primary = decision.primary_id if isinstance(decision, Approve) else None
    if primary is not None:
        check_primary(item, primary)
    if item.task_token is None:
        raise Conflict(f"merge {item.review_id} is not waiting in a workflow yet; try again shortly")
    if isinstance(decision, Reject):
        deps.workflow.fail(item.task_token, "Rejected", decision.note or "rejected by a reviewer")
        updated = deps.queue.transition(item, "rejected", reviewer=reviewer, note=decision.note,
                                        decided_by=reviewer, decided_as="rejected")  # fmt: skip
        # by the merge and by each pair in it: no later scan or entry check proposes any of them again
        members = item.proposal.members if item.proposal is not None else ()
        for key in (item.review_id, *pair_keys_of(item.object_type, members)):
            deps.memory.remember_rejection(key, decision.note or "rejected", reviewer)
    elif isinstance(decision, EditAndApprove):
        raise Conflict("a merge cannot be edited; approve it (optionally naming primary_id) or reject it")
    else:
        approval = MergeApproval(decision="approve", reviewer=reviewer, primary_id=primary)
        deps.workflow.resume(item.task_token, approval.model_dump(mode="json"))
        updated = deps.queue.transition(item, "approved", reviewer=reviewer, note=decision.note,
                                        decided_by=reviewer, decided_as="approved")  # fmt: skip
    _audit_decision(deps.audit, updated, reviewer)
    return updated


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


def _audit_decision(audit: AuditLog, item: ReviewItem, reviewer: str) -> None:
    audit.append(
        [
            AuditDraft(
                actor=f"user:{reviewer}",
                action=item.status,
                object_type=item.object_type,
                record_id=item.record_id,
                field=item.field,
                before=item.current_value,
                after=item.final_value,
                reason=item.note or f"reviewer decision on {item.kind}",
                change_id=item.review_id,
                review_id=item.review_id,
                run_id=item.run_id,
            )
        ]
    )


def decide_many(
    deps: ReviewDeps, decisions: Sequence[tuple[str, ReviewDecision]], reviewer: str
) -> list[DecisionResult]:
    """Decides several items; one failing does not stop the others (each result says what happened)."""
    results = []
    for review_id, decision in decisions:
        try:
            item = decide(deps, review_id, decision, reviewer)
            results.append(DecisionResult(review_id=review_id, status=item.status))
        except (NotFound, Conflict, Gone, InvalidDecision, ValueError) as exc:
            results.append(
                DecisionResult(review_id=review_id, status="error", error=f"{type(exc).__name__}: {exc}")
            )
    return results


def rollback_change(deps: ReviewDeps, review_id: str, reviewer: str) -> ReviewItem:
    """Restores the value a change replaced, exactly, if the CRM still holds what it wrote."""
    item = deps.queue.get(review_id)
    if item.status != "applied":
        raise Conflict(f"review {review_id} is {item.status}; only applied changes can be rolled back")
    written = item.final_value if item.final_value is not None else item.suggested_value
    [result] = deps.crm.write_fields(
        item.object_type,
        [
            FieldWrite(
                record_id=item.record_id,
                field=item.field,
                expected_old=written,
                new_value=item.current_value,
                change_id=f"rollback:{review_id}",
            )
        ],
    )
    if result.status != "applied":
        raise Conflict(
            f"cannot roll back {review_id}: the CRM now holds {result.current!r} ({result.status})"
        )
    updated = deps.queue.transition(item, "rolled_back", reviewer=reviewer, note="rolled back")
    deps.audit.append(
        [
            AuditDraft(
                actor=f"user:{reviewer}",
                action="rolled_back",
                object_type=item.object_type,
                record_id=item.record_id,
                field=item.field,
                before=written,
                after=item.current_value,
                reason="rollback",
                change_id=review_id,
                review_id=review_id,
                run_id=item.run_id,
            )
        ]
    )
    return updated


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
        except HygieneError as exc:
            results.append(DecisionResult(review_id=item.review_id, status="error", error=str(exc)))
    return results


def item_detail(deps: ReviewDeps, review_id: str) -> tuple[ReviewItem, list[AuditEntry]]:
    """The item and the audit history of its record (what happened to it so far)."""
    item = deps.queue.get(review_id)
    return item, deps.audit.history(item.object_type, item.record_id)


def health(deps: ReviewDeps) -> dict[str, Any]:
    """The latest aggregate health per object type."""
    return {t: deps.health.aggregate(t) for t in OBJECT_TYPES}
