"""Merges: queue a merge for review (storing the workflow's task token), and perform an approved or
auto-approved merge through the CRM's own merge, then write the field winners, audit, settle.

A merge never deletes: the CRM keeps the merged records (HubSpot aliases them to the survivor, the
internal table marks them ``merged_into``). HubSpot mints a new id for the survivor; the merge
continues from whatever id the CRM returns.

When the reviewer kept another member than the suggested primary, the field winners are chosen again
around that member, from the members' values in the CRM at merge time (``winners_for``): the
proposal's winners were chosen around the suggested primary (its owner, its lifecycle stage) and the
proposal does not hold the members' values, which may have changed during the review anyway.

**Audit before effect.** A merge writes ``merging`` (its intent: the members and the survivor) before
the CRM's first merge call, one ``merged`` entry right after each member's merge, an ``applying``
intent before the field winners are written and one ``applied`` outcome per field written, and only
then settles the item ``applied``. Before the ``merging`` intent, every member's whole state goes into a
``before_image`` entry, and after the winners the survivor's into an ``after_image`` entry: what an
unmerge (``unmerge.py``) needs. Entry ids are deterministic (review id, action, the item's version,
the member or field), and every step can be repeated: the CRM's merge of an already merged member
answers "already merged", a winner already written is found in the CRM, and a field whose intent has
no outcome yet is written (or found written) and given its outcome. So re-running the Merge task
after a crash at any step (Step Functions' retry, a redrive) ends with every merge and write audited
once and nothing merged or written twice.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict

from crm_hygiene.errors import HygieneError, NotFound
from crm_hygiene.models.audit import AuditAction, AuditDraft, AuditSource, entry_id
from crm_hygiene.models.crm import FieldWrite
from crm_hygiene.models.fields import CANONICAL_FIELDS
from crm_hygiene.models.merge import MergeProposal, merge_text
from crm_hygiene.models.messages import MergeTask
from crm_hygiene.models.queue import QueueRow
from crm_hygiene.models.review import ReviewItem
from crm_hygiene.ports import AuditLog, ChangeQueue, CrmStore, Workflow
from crm_hygiene.services.members import field_winners
from crm_hygiene.services.review.queue import enqueue, review_item
from crm_hygiene.standard.model import DataStandard
from crm_hygiene.types import ChangeStatus, FieldName, ObjectType, QueueDecision, RecordId, status_of


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


def merge_row(
    proposal: MergeProposal,
    decision: QueueDecision,
    *,
    primary: RecordId | None = None,
    evidence: str | None = None,
    status: ChangeStatus | None = None,
) -> QueueRow:
    """The one queue row of a merge, for queue.csv and for the review queue.

    Args:
        proposal: The merge proposal.
        decision: ``auto`` (the auto-merge band, which the standard must enable) or ``review``.
        primary: The member that survives (default: the suggested primary).
        evidence: What the row says (default: the whole proposal as compact JSON, for a file).
        status: Where it is in the lifecycle (default: what the decision leads to for a merge).
    """
    survivor = primary or proposal.suggested_primary
    return QueueRow(
        record_id=survivor,
        object_type=proposal.object_type,
        kind="duplicate",
        field="",
        current_value=", ".join(proposal.members),
        suggested_value=merge_text(proposal.members, survivor),
        evidence=proposal.model_dump_json(exclude_defaults=True) if evidence is None else evidence,
        confidence=proposal.match_probability,
        protected=bool(proposal.protected_conflicts),
        decision=decision,
        status=status or status_of(decision, merge=True),
    )


def merge_item(task: MergeTask, status: ChangeStatus) -> ReviewItem:
    """The review item of a merge (kind duplicate, change kind merge)."""
    proposal = task.proposal
    row = merge_row(
        proposal,
        "auto" if status == "auto_applied" else "review",
        primary=task.primary,
        evidence=proposal.evidence_summary or "duplicate records",
        status=status,
    )
    return review_item(
        row, task.run_id, review_id=task.review_id, change_kind="merge", source="dedup", proposal=proposal
    )


def register_review(task: MergeTask, *, queue: ChangeQueue, audit: AuditLog) -> ReviewItem:
    """Queues the merge for a reviewer (idempotent) and stores the workflow's task token on it."""
    if not task.task_token:
        raise HygieneError("a merge review needs the workflow's task token")
    enqueue([merge_item(task, "queued")], task.run_id, queue=queue, apply_queue=None)
    queue.set_task_token(task.review_id, task.task_token)
    item = queue.get(task.review_id)
    # once per merge (by entry id), also when a retry finds the item queued by an attempt that failed here
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
                entry_id=entry_id(item.review_id, "queued", 0),
                confidence=item.confidence,
                source=_SOURCE,
            )
        ]
    )
    return item


