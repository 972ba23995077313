"""Applying decided changes to the CRM: optimistic, idempotent, audited before the effect.

Every change (an auto-applied fix, an approved or edited one, a finding a reviewer gave a value, a
restore) is written here, one way. For one item read at version ``v``:

1. **Intent**: the audit entry ``applying`` (id ``<review>:applying:v<v>``), before the CRM is touched.
2. **Effect**: the CRM write, optimistic (it expects ``current_value``). A write that finds the new
   value already there reports ``applied``: that is how a redelivery after a crash converges.
3. **Outcome**: the audit entry ``applied`` | ``conflict`` | ``failed`` (id ``<review>:<outcome>:v<v>``).
4. **Side effects** that must not be lost: the high-priority restore item (idempotent by id) and the
   alerts (``restore_needed``; ``apply_failed`` when the item ends failed).
5. **Status**: the transition, conditional on version ``v`` (another delivery that got there first
   wins; this one is then skipped).

Audit entry ids are deterministic and every ``AuditLog`` appends an id once, so a crash or a failed
call at any step leaves either nothing done or an intent entry whose step a redelivery (SQS, up to
``MAX_RECEIVES`` receives) repeats to the same end: the item is still at version ``v``, the intent
and any outcome already written are not written again, the CRM write is not made twice (it finds its
own value), and the transition happens once. A change is never in the CRM without an ``applying``
entry before it, and never settled without its outcome entry. ``docs/pipeline.md`` ("Change
lifecycle") has the crash-point table; ``tests/faults/`` proves it.

A conflict records the CRM's value as the item's new expected old value (``current_value``), so a
reviewer sees it and re-approving writes against it, keeping the reviewer's value. A write that
fails in a retryable way (the CRM answered ``failed``, or raised: throttling, a timeout) marks the
item ``failed`` with the reason and asks for redelivery; on the last receive it stays ``failed``
(decidable: a reviewer retries or re-decides it) and raises one ``apply_failed`` alert. A write the
CRM cannot take (``not_found``, ``read_only``) ends ``failed`` at once, with its alert.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from crm_hygiene.errors import Conflict, NotFound
from crm_hygiene.models.alerts import Alert
from crm_hygiene.models.audit import AuditAction, AuditDraft, AuditSource, entry_id
from crm_hygiene.models.crm import FieldWrite, WriteResult
from crm_hygiene.models.review import ReviewItem
from crm_hygiene.observability import logger
from crm_hygiene.ports import AlertSink, AuditLog, ChangeQueue, CrmStore
from crm_hygiene.types import ChangeStatus, ObjectType

APPLICABLE: frozenset[ChangeStatus] = frozenset({"auto_applied", "approved", "edited", "failed"})
MAX_RECEIVES = 5
"""Receives of one apply message before SQS moves it to the dead-letter queue (the queue's
``maxReceiveCount``, ``infra/components/queues.py``; a test keeps them equal). The last receive settles
a still-failing write as ``failed`` instead of letting the message go to the dead-letter queue."""
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
_RETRYABLE = frozenset({"failed"})
"""Write results worth another attempt (the CRM may take it later); not_found / read_only never will."""


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


def source_of(item: ReviewItem) -> AuditSource:
    """The structured source of an item's change: provider, rule, reviewer or system."""
    if item.source.startswith("reviewer:"):
        return AuditSource(kind="reviewer", name=item.source.removeprefix("reviewer:"))
    if item.change_kind == "enrich":
        return AuditSource(kind="provider", name=item.source)
    if item.change_kind == "restore" or item.source.startswith("system:"):
        return AuditSource(kind="system", name=item.source.removeprefix("system:"))
    return AuditSource(kind="rule", name=item.source or item.change_kind)


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


@dataclass(frozen=True)
class _Apply:
    queue: ChangeQueue
    crm: CrmStore
    audit: AuditLog
    alerts: AlertSink | None
    actor: str
    last_attempt: bool


def apply_changes(
    review_ids: Sequence[str],
    *,
    queue: ChangeQueue,
    crm: CrmStore,
    audit: AuditLog,
    alerts: AlertSink | None = None,
    actor: str = "system:apply",
    last_attempt: bool = False,
) -> ApplyReport:
    """Applies the queued changes ``review_ids`` (see the module docstring).

    Args:
        alerts: Where ``apply_failed`` and ``restore_needed`` alerts go (None: nowhere, tests).
        last_attempt: No redelivery follows (the message's last receive, or a direct call that will
            not be repeated): a retryable failure settles as ``failed`` and raises its alert.
    """
    run = _Apply(queue, crm, audit, alerts, actor, last_attempt)
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
                new_value=i.value_to_write,
                change_id=i.review_id,
            )
            for i in items
        ]
        audit.append(
            [
                _draft(run, i, w, "applying", w.new_value, "about to write")
                for i, w in zip(items, writes, strict=True)
            ]
        )
        results = _write(crm, object_type, writes)
        for item, write, result in zip(items, writes, results, strict=True):
            outcome = _settle(run, item, write, result)
            if outcome is None:  # another delivery of the same message settled it
                report.skip(item.review_id, "changed concurrently")
            else:
                report.outcomes[item.review_id] = outcome
    return report


