"""From scan results to review items, apply messages and enrichment requests."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from crm_hygiene.errors import HygieneError
from crm_hygiene.models.messages import ApplyMessage, EnrichMessage
from crm_hygiene.models.queue import QueueRow
from crm_hygiene.models.review import ReviewItem
from crm_hygiene.ports import ChangeQueue, DecisionMemory, WorkQueue
from crm_hygiene.services.scan.core import ScannedRecord
from crm_hygiene.types import ChangeKind
from crm_hygiene.validate.record import Issue

# Findings that enrichment can help with: an empty or placeholder value it may fill.
_ENRICHABLE = frozenset({"missing_critical", "placeholder", "routing_blocker"})


def flag_id(row: QueueRow) -> str:
    """Stable id of a finding that proposes no change (same problem, same id, across runs)."""
    key = "\x1f".join(("flag", row.object_type, row.record_id, row.kind, row.field, row.current_value))
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def review_item(
    row: QueueRow,
    run_id: str,
    *,
    review_id: str,
    change_kind: ChangeKind,
    source: str,
    final_value: str | None = None,
    proposal: dict[str, Any] | None = None,
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
    )


def scan_item(issue: Issue, row: QueueRow, run_id: str) -> ReviewItem:
    """The review item of one scan row; its id is the change's id (or the flag's), so re-scans dedupe."""
    change = issue.change
    if change is None:
        return review_item(
            row, run_id, review_id=flag_id(row), change_kind="flag", source=f"check.{issue.finding.rule}"
        )
    return review_item(
        row,
        run_id,
        review_id=change.change_id,
        change_kind=change.kind,
        source=change.source,
        final_value=row.suggested_value,
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


def queue_scanned(
    scanned: Sequence[ScannedRecord],
    run_id: str,
    *,
    queue: ChangeQueue,
    apply_queue: WorkQueue,
    enrich_queue: WorkQueue | None,
    memory: DecisionMemory | None = None,
) -> QueuedScan:
    """Enqueues a scan batch's review items, asking for enrichment where it can help."""
    items: list[ReviewItem] = []
    requests: list[EnrichMessage] = []
    skipped = 0
    for result in scanned:
        for issue, row in result.pairs:
            item = scan_item(issue, row, run_id)
            if issue.change is None and memory is not None and memory.was_rejected(item.review_id):
                skipped += 1  # a reviewer said this is not a problem
                continue
            items.append(item)
        wanted = sorted({row.field for _, row in result.pairs if row.kind in _ENRICHABLE and row.field})
        if wanted and enrich_queue is not None:
            record = result.report.record
            requests.append(
                EnrichMessage(
                    object_type=record.object_type,
                    record_id=record.record_id,
                    run_id=run_id,
                    wanted_fields=wanted,
                )
            )
    out = enqueue(
        items, run_id, queue=queue, apply_queue=apply_queue, enrich=requests, enrich_queue=enrich_queue
    )
    out.skipped_rejected = skipped
    return out
