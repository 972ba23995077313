"""Validation at entry: a CRM said one record was created, changed or merged; check it now."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from crm_hygiene.errors import HygieneError
from crm_hygiene.models.record import Record
from crm_hygiene.ports import MatchIndex
from crm_hygiene.services.merge.core import start_merge_workflow
from crm_hygiene.services.scan.batch import PipelineDeps, scan_batch
from crm_hygiene.types import ObjectType, RecordId
from crm_hygiene.validate.context import CheckContext

DuplicateOutcome = Literal["merge_proposed", "accept_as_new"]
"""``merge_proposed``: a merge workflow started (``merge_review`` names it). ``accept_as_new``: the
record matched no existing record well enough (or only ones a reviewer kept apart): kept as new."""


@dataclass(frozen=True)
class EntryResult:
    record_id: RecordId
    found: bool
    queued: int = 0
    auto: int = 0
    health: float | None = None
    merge_review: str | None = None
    duplicate_check: DuplicateOutcome | None = None  # None: no match index to check against


def scan_entry(
    deps: PipelineDeps,
    object_type: ObjectType,
    record_ids: Sequence[RecordId],
    run_id: str = "entry",
    *,
    index: MatchIndex | None = None,
) -> list[EntryResult]:
    """Checks the records now (findings, safe fixes, health, and duplicates when given the match index
    of existing records); missing or merged-away ones are skipped and leave the index."""
    records = deps.crm.get_records(object_type, list(record_ids))
    found = {r.record_id for r in records}
    checks = (
        {r.record_id: _check_duplicate(deps, r, index, run_id) for r in records} if index is not None else {}
    )
    ctx = CheckContext(standard=deps.standard, object_type=object_type)
    scanned, queued = scan_batch(deps, ctx, records, run_id)
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
                merge_review=checks[rid][1] if rid in checks else None,
                duplicate_check=checks[rid][0] if rid in checks else None,
            )
        )
    for rid in record_ids:
        if rid not in found:
            results.append(EntryResult(record_id=rid, found=False))
            if index is not None:
                index.remove(rid)
    return results


def _check_duplicate(
    deps: PipelineDeps, record: Record, index: MatchIndex, run_id: str
) -> tuple[DuplicateOutcome, str | None]:
    """Proposes a merge when the record duplicates an existing one (one merge workflow, which waits for
    a reviewer unless the standard enables auto-merge); keeps the index current either way."""
    from crm_hygiene.services.dedup.entry import entry_proposal  # numpy and rapidfuzz: only when used

    proposal = entry_proposal(
        record, index, deps.crm, deps.standard, standard_valid=deps.standard_valid, memory=deps.memory
    )
    index.add(record.record_id, record.fields)
    if proposal is None:
        return "accept_as_new", None
    if deps.workflow is None:
        raise HygieneError(
            f"{record.object_type} {record.record_id}: a merge to propose but no merge workflow"
        )
    return "merge_proposed", start_merge_workflow(deps.workflow, proposal, run_id)
