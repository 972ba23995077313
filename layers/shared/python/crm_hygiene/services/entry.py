"""Validation at entry: a CRM said one record was created, changed or merged; check it now."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from crm_hygiene.services.pipeline import PipelineDeps
from crm_hygiene.services.queueing import queue_scanned
from crm_hygiene.services.scan import scan_record
from crm_hygiene.types import ObjectType, RecordId
from crm_hygiene.validate.context import CheckContext


@dataclass(frozen=True)
class EntryResult:
    record_id: RecordId
    found: bool
    queued: int = 0
    auto: int = 0
    health: float | None = None


def scan_entry(
    deps: PipelineDeps, object_type: ObjectType, record_ids: Sequence[RecordId], run_id: str = "entry"
) -> list[EntryResult]:
    """Checks the records now (findings, safe fixes, health); missing or merged-away ones are skipped."""
    records = deps.crm.get_records(object_type, list(record_ids))
    found = {r.record_id for r in records}
    ctx = CheckContext(standard=deps.standard, object_type=object_type)
    scanned = [scan_record(r, ctx, standard_valid=deps.standard_valid, memory=deps.memory) for r in records]
    for record, result in zip(records, scanned, strict=True):
        for extension in deps.extensions:
            extension.on_record(record, result)
    queued = queue_scanned(
        scanned,
        run_id,
        queue=deps.queue,
        apply_queue=deps.apply_queue,
        enrich_queue=deps.enrich_queue,
        memory=deps.memory,
    )
    deps.health.put_scores([s.health for s in scanned])
    added = {i.review_id for i in queued.added}
    results = []
    for result in scanned:
        rid = result.report.record.record_id
        items = [p for p in result.pairs if p[0].change is None or p[0].change.change_id in added]
        results.append(
            EntryResult(
                record_id=rid,
                found=True,
                queued=len(items),
                auto=len(result.auto_changes),
                health=result.health.score,
            )
        )
    results.extend(EntryResult(record_id=r, found=False) for r in record_ids if r not in found)
    return results
