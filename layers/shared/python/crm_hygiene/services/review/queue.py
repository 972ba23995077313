"""Review items: the one builder (``review_item``) and the one way onto the queue (``enqueue``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from crm_hygiene.errors import HygieneError
from crm_hygiene.models.merge import MergeProposal
from crm_hygiene.models.messages import ApplyMessage, EnrichMessage
from crm_hygiene.models.queue import QueueRow
from crm_hygiene.models.review import ReviewItem
from crm_hygiene.models.review_query import proposal_label
from crm_hygiene.ports import ChangeQueue, WorkQueue
from crm_hygiene.types import ChangeKind


def review_item(
    row: QueueRow,
    run_id: str,
    *,
    review_id: str,
    change_kind: ChangeKind,
    source: str,
    final_value: str | None = None,
    proposal: MergeProposal | None = None,
    label: str = "",
) -> ReviewItem:
    """The one way a queue row becomes a review item (scan findings, enrichments, merges).

    Args:
        row: What the reviewer sees: record, kind, field, values, evidence, confidence, decision.
        run_id: The run that proposed it.
        review_id: Its id: the change's (deterministic), so proposing it again enqueues nothing.
        change_kind: What applying it does (normalize, enrich, fill_derived, flag, merge).
        source: Who proposed it (a rule, the providers, dedup).
        final_value: The value apply writes (None for a flag: nothing to write).
        proposal: The merge proposal, for merges.
        label: Who the record is (``models.review_query.record_label``; a merge's comes from its
            proposal), for the console and the search.
    """
    return ReviewItem(
        review_id=review_id,
        run_id=run_id,
        kind=row.kind,
        change_kind=change_kind,
        object_type=row.object_type,
        record_id=row.record_id,
        field=row.field,
        current_value=row.current_value,
        suggested_value=row.suggested_value,
        evidence=row.evidence,
        confidence=row.confidence,
        protected=row.protected,
        decision=row.decision,
        status=row.status,
        source=source,
        final_value=final_value,
        proposal=proposal,
        label=label or (proposal_label(proposal) if proposal is not None else ""),
    )


@dataclass
class QueuedScan:
    """What queueing one batch produced."""

    added: list[ReviewItem] = field(default_factory=list)
    apply: list[ApplyMessage] = field(default_factory=list)
    enrich: list[EnrichMessage] = field(default_factory=list)
    skipped_rejected: int = 0


def enqueue(
    items: Sequence[ReviewItem],
    run_id: str,
    *,
    queue: ChangeQueue,
    apply_queue: WorkQueue | None,
    enrich: Sequence[EnrichMessage] = (),
    enrich_queue: WorkQueue | None = None,
) -> QueuedScan:
    """The one way items reach the review queue: new ones only (idempotent by review id), the ones
    that apply by themselves on to the apply queue, enrichment requests on to the enrich queue."""
    out = QueuedScan(added=queue.put_new(list(items)))
    out.apply = [
        ApplyMessage(review_id=i.review_id, run_id=run_id) for i in out.added if i.status == "auto_applied"
    ]
    if out.apply:
        if apply_queue is None:
            raise HygieneError(f"{len(out.apply)} changes apply by themselves but there is no apply queue")
        apply_queue.send(out.apply)
    if enrich and enrich_queue is not None:
        out.enrich = list(enrich)
        enrich_queue.send(out.enrich)
    return out
