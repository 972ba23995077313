"""Shared arrangements of the unmerge tests: a merge performed through the one merge core."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from crm_hygiene.models.merge import FieldWinner, MergeApproval, MergeProposal
from crm_hygiene.models.messages import MergeTask
from crm_hygiene.ports import AuditLog, ChangeQueue, CrmStore
from crm_hygiene.services.merge.core import MergeOutcome, perform_merge
from crm_hygiene.standard.loader import default_standard
from crm_hygiene.types import FieldName, ObjectType, RecordId


def performed_merge(
    members: Sequence[RecordId],
    winners: Mapping[FieldName, tuple[str, RecordId]],
    *,
    queue: ChangeQueue,
    crm: CrmStore,
    audit: AuditLog,
    object_type: ObjectType = "contact",
    reviewer: str = "ana",
) -> tuple[str, MergeOutcome]:
    """Merges ``members`` into the first (its field winners: field -> (value, member)) as an approved
    merge task would; returns the review id and the outcome."""
    task = merge_task(members, winners, object_type=object_type, reviewer=reviewer)
    outcome = perform_merge(task, queue=queue, crm=crm, audit=audit, standard=default_standard())
    return task.review_id, outcome


def merge_task(
    members: Sequence[RecordId],
    winners: Mapping[FieldName, tuple[str, RecordId]],
    *,
    object_type: ObjectType = "contact",
    reviewer: str = "ana",
) -> MergeTask:
    """The approved Merge step's payload for ``members`` (the first is the primary)."""
    proposal = MergeProposal(
        object_type=object_type,
        members=tuple(members),
        match_probability=0.97,
        suggested_primary=members[0],
        field_winners={
            n: FieldWinner(value=v, rule="most_complete", source_record=src)
            for n, (v, src) in winners.items()
        },
    )
    return MergeTask(
        review_id=f"merge-{proposal.proposal_id}", run_id="run-u", proposal=proposal,
        decision=MergeApproval(decision="approve", reviewer=reviewer),
    )  # fmt: skip
