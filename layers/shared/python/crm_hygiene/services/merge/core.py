"""Merges: queue a merge for review (storing the workflow's task token), and perform an approved or
auto-approved merge through the CRM's own merge, then write the field winners, audit, settle.

A merge never deletes: the CRM keeps the merged records (HubSpot aliases them to the survivor, the
internal table marks them ``merged_into``). HubSpot mints a new id for the survivor; the merge
continues from whatever id the CRM returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict

from crm_hygiene.errors import HygieneError, NotFound
from crm_hygiene.models.audit import AuditDraft
from crm_hygiene.models.crm import FieldWrite
from crm_hygiene.models.fields import CANONICAL_FIELDS
from crm_hygiene.models.merge import MergeProposal
from crm_hygiene.models.messages import MergeTask
from crm_hygiene.models.review import ReviewItem
from crm_hygiene.ports import AuditLog, ChangeQueue, CrmStore, Workflow
from crm_hygiene.types import ChangeStatus, ObjectType, RecordId


def start_merge_workflow(workflow: Workflow, proposal: MergeProposal, run_id: str) -> str:
    """Starts the merge workflow for one proposal (by itself only in the auto band); returns the
    review id, which also names the execution so that proposing the same merge twice starts one."""
    review_id = f"merge-{proposal.proposal_id}"
    payload = {
        "review_id": review_id,
        "run_id": run_id,
        "auto": proposal.band == "auto",
        "proposal": proposal.model_dump(mode="json"),
    }
    workflow.start_merge(payload, name=review_id)
    return review_id


@dataclass(frozen=True)
class MergePlan:
    """What a merge does, read from a merge proposal (and the reviewer's choice of primary)."""

    object_type: ObjectType
    primary: RecordId
    members: tuple[RecordId, ...]
    winners: dict[str, str] = field(default_factory=dict)
    probability: float | None = None


def plan_of(proposal: dict[str, Any], decision: dict[str, Any] | None = None) -> MergePlan:
    """Reads a merge proposal (``models/merge.py`` MergeProposal as JSON) into a plan."""
    members = tuple(str(m["record_id"] if isinstance(m, dict) else m) for m in proposal.get("members", []))
    primary = str(
        (decision or {}).get("primary_id")
        or proposal.get("suggested_primary")
        or proposal.get("primary_id", "")
    )
    if len(members) < 2 or primary not in members:
        raise HygieneError(f"merge proposal needs two or more members including the primary {primary!r}")
    winners: dict[str, str] = {}
    for name, winner in (proposal.get("field_winners") or {}).items():
        value = winner.get("value") if isinstance(winner, dict) else winner
        if isinstance(value, str) and value:
            winners[name] = value
    probability = proposal.get("match_probability")
    return MergePlan(
        object_type=proposal["object_type"],
        primary=primary,
        members=members,
        winners=winners,
        probability=float(probability) if probability is not None else None,
    )


def merge_item(task: MergeTask, status: ChangeStatus) -> ReviewItem:
    """The review item of a merge (kind duplicate, change kind merge)."""
    plan = plan_of(task.proposal, task.decision)
    others = [m for m in plan.members if m != plan.primary]
    return ReviewItem(
        review_id=task.review_id,
        run_id=task.run_id,
        kind="duplicate",
        change_kind="merge",
        object_type=plan.object_type,
        record_id=plan.primary,
        field="",
        current_value=", ".join(plan.members),
        suggested_value=f"merge {', '.join(others)} into {plan.primary}",
        evidence=str(
            task.proposal.get("evidence_summary") or task.proposal.get("explanation") or "duplicate records"
        ),
        confidence=plan.probability if plan.probability is not None else 0.0,
        protected=False,
        decision="auto" if status == "auto_applied" else "review",
        status=status,
        source="dedup",
        proposal=task.proposal,
    )


def register_review(task: MergeTask, *, queue: ChangeQueue, audit: AuditLog) -> ReviewItem:
    """Queues the merge for a reviewer (idempotent) and stores the workflow's task token on it."""
    if not task.task_token:
        raise HygieneError("a merge review needs the workflow's task token")
    added = queue.put_new([merge_item(task, "queued")])
    queue.set_task_token(task.review_id, task.task_token)
    if added:
        item = added[0]
        audit.append(
            [
                AuditDraft(
                    actor="system:merge",
                    action="queued",
                    object_type=item.object_type,
                    record_id=item.record_id,
                    field="",
                    after=item.suggested_value,
                    reason="merge proposed; waiting for a reviewer",
                    change_id=item.review_id,
                    review_id=item.review_id,
                    run_id=item.run_id,
                )
            ]
        )
    return queue.get(task.review_id)


class MergeOutcome(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    review_id: str
    surviving_id: RecordId
    merged_ids: list[RecordId]
    fields_written: int
    status: str


def perform_merge(task: MergeTask, *, queue: ChangeQueue, crm: CrmStore, audit: AuditLog) -> MergeOutcome:
    """Merges the proposal's members into the primary (see the module docstring)."""
    plan = plan_of(task.proposal, task.decision)
    item = _item_for(task, queue)
    if item.status == "applied":
        return MergeOutcome(
            review_id=item.review_id,
            surviving_id=item.final_value or plan.primary,
            merged_ids=[],
            fields_written=0,
            status="applied",
        )
    survivor, merged, drafts = plan.primary, [], []
    actor = f"user:{item.reviewer}" if item.reviewer else "system:merge"
    for member in plan.members:
        if member == plan.primary:
            continue
        result = crm.merge(plan.object_type, survivor, member)
        merged.append(member)
        drafts.append(
            AuditDraft(
                actor=actor,
                action="merged",
                object_type=plan.object_type,
                record_id=member,
                field="",
                before=member,
                after=result.surviving_id,
                reason=f"merged into {result.surviving_id}",
                change_id=item.review_id,
                review_id=item.review_id,
                run_id=item.run_id,
            )
        )
        survivor = result.surviving_id
    written = _write_winners(crm, plan, survivor, item, drafts, actor)
    audit.append(drafts)
    queue.transition(
        item, "applied", final_value=survivor, note=f"merged {len(merged)} record(s) into {survivor}"
    )
    return MergeOutcome(
        review_id=item.review_id,
        surviving_id=survivor,
        merged_ids=merged,
        fields_written=written,
        status="applied",
    )


def _item_for(task: MergeTask, queue: ChangeQueue) -> ReviewItem:
    try:
        return queue.get(task.review_id)
    except NotFound:
        queue.put_new([merge_item(task, "auto_applied")])  # the auto path: no reviewer item yet
        return queue.get(task.review_id)


def _write_winners(
    crm: CrmStore, plan: MergePlan, survivor: RecordId, item: ReviewItem, drafts: list[AuditDraft], actor: str
) -> int:
    """Sets the survivor's fields to the chosen winners, optimistically; conflicts are left as they are."""
    records = crm.get_records(plan.object_type, [survivor])
    if not records or not plan.winners:
        return 0
    current = records[0]
    canonical = CANONICAL_FIELDS[plan.object_type]  # custom columns stay as the CRM's own merge left them
    writes = [
        FieldWrite(
            record_id=survivor,
            field=name,
            expected_old=current.get(name),
            new_value=value,
            change_id=f"{item.review_id}:{name}",
        )
        for name, value in plan.winners.items()
        if name in canonical and name != "record_id" and current.get(name) != value
    ]
    written = 0
    for write, result in zip(writes, crm.write_fields(plan.object_type, writes), strict=True):
        if result.status == "applied":
            written += 1
            drafts.append(
                AuditDraft(
                    actor=actor,
                    action="applied",
                    object_type=plan.object_type,
                    record_id=survivor,
                    field=write.field,
                    before=write.expected_old,
                    after=write.new_value,
                    reason="field winner of the merge",
                    change_id=item.review_id,
                    review_id=item.review_id,
                    run_id=item.run_id,
                )
            )
        # a conflict (the field changed meanwhile) keeps the survivor's value: the merge itself stands
    return written
