"""Scanning records: check each against the standard, decide each change, build queue rows.

Pure: no file or network I/O. The drivers beside it: ``export`` runs it over a CSV export,
``batch`` over a page of CRM records (for ``pipeline``, the weekly scan's partitions, and ``entry``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from crm_hygiene.health.score import HealthAggregate, record_health
from crm_hygiene.models.change import ProposedChange
from crm_hygiene.models.queue import QueueRow
from crm_hygiene.models.record import Record
from crm_hygiene.policy.decide import decide
from crm_hygiene.ports import DecisionMemory
from crm_hygiene.services.scanned import ScannedRecord
from crm_hygiene.types import QUEUE_DECISIONS, SUMMARY_KEYS, FieldName, QueueDecision, status_of
from crm_hygiene.validate.check import Issue
from crm_hygiene.validate.context import CheckContext
from crm_hygiene.validate.record import check_record


def _row(
    issue: Issue, ctx: CheckContext, standard_valid: bool, memory: DecisionMemory | None
) -> QueueRow | None:
    finding, change = issue.finding, issue.change
    protected = ctx.rules.is_protected(finding.field) if finding.field else False
    decision: QueueDecision
    if change is None:
        decision, evidence, confidence, suggested = "review", finding.evidence, finding.confidence, ""
    else:
        verdict = decide(change, ctx.standard, standard_valid=standard_valid, memory=memory)
        if verdict.decision == "suppressed":
            return None
        decision, confidence, suggested = verdict.decision, change.confidence, change.new_value
        evidence = f"{finding.evidence} [decision: {verdict.reason}]"
    return QueueRow(
        record_id=finding.record_id,
        object_type=finding.object_type,
        kind=finding.kind,
        field=finding.field,
        current_value=finding.current_value,
        suggested_value=suggested,
        evidence=evidence,
        confidence=confidence,
        protected=protected,
        decision=decision,
        status=status_of(decision),
    )


def scan_record(
    record: Record,
    ctx: CheckContext,
    *,
    standard_valid: bool = True,
    memory: DecisionMemory | None = None,
    extra_issues: list[Issue] | None = None,
) -> ScannedRecord:
    """Checks one record and decides every change it proposes."""
    report = check_record(record, ctx)
    if extra_issues:
        report.issues.extend(extra_issues)
    rows: list[QueueRow] = []
    auto: list[ProposedChange] = []
    pairs: list[tuple[Issue, QueueRow]] = []
    suppressed = 0
    for issue in report.issues:
        row = _row(issue, ctx, standard_valid, memory)
        if row is None:
            suppressed += 1
            continue
        rows.append(row)
        pairs.append((issue, row))
        if row.decision == "auto" and issue.change is not None:
            auto.append(issue.change)
    health = record_health(report, ctx.rules.staleness.max_days_without_activity)
    return ScannedRecord(report, rows, auto, health, suppressed, pairs)


# The plain counts and the counters of ``ScanTotals``: what a partition stores and the combiner adds up.
_COUNTS = ("records", "records_with_issues", "rows", "records_missing_critical", "auto_applied", "suppressed")
_COUNTERS = ("by_kind", "by_decision", "by_field", "missing_by_field", "records_by_kind")


@dataclass
class ScanTotals:
    """Running measurement figures of a scan (constant memory).

    Partitions of a pipeline scan each keep their own (``dump`` / ``load``); ``combine`` adds them up
    to exactly the totals one unsplit scan would have, so ``measurement`` keeps every figure.
    """

    records: int = 0
    records_with_issues: int = 0
    rows: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    by_decision: Counter[str] = field(default_factory=Counter)
    by_field: Counter[str] = field(default_factory=Counter)
    missing_by_field: Counter[FieldName] = field(default_factory=Counter)
    records_missing_critical: int = 0
    records_by_kind: Counter[str] = field(default_factory=Counter)
    auto_applied: int = 0
    suppressed: int = 0
    health: HealthAggregate = field(default_factory=HealthAggregate)

    def add_rows(self, rows: list[QueueRow]) -> None:
        """Counts rows that an extension adds at the end of a run."""
        for row in rows:
            self.rows += 1
            self.by_kind[row.kind] += 1
            self.by_decision[row.decision] += 1
            self.by_field[row.field] += 1

    def add(self, scanned: ScannedRecord, critical: tuple[FieldName, ...]) -> None:
        self.records += 1
        self.suppressed += scanned.suppressed
        if scanned.rows:
            self.records_with_issues += 1
        for row in scanned.rows:
            self.rows += 1
            self.by_kind[row.kind] += 1
            self.by_decision[row.decision] += 1
            self.by_field[row.field] += 1
        for kind in {row.kind for row in scanned.rows}:
            self.records_by_kind[kind] += 1
        self.auto_applied += len(scanned.auto_changes)
        missing = [n for n in critical if (v := scanned.report.verdicts.get(n)) is not None and v.missing]
        self.missing_by_field.update(missing)
        self.records_missing_critical += bool(missing)
        self.health.add(scanned.health)

    def merge(self, other: ScanTotals) -> None:
        """Adds ``other``'s counts (another partition of the same run) to these."""
        for name in _COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in _COUNTERS:
            getattr(self, name).update(getattr(other, name))
        self.health.merge(other.health)

    def dump(self) -> dict[str, Any]:
        """The counts as JSON-ready data (what a pipeline partition stores)."""
        data: dict[str, Any] = {name: getattr(self, name) for name in _COUNTS}
        data.update({name: dict(getattr(self, name)) for name in _COUNTERS})
        data["health"] = self.health.model_dump()
        return data

    @classmethod
    def load(cls, data: Mapping[str, Any]) -> ScanTotals:
        """The totals ``dump`` wrote."""
        fields: dict[str, Any] = {name: int(data[name]) for name in _COUNTS}
        fields.update({name: Counter(data[name]) for name in _COUNTERS})
        return cls(**fields, health=HealthAggregate.model_validate(data["health"]))

    def measurement(self) -> dict[str, object]:
        """The figures a RevOps lead tracks week over week."""
        n, rows = self.records, self.rows

        def rate(count: int, total: int) -> float:
            return round(count / total, 4) if total else 0.0

        return {
            "records": n,
            "records_with_issues": self.records_with_issues,
            "queue_volume": rows,
            "queue_by_kind": dict(sorted(self.by_kind.items())),
            "queue_by_decision": {d: self.by_decision.get(d, 0) for d in QUEUE_DECISIONS},
            "queue_by_field": dict(self.by_field.most_common()),
            "auto_apply_rate": rate(self.by_decision["auto"], rows),
            "review_rate": rate(self.by_decision["review"], rows),
            "blocked_rate": rate(self.by_decision["blocked"], rows),
            "missing_critical_rate": rate(self.records_missing_critical, n),
            "missing_critical_by_field": {k: rate(v, n) for k, v in self.missing_by_field.most_common()},
            **{key: self.records_by_kind[kind] for kind, key in SUMMARY_KEYS.items()},
            "changes_auto_applied": self.auto_applied,
            "changes_suppressed": self.suppressed,
        }


def combine(parts: Iterable[ScanTotals]) -> ScanTotals:
    """The totals of a whole run from the totals of its partitions (every figure kept)."""
    total = ScanTotals()
    for part in parts:
        total.merge(part)
    return total