def _write(crm: CrmStore, object_type: ObjectType, writes: list[FieldWrite]) -> list[WriteResult]:
    """The CRM's results; a raised error (throttling, timeout, an unexpected answer) is a retryable
    ``failed`` for every write of the call: the write may or may not have happened, and the
    redelivered write finds out (it reports ``applied`` when the value is already there)."""
    try:
        return crm.write_fields(object_type, writes)
    except Exception as exc:  # noqa: BLE001  # any CRM error must leave the items failed, never stuck
        logger.warning("CRM write raised", extra={"error": type(exc).__name__, "writes": len(writes)})
        return [w.result("failed", detail=f"the CRM write raised {type(exc).__name__}") for w in writes]


def _draft(
    run: _Apply, item: ReviewItem, write: FieldWrite, action: AuditAction, after: str | None, reason: str
) -> AuditDraft:
    return AuditDraft(
        actor=run.actor,
        action=action,
        object_type=item.object_type,
        record_id=item.record_id,
        field=item.field,
        before=write.expected_old,
        after=after,
        reason=reason,
        change_id=item.review_id,
        review_id=item.review_id,
        run_id=item.run_id,
        entry_id=entry_id(item.review_id, action, item.version),
        confidence=item.confidence,
        source=source_of(item),
        reviewer=item.decided_by,
    )


def _settle(run: _Apply, item: ReviewItem, write: FieldWrite, result: WriteResult) -> ApplyOutcome | None:
    status = _OUTCOME[result.status]
    retry = result.status in _RETRYABLE and not run.last_attempt
    note = result.detail or None
    changes: dict[str, str] = {}
    if result.status == "conflict":
        note = (
            f"the CRM now holds {result.current!r} (expected {write.expected_old!r}); "
            "re-approving writes against it"
        )
        if result.current is not None:
            changes["current_value"] = result.current  # the new expected old value a reviewer sees
    elif status == "failed":
        note = f"{result.status}: {result.detail or 'the CRM refused the write'}" + (
            "; will retry" if retry else ""
        )
    after = write.new_value if status == "applied" else result.current
    run.audit.append(
        [_draft(run, item, write, status, after, note or f"{item.change_kind} from {item.source}")]
    )
    _raise_alerts(run, item, result, status, retry)
    try:
        run.queue.transition(item, status, note=note, **changes)
    except Conflict:
        return None
    return "retry" if retry else status


def _raise_alerts(run: _Apply, item: ReviewItem, result: WriteResult, status: Settled, retry: bool) -> None:
    """The alerts and the restore item, before the transition: a crash here is redelivered and repeats
    them (an alert may then go out twice, never be lost). A restore is alerted until its item is
    queued (alert first, then the item), so the retries of a write do not repeat it."""
    alerts: list[Alert] = []
    restore = result.restore is not None and not _queued(run.queue, _restore_id(item))
    if restore:
        alerts.append(
            Alert(
                kind="restore_needed",
                severity="high",
                summary=f"{item.object_type} {item.record_id}: {result.field} must get its value back",
                object_type=item.object_type,
                record_id=item.record_id,
                field=result.field,
                review_id=_restore_id(item),
                run_id=item.run_id or None,
                restore_value=result.restore,
            )
        )
    if status == "failed" and not retry:
        alerts.append(
            Alert(
                kind="apply_failed",
                summary=f"{item.object_type} {item.record_id}: {item.field} ended failed ({result.status})",
                object_type=item.object_type,
                record_id=item.record_id,
                field=item.field,
                review_id=item.review_id,
                run_id=item.run_id or None,
            )
        )
    if alerts and run.alerts is not None:
        run.alerts.raise_alerts(alerts)
    if restore:
        run.queue.put_new([_restore_item(item, result)])


def _queued(queue: ChangeQueue, review_id: str) -> bool:
    try:
        queue.get(review_id)
    except NotFound:
        return False
    return True


def _restore_id(item: ReviewItem) -> str:
    return f"restore-{item.review_id}"


def _restore_item(item: ReviewItem, result: WriteResult) -> ReviewItem:
    """A high-priority item asking a person to put ``result.restore`` back (approving writes it)."""
    current = result.current or ""
    return ReviewItem(
        review_id=_restore_id(item),
        run_id=item.run_id,
        kind="inconsistent" if current else "missing_critical",
        change_kind="restore",
        object_type=item.object_type,
        record_id=item.record_id,
        field=result.field,
        current_value=current,
        suggested_value=result.restore or "",
        evidence=(
            f"a multi-step write of {result.field} failed half-way and left it "
            f"{'changed' if current else 'empty'}; approve to put back the value it held"
        ),
        confidence=1.0,
        protected=True,
        decision="review",
        status="queued",
        source="system:restore",
        priority="high",
    )
