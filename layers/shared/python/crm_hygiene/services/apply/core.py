"""Applying decided changes to the CRM: optimistic, idempotent, audited.

A change is written only if the CRM still holds the value it was proposed against; otherwise it
goes back to review as a ``conflict``. The order (write, then transition, then audit) makes a
redelivered message harmless: the CRM already holds the new value (the write reports ``applied``),
the transition is conditional on the item's version, and the audit entry is written once per
successful transition.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from crm_hygiene.errors import Conflict, NotFound
from crm_hygiene.models.audit import AuditDraft
from crm_hygiene.models.crm import FieldWrite, WriteResult
from crm_hygiene.models.review import ReviewItem
from crm_hygiene.ports import AuditLog, ChangeQueue, CrmStore
from crm_hygiene.types import ChangeStatus, ObjectType

APPLICABLE: frozenset[ChangeStatus] = frozenset({"auto_applied", "approved", "edited", "failed"})
Settled = Literal["applied", "conflict", "failed"]
# What became of one review id: settled (the item's new status), "retry" (the CRM write failed in a
# way worth retrying: the message is redelivered), "missing" (no such item), "skipped" (nothing to
# do: not applicable, or settled concurrently; ``ApplyReport.notes`` says why). The apply function
# counts each as the metric ``Apply_<outcome>``.
ApplyOutcome = Literal["applied", "conflict", "failed", "retry", "missing", "skipped"]
_OUTCOME: dict[str, Settled] = {
    "applied": "applied",
    "conflict": "conflict",
    "not_found": "failed",
    "read_only": "failed",
    "failed": "failed",
}


@dataclass
class ApplyReport:
    """Per-review outcome (``ApplyOutcome``), and why an item was skipped."""

    outcomes: dict[str, ApplyOutcome] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    def skip(self, review_id: str, why: str) -> None:
        self.outcomes[review_id] = "skipped"
        self.notes[review_id] = why

    @property
    def retry(self) -> list[str]:
        """Review ids whose write failed in a way worth retrying (the message is redelivered)."""
        return [rid for rid, outcome in self.outcomes.items() if outcome == "retry"]


def _load(queue: ChangeQueue, review_ids: Sequence[str], report: ApplyReport) -> list[ReviewItem]:
    items = []
    for review_id in review_ids:
        try:
            item = queue.get(review_id)
        except NotFound:
            report.outcomes[review_id] = "missing"
            continue
        if item.status in APPLICABLE and item.is_change:
            items.append(item)
        else:
            report.skip(review_id, item.status)
    return items


def apply_changes(
    review_ids: Sequence[str],
    *,
    queue: ChangeQueue,
    crm: CrmStore,
    audit: AuditLog,
    actor: str = "system:apply",
) -> ApplyReport:
    """Applies the queued changes ``review_ids`` (see the module docstring)."""
    report = ApplyReport()
    by_type: dict[ObjectType, list[ReviewItem]] = defaultdict(list)
    for item in _load(queue, review_ids, report):
        by_type[item.object_type].append(item)
    for object_type, items in by_type.items():
        writes = [
            FieldWrite(
                record_id=i.record_id,
                field=i.field,
                expected_old=i.current_value,
                new_value=i.final_value if i.final_value is not None else i.suggested_value,
                change_id=i.review_id,
            )
            for i in items
        ]
        results = crm.write_fields(object_type, writes)
        for item, write, result in zip(items, writes, results, strict=True):
            outcome = _settle(item, write, result, queue, audit, actor)
            if outcome is None:  # another delivery of the same message settled it
                report.skip(item.review_id, "changed concurrently")
            else:
                report.outcomes[item.review_id] = outcome
    return report


def _settle(
    item: ReviewItem, write: FieldWrite, result: WriteResult, queue: ChangeQueue, audit: AuditLog, actor: str
) -> Settled | Literal["retry"] | None:
    status = _OUTCOME[result.status]
    note = result.detail or (f"the CRM now holds {result.current!r}" if result.status == "conflict" else None)
    try:
        queue.transition(item, status, note=note)
    except Conflict:
        return None
    audit.append(
        [
            AuditDraft(
                actor=actor,
                action=status,
                object_type=item.object_type,
                record_id=item.record_id,
                field=item.field,
                before=item.current_value,
                after=write.new_value if status == "applied" else result.current,
                reason=note or f"{item.change_kind} from {item.source}",
                change_id=item.review_id,
                review_id=item.review_id,
                run_id=item.run_id,
            )
        ]
    )
    return "retry" if result.status == "failed" else status
