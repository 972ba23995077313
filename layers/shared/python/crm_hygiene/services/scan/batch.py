"""Scanning a batch of CRM records and queueing what it finds: the step the weekly scan's partitions
and the entry check share (the export driver writes files instead)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from crm_hygiene.models.messages import EnrichMessage
from crm_hygiene.models.queue import QueueRow
from crm_hygiene.models.record import Record
from crm_hygiene.models.review import ReviewItem
from crm_hygiene.models.review_query import record_label
from crm_hygiene.ports import (
    ChangeQueue,
    CrmStore,
    DecisionMemory,
    HealthStore,
    MatchIndexStore,
    SignalBus,
    Workflow,
    WorkQueue,
)
from crm_hygiene.services.review.queue import QueuedScan, enqueue, review_item
from crm_hygiene.services.scan.core import scan_record
from crm_hygiene.services.scanned import ScanExtension, ScannedRecord
from crm_hygiene.standard.model import DataStandard
from crm_hygiene.types import ENRICHABLE_KINDS, ObjectType
from crm_hygiene.validate.check import Issue
from crm_hygiene.validate.context import CheckContext

if TYPE_CHECKING:
    from crm_hygiene.enrich.quality import QualityStore


@dataclass
class PipelineDeps:
    """The ports a pipeline scan uses (built by the wiring: ``wiring.aws`` from settings, or
    ``wiring.memory.in_memory_deps`` for tests and benchmarks)."""

    crm: CrmStore
    queue: ChangeQueue
    apply_queue: WorkQueue
    enrich_queue: WorkQueue | None
    health: HealthStore
    signals: SignalBus
    memory: DecisionMemory | None
    standard: DataStandard
    standard_valid: bool = True
    extensions: Sequence[ScanExtension] = field(default_factory=tuple)
    workflow: Workflow | None = None
    dedup_objects: tuple[ObjectType, ...] = ("contact", "company")
    match_index: MatchIndexStore | None = None
    quality: QualityStore | None = None  # provider quality, published after every run


def scan_batch(
    deps: PipelineDeps, ctx: CheckContext, records: Sequence[Record], run_id: str
) -> tuple[list[ScannedRecord], QueuedScan]:
    """Checks each record, lets the extensions see it, queues what was found and stores the health."""
    scanned = [scan_record(r, ctx, standard_valid=deps.standard_valid, memory=deps.memory) for r in records]
    for record, result in zip(records, scanned, strict=True):
        for extension in deps.extensions:
            extension.on_record(record, result)
    return scanned, persist(deps, scanned, run_id)


def persist(deps: PipelineDeps, scanned: list[ScannedRecord], run_id: str) -> QueuedScan:
    """Queues what the scan found (auto changes also on the apply queue) and stores the health scores."""
    queued = queue_scanned(
        scanned,
        run_id,
        queue=deps.queue,
        apply_queue=deps.apply_queue,
        enrich_queue=deps.enrich_queue,
        memory=deps.memory,
    )
    deps.health.put_scores([s.health for s in scanned])
    return queued


def flag_id(row: QueueRow) -> str:
    """Stable id of a finding that proposes no change (same problem, same id, across runs)."""
    key = "\x1f".join(("flag", row.object_type, row.record_id, row.kind, row.field, row.current_value))
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def scan_item(issue: Issue, row: QueueRow, run_id: str, label: str = "") -> ReviewItem:
    """The review item of one scan row; its id is the change's id (or the flag's), so re-scans dedupe."""
    change = issue.change
    if change is None:
        return review_item(
            row, run_id, review_id=flag_id(row), change_kind="flag", source=f"check.{issue.finding.rule}",
            label=label,
        )  # fmt: skip
    return review_item(
        row,
        run_id,
        review_id=change.change_id,
        change_kind=change.kind,
        source=change.source,
        final_value=row.suggested_value,
        label=label,
    )


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
        label = record_label(result.report.record)
        for issue, row in result.pairs:
            item = scan_item(issue, row, run_id, label)
            if issue.change is None and memory is not None and memory.was_rejected(item.review_id):
                skipped += 1  # a reviewer said this is not a problem
                continue
            items.append(item)
        wanted = sorted({row.field for _, row in result.pairs if row.kind in ENRICHABLE_KINDS and row.field})
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