class MergeOutcome(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    review_id: str
    surviving_id: RecordId
    merged_ids: list[RecordId]
    fields_written: int
    status: str


def perform_merge(
    task: MergeTask, *, queue: ChangeQueue, crm: CrmStore, audit: AuditLog, standard: DataStandard
) -> MergeOutcome:
    """Merges the proposal's members into the primary (see the module docstring).

    Args:
        task: The workflow's Merge payload: the proposal and the approval (with the reviewer's primary).
        standard: The clean-record standard: its survivorship rules and protected fields choose the
            field winners again when the reviewer kept another primary.
    """
    item = _item_for(task, queue)
    if item.status == "applied":
        return MergeOutcome(
            review_id=item.review_id,
            surviving_id=item.final_value or task.primary,
            merged_ids=[],
            fields_written=0,
            status="applied",
        )
    object_type = task.proposal.object_type
    winners = winners_for(task, crm, standard)  # before merging: the CRM then holds the survivor alone
    step = _Step(item, object_type, f"user:{item.decided_by}" if item.decided_by else "system:merge")
    others = [m for m in task.proposal.members if m != task.primary]
    _keep_before_images(crm, audit, step, task)
    audit.append(
        [step.draft("merging", item.record_id, "", ", ".join(others), task.primary,
                    f"about to merge {', '.join(others)} into {task.primary}")]
    )  # fmt: skip
    survivor, merged = task.primary, []
    for member in others:
        result = crm.merge(object_type, survivor, member)
        merged.append(member)
        audit.append(
            [step.draft("merged", member, "", member, result.surviving_id,
                        f"merged into {result.surviving_id}", part=member)]
        )  # fmt: skip
        survivor = result.surviving_id
    written = _write_winners(crm, audit, winners, survivor, step)
    _keep_after_image(crm, audit, step, survivor)
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


def winners_for(task: MergeTask, crm: CrmStore, standard: DataStandard) -> dict[FieldName, str]:
    """Field -> the value the survivor keeps: the proposal's winners when the suggested primary
    survives; otherwise survivorship again with the reviewer's primary fixed, over the members'
    current values read from the CRM (see the module docstring).

    Raises:
        NotFound: the reviewer's primary is no longer in the CRM.
    """
    try:
        winners = field_winners(task.proposal, task.primary, crm, standard)
    except NotFound:
        primary = task.primary
        raise NotFound(f"merge {task.review_id}: the chosen primary {primary} is not in the CRM") from None
    return {name: winner.value for name, winner in winners.items() if winner.value}


def _keep_before_images(crm: CrmStore, audit: AuditLog, step: _Step, task: MergeTask) -> None:
    """One ``before_image`` entry per member (its whole state: every property, association and label,
    owner, lifecycle, consent), on the member's own chain, before anything is merged: what an unmerge
    puts back. A repeat (a retried Merge task) snapshots only the members that have none yet, so an
    image is never taken of a state the merge already changed, and appends the kept ones again (a
    no-op in the table, a retry of the archive put if that is what failed)."""
    # each member's own chain (a consistent read), not the by-change index, which may lag a crash
    kept = {m: e.before for m in task.proposal.members for e in audit.history(step.object_type, m)
            if e.entry_id == step.id("before_image", m)}  # fmt: skip
    missing = [m for m in task.proposal.members if not kept.get(m)]
    images = (
        {i.record_id: i.model_dump_json() for i in crm.snapshot(step.object_type, missing)} if missing else {}
    )
    absent = [m for m in missing if m not in images]
    if absent:
        gone = ", ".join(absent)
        raise NotFound(f"merge {step.item.review_id}: {gone} no longer in the CRM; nothing merged")
    audit.append(
        [step.draft("before_image", m, "", kept.get(m) or images[m], task.primary,
                    f"before-image of {m} ahead of merging into {task.primary}", part=m)
         for m in task.proposal.members]
    )  # fmt: skip


def _keep_after_image(crm: CrmStore, audit: AuditLog, step: _Step, survivor: RecordId) -> None:
    """The survivor as the merge left it (``after_image``): an unmerge puts back only the fields still
    holding what the merge wrote, and raises the others for review."""
    images = crm.snapshot(step.object_type, [survivor])
    if not images:
        raise NotFound(f"merge {step.item.review_id}: the survivor {survivor} is not in the CRM")
    image = images[0]
    audit.append(
        [step.draft("after_image", survivor, "", None, image.model_dump_json(),
                    "the survivor as the merge left it", part=survivor)]
    )  # fmt: skip


def _item_for(task: MergeTask, queue: ChangeQueue) -> ReviewItem:
    try:
        return queue.get(task.review_id)
    except NotFound:
        queue.put_new([merge_item(task, "auto_applied")])  # the auto path: no reviewer item yet
        return queue.get(task.review_id)


_SOURCE = AuditSource(kind="rule", name="dedup")


class _Step:
    """The audit drafts of one merge: same change, actor, reviewer and item version for every step."""

    def __init__(self, item: ReviewItem, object_type: ObjectType, actor: str) -> None:
        self.item, self.object_type, self.actor = item, object_type, actor

    def draft(
        self,
        action: AuditAction,
        record_id: RecordId,
        name: FieldName,
        before: str | None,
        after: str | None,
        reason: str,
        part: str = "",
    ) -> AuditDraft:
        item = self.item
        return AuditDraft(
            actor=self.actor,
            action=action,
            object_type=self.object_type,
            record_id=record_id,
            field=name,
            before=before,
            after=after,
            reason=reason,
            change_id=item.review_id,
            review_id=item.review_id,
            run_id=item.run_id,
            entry_id=self.id(action, part),
            confidence=item.confidence,
            source=_SOURCE,
            reviewer=item.decided_by,
        )

    def id(self, action: AuditAction, part: str) -> str:
        return entry_id(self.item.review_id, action, self.item.version, part)


def _write_winners(
    crm: CrmStore, audit: AuditLog, winners: Mapping[FieldName, str], survivor: RecordId, step: _Step
) -> int:
    """Sets the survivor's fields to the chosen winners, optimistically; conflicts are left as they are.

    A field differing from its winner is written; so is one with an ``applying`` intent already (a repeat
    after a crash: the write finds the value there, and its outcome is appended, once)."""
    object_type = step.object_type
    records = crm.get_records(object_type, [survivor])
    if not records or not winners:
        return 0
    current = records[0]
    done = {e.entry_id for e in audit.history(object_type, survivor) if e.entry_id}
    canonical = CANONICAL_FIELDS[object_type]  # custom columns stay as the CRM's own merge left them
    # written before (a repeat): written again, found in the CRM, its outcome appended again (a no-op in
    # the table, a retry of the archive put if that is what failed)
    pending = {n for n in winners if step.id("applying", n) in done}
    writes = [
        FieldWrite(
            record_id=survivor,
            field=name,
            expected_old=current.get(name),
            new_value=value,
            change_id=f"{step.item.review_id}:{name}",
        )
        for name, value in winners.items()
        if name in canonical and name != "record_id" and (current.get(name) != value or name in pending)
    ]
    if not writes:
        return 0
    audit.append(
        [step.draft("applying", survivor, w.field, w.expected_old, w.new_value, "field winner of the merge",
                    part=w.field) for w in writes]
    )  # fmt: skip
    applied = [
        w for w, r in zip(writes, crm.write_fields(object_type, writes), strict=True) if r.status == "applied"
    ]
    # a conflict (the field changed meanwhile) keeps the survivor's value: the merge itself stands
    audit.append(
        [step.draft("applied", survivor, w.field, w.expected_old, w.new_value, "field winner of the merge",
                    part=w.field) for w in applied]
    )  # fmt: skip
    return len(applied)
