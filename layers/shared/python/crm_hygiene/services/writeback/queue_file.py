"""Decisions from a ``queue.csv`` edited in a spreadsheet, through the review API's own rules.

The reviewer writes ``approve``, ``reject`` or ``edit`` into the ``decision`` column of the scan's
``queue.csv`` (where the scan wrote its routing: ``auto``, ``review`` or ``blocked``, which mean
"no decision") and, for ``edit``, the value into a ``value`` column they add. The export is scanned
again in memory under the same standard, which gives back the very review items the scan queued
(their ids are the changes' ids); each row is matched to its item, and every decision goes through
``services.review.core.decide`` and ``services.apply.core.apply_changes``: the same checks, the
same audit, the same writes as a decision in the console. A ``reject`` on a row the scan applied by
itself (``auto``) rolls it back (``rollback_change``, as ``POST /changes/{id}/rollback``).

Every row is checked before anything is decided, and every bad row is reported (file, line, record,
column, why): an unknown decision, a record not in the export, a record whose value changed since
the scan, a row no scan of this export proposes, an edit without a value or with one the standard
refuses (``validate.value.check_value``), a merge (decided in ``crm-hygiene review``), a second
decision on the same item. A decision the core itself refuses when it runs is a bad row too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from crm_hygiene.csvio import CsvReader, restore
from crm_hygiene.errors import HygieneError, InputError, InvalidValue
from crm_hygiene.models.messages import ApplyMessage
from crm_hygiene.models.record import Record
from crm_hygiene.models.review import Approve, EditAndApprove, Reject, ReviewDecision, ReviewItem
from crm_hygiene.services.apply.core import apply_changes
from crm_hygiene.services.review.core import ReviewDeps, decide, rollback_change
from crm_hygiene.services.scan.batch import PipelineDeps, scan_batch
from crm_hygiene.types import QUEUE_DECISIONS, RecordId
from crm_hygiene.validate.context import CheckContext
from crm_hygiene.validate.value import check_value

WORDS: Mapping[str, Literal["approve", "reject", "edit"]] = {
    "approve": "approve",
    "approved": "approve",
    "reject": "reject",
    "rejected": "reject",
    "edit": "edit",
    "edit_and_approve": "edit",
    "edited": "edit",
}
"""What a reviewer may write in ``decision`` (case and spaces ignored)."""
NO_DECISION = frozenset({"", *QUEUE_DECISIONS})
"""Left as the scan wrote it (or emptied): no decision on the row."""
REQUIRED = ("record_id", "object_type", "kind", "field", "current_value", "suggested_value", "decision")
_KEY_COLUMNS = ("object_type", "record_id", "kind", "field", "suggested_value")


class ApplyCollector:
    """The apply queue of decisions taken from a file: it keeps what is sent, and this module applies
    it right after the decisions (no queue, no worker: the file's run is one process)."""

    def __init__(self) -> None:
        self._ids: list[str] = []

    def send(self, messages: Sequence[BaseModel]) -> None:
        self._ids.extend(m.review_id for m in messages if isinstance(m, ApplyMessage))

    def take(self) -> list[str]:
        ids, self._ids = self._ids, []
        return ids


@dataclass(frozen=True)
class BadRow:
    """One row that was not applied, and why."""

    file: str
    line: int
    record_id: str
    column: str
    message: str

    def __str__(self) -> str:
        record = f"record {self.record_id}" if self.record_id else "no record id"
        return f"{self.file}:{self.line}: {record}, column {self.column}: {self.message}"


@dataclass(frozen=True)
class _Decision:
    line: int
    item: ReviewItem
    decision: ReviewDecision | Literal["rollback", "keep"]


@dataclass
class QueueFileResult:
    """What the file asked for and what became of it."""

    rows: int = 0
    undecided: int = 0
    bad: list[BadRow] = field(default_factory=list)
    decided: dict[str, int] = field(default_factory=dict)
    auto_applied: int = 0
    applied: int = 0
    not_applied: list[BadRow] = field(default_factory=list)


@dataclass(frozen=True)
class _Row:
    line: int
    cells: dict[str, str]

    def get(self, column: str) -> str:
        return self.cells.get(column, "")


def read_queue_file(path: Path) -> list[_Row]:
    """The rows of a reviewed queue.csv (formula-quoted cells restored), with their lines."""
    with CsvReader(path) as reader:
        columns = [c.strip().lower() for c in reader.columns]
        missing = [c for c in REQUIRED if c not in columns]
        if missing:
            raise InputError(f"{path}: not a scan's queue.csv: no column {', '.join(missing)}")
        return [
            _Row(row.line, {c: restore(cell) for c, cell in zip(columns, row.cells, strict=False)})
            for row in reader
        ]


def decide_queue_file(
    path: Path,
    records: Sequence[Record],
    *,
    pipeline: PipelineDeps,
    review: ReviewDeps,
    ctx: CheckContext,
    reviewer: str,
    apply_bad: bool = False,
) -> QueueFileResult:
    """Scans ``records`` into ``pipeline`` (the auto fixes applied, as cleaned.csv has them), then
    decides the file's rows through the review core (see the module docstring).

    Args:
        records: The export's records, as the scan read them.
        pipeline / review: The ports, around one CRM holding ``records`` (in memory for the CLI).
        apply_bad: Decide the good rows even when some are bad (otherwise nothing is decided then).

    Raises:
        InputError: the file is not a queue.csv.
    """
    rows = read_queue_file(path)
    result = QueueFileResult(rows=len(rows))
    _, queued = scan_batch(pipeline, ctx, list(records), "queue-file")
    report = apply_changes([m.review_id for m in queued.apply], queue=review.queue, crm=review.crm,
                           audit=review.audit, actor="system:apply", last_attempt=True)  # fmt: skip
    result.auto_applied = sum(o == "applied" for o in report.outcomes.values())
    by_key = {_item_key(i): i for i in queued.added}
    by_id = {r.record_id: r for r in records}
    plan = _plan(path, rows, by_key, by_id, review, result)
    if result.bad and not apply_bad:
        return result
    _carry_out(path, plan, review, reviewer, result)
    return result


def _item_key(item: ReviewItem) -> tuple[str, ...]:
    return (item.object_type, item.record_id, item.kind, item.field, item.suggested_value)


def _plan(
    path: Path,
    rows: Sequence[_Row],
    by_key: Mapping[tuple[str, ...], ReviewItem],
    by_id: Mapping[RecordId, Record],
    review: ReviewDeps,
    result: QueueFileResult,
) -> list[_Decision]:
    plan: list[_Decision] = []
    seen: dict[str, int] = {}
    for row in rows:
        word = row.get("decision").strip().lower()
        if word in NO_DECISION:
            result.undecided += 1
            continue
        outcome = _check_row(path.name, row, word, by_key, by_id, review, seen)
        if isinstance(outcome, BadRow):
            result.bad.append(outcome)
        else:
            seen[outcome.item.review_id] = row.line
            plan.append(outcome)
    return plan


def _check_row(  # noqa: C901  # one check per kind of bad row, in the order a person fixes them
    file: str,
    row: _Row,
    word: str,
    by_key: Mapping[tuple[str, ...], ReviewItem],
    by_id: Mapping[RecordId, Record],
    review: ReviewDeps,
    seen: Mapping[str, int],
) -> _Decision | BadRow:
    record_id = row.get("record_id")

    def bad(column: str, message: str) -> BadRow:
        return BadRow(file, row.line, record_id, column, message)

    if word not in WORDS:
        return bad("decision", f"unknown decision {word!r}: write approve, reject or edit (or leave it)")
    record = by_id.get(record_id)
    if record is None:
        return bad("record_id", "no such record in the export")
    name, current = row.get("field"), row.get("current_value")
    if name and record.get(name) != current:
        return bad(
            "current_value", f"the record changed since the scan: its {name} no longer holds this value"
        )
    if row.get("kind") in ("enrich", "job_change"):
        return bad(
            "kind",
            "enrichment rows are decided with `crm-hygiene enrich feedback` or in `crm-hygiene review`",
        )
    if row.get("kind") == "duplicate":
        return bad(
            "decision", "merges are decided in `crm-hygiene review` (records side by side), not in queue.csv"
        )
    item = by_key.get(tuple(row.get(c) for c in _KEY_COLUMNS))
    if item is None:
        return bad(
            "kind",
            "no scan of this export proposes this row: was queue.csv made from it, under this standard?",
        )
    if item.review_id in seen:
        return bad("decision", f"a second decision on the same item (first on line {seen[item.review_id]})")
    value = row.get("value").strip()
    verb = WORDS[word]
    if item.status in ("auto_applied", "applied"):
        if verb == "edit":
            return bad(
                "decision",
                "this fix applied by itself (auto): reject it to roll it back, then edit in a rescan",
            )
        return _Decision(row.line, item, "rollback" if verb == "reject" else "keep")
    if verb == "edit":
        if not item.field:
            return bad(
                "decision", "a finding about the whole record has no field to edit: approve or reject it"
            )
        if not value:
            return bad("value", "edit needs the value to write in the value column")
        try:
            check_value(review.standard, item.object_type, item.field, value)
        except InvalidValue as exc:
            return bad("value", f"{exc.message} (rule {exc.rule})")
        return _Decision(row.line, item, EditAndApprove(decision="edit_and_approve", value=value))
    if value and value != item.suggested_value:
        return bad("value", "a value with approve: write edit to apply your value, or clear the value cell")
    return _Decision(
        row.line, item, Approve(decision="approve") if verb == "approve" else Reject(decision="reject")
    )


def _carry_out(
    path: Path, plan: Sequence[_Decision], review: ReviewDeps, reviewer: str, result: QueueFileResult
) -> None:
    """Decides each planned row through the review core, then applies what was approved."""
    for step in plan:
        try:
            if step.decision == "keep":
                name = "kept"
            elif step.decision == "rollback":
                rollback_change(review, step.item.review_id, reviewer)
                name = "rolled_back"
            else:
                name = decide(review, step.item.review_id, step.decision, reviewer).status
        except Exception as exc:  # noqa: BLE001  # the core's refusal is this row's report
            result.bad.append(BadRow(path.name, step.line, step.item.record_id, "decision", _why(exc)))
            continue
        result.decided[name] = result.decided.get(name, 0) + 1
    lines = {s.item.review_id: s.line for s in plan}
    sent = _drain(review)
    report = apply_changes(sent, queue=review.queue, crm=review.crm, audit=review.audit,
                           actor="system:apply", last_attempt=True)  # fmt: skip
    for review_id, outcome in report.outcomes.items():
        if outcome == "applied":
            result.applied += 1
            continue
        item = review.queue.get(review_id)
        why = f"approved but not applied: {outcome}" + (f" ({item.note})" if item.note else "")
        result.not_applied.append(BadRow(path.name, lines.get(review_id, 0), item.record_id, "decision", why))


def _drain(review: ReviewDeps) -> list[str]:
    """The apply messages the decisions sent, taken off the collector: applied here, in order."""
    if not isinstance(review.apply_queue, ApplyCollector):
        raise TypeError("decisions from a file need ReviewDeps(apply_queue=ApplyCollector())")
    return review.apply_queue.take()


def _why(exc: Exception) -> str:
    if isinstance(exc, InvalidValue):
        return f"{exc.message} (rule {exc.rule})"
    return str(exc) if isinstance(exc, HygieneError) else f"internal error ({type(exc).__name__})"
