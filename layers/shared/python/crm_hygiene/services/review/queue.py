"""From scan results to review items, apply messages and enrichment requests."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from crm_hygiene.models.messages import ApplyMessage, EnrichMessage
from crm_hygiene.models.queue import QueueRow
from crm_hygiene.models.review import ReviewItem
from crm_hygiene.ports import ChangeQueue, DecisionMemory, WorkQueue
from crm_hygiene.services.scan.core import ScannedRecord
from crm_hygiene.types import ChangeStatus
from crm_hygiene.validate.record import Issue

_STATUS: dict[str, ChangeStatus] = {"auto": "auto_applied", "review": "queued", "blocked": "blocked"}
# Findings that enrichment can help with: an empty or placeholder value it may fill.
_ENRICHABLE = frozenset({"missing_critical", "placeholder", "routing_blocker"})


def flag_id(row: QueueRow) -> str:
    """Stable id of a finding that proposes no change (same problem, same id, across runs)."""
    key = "\x1f".join(("flag", row.object_type, row.record_id, row.kind, row.field, row.current_value))
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def review_item(issue: Issue, row: QueueRow, run_id: str) -> ReviewItem:
    """The queue item for one scan row; its id is the change's id (or the flag's), so re-scans dedupe."""
    change = issue.change
    return ReviewItem(
        review_id=change.change_id if change is not None else flag_id(row),
        run_id=run_id,
        kind=row.kind,
        change_kind=change.kind if change is not None else "flag",
        object_type=row.object_type,
        record_id=row.record_id,
        field=row.field,
        current_value=row.current_value,
        suggested_value=row.suggested_value,
        evidence=row.evidence,
        confidence=row.confidence,
        protected=row.protected,
        decision=row.decision,
        status=_STATUS[row.decision],
        source=change.source if change is not None else f"check.{issue.finding.rule}",
        final_value=row.suggested_value if change is not None else None,
    )


@dataclass
class QueuedScan:
    """What queueing one batch of scanned records produced."""

    added: list[ReviewItem] = field(default_factory=list)
    apply: list[ApplyMessage] = field(default_factory=list)
    enrich: list[EnrichMessage] = field(default_factory=list)
    skipped_rejected: int = 0


def queue_scanned(
    scanned: Sequence[ScannedRecord],
    run_id: str,
    *,
    queue: ChangeQueue,
    apply_queue: WorkQueue,
    enrich_queue: WorkQueue | None,
    memory: DecisionMemory | None = None,
) -> QueuedScan:
    """Enqueues new review items (idempotently), sends auto changes to apply, asks for enrichment."""
    out = QueuedScan()
    items: list[ReviewItem] = []
    for result in scanned:
        for issue, row in result.pairs:
            item = review_item(issue, row, run_id)
            if issue.change is None and memory is not None and memory.was_rejected(item.review_id):
                out.skipped_rejected += 1  # a reviewer said this is not a problem
                continue
            items.append(item)
        wanted = sorted({row.field for _, row in result.pairs if row.kind in _ENRICHABLE and row.field})
        if wanted and enrich_queue is not None:
            record = result.report.record
            out.enrich.append(
                EnrichMessage(
                    object_type=record.object_type,
                    record_id=record.record_id,
                    run_id=run_id,
                    wanted_fields=wanted,
                )
            )
    out.added = queue.put_new(items)
    out.apply = [
        ApplyMessage(review_id=i.review_id, run_id=run_id) for i in out.added if i.status == "auto_applied"
    ]
    if out.apply:
        apply_queue.send(out.apply)
    if out.enrich and enrich_queue is not None:
        enrich_queue.send(out.enrich)
    return out
