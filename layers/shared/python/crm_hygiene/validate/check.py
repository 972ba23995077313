"""The seam between ``check_record`` and its rules: what one rule sees and what it reports.

A rule is a function ``rule(check: Check) -> None``: it reads ``check.record``, ``check.ctx`` and what
earlier rules left in ``check.report`` (verdicts, the record's country), and adds ``Issue`` s through
``check.add``. ``crm_hygiene.validate.rules.RULES`` is the ordered list ``check_record`` runs; a new
finding kind is one vocabulary entry in ``crm_hygiene.types``, one rule appended there, and its tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from crm_hygiene.models.change import ProposedChange
from crm_hygiene.models.finding import Finding
from crm_hygiene.models.record import Record
from crm_hygiene.normalize.base import Normalized
from crm_hygiene.standard.model import ObjectStandard
from crm_hygiene.types import ChangeKind, FieldName, FindingKind, Severity
from crm_hygiene.validate.context import CheckContext

__all__ = ["Check", "Issue", "RecordReport", "Rule"]


@dataclass(slots=True)
class Issue:
    """One finding and, when there is one, the change that fixes it (same record, same field)."""

    finding: Finding
    change: ProposedChange | None = None


@dataclass(slots=True)
class RecordReport:
    """Everything ``check_record`` learned about one record.

    Attributes:
        record: The record checked.
        issues: Findings with their suggested changes, in the order the rules found them.
        verdicts: Field -> normalizer verdict, for every field that was checked.
        critical_total: Critical fields the source has.
        critical_filled: Of those, how many hold a value.
        activity_age_days: Days since the last activity (or creation), None when unknown.
    """

    record: Record
    issues: list[Issue] = field(default_factory=list)
    verdicts: dict[FieldName, Normalized] = field(default_factory=dict)
    critical_total: int = 0
    critical_filled: int = 0
    activity_age_days: float | None = None

    def kinds(self) -> set[FindingKind]:
        """The finding kinds reported for the record."""
        return {i.finding.kind for i in self.issues}


class Check:
    """What one rule sees while one record is checked, and the helpers it reports through.

    Attributes:
        record: The record being checked.
        ctx: The run's shared inputs (standard, as-of time, the source's columns).
        rules: The standard for the record's object type (``ctx.rules``, looked up once).
        report: The report being built; rules read earlier rules' verdicts from it.
        country: The record's normalized country, set by the country rule (None when absent or
            not recognized); later rules use it (phone regions, routing).
    """

    __slots__ = ("country", "ctx", "record", "report", "rules")

    def __init__(self, record: Record, ctx: CheckContext) -> None:
        self.record = record
        self.ctx = ctx
        self.rules: ObjectStandard = ctx.rules
        self.report = RecordReport(record)
        self.country: str | None = None

    def finding(
        self,
        kind: FindingKind,
        name: FieldName,
        rule: str,
        severity: Severity,
        evidence: str,
        confidence: float = 1.0,
    ) -> Finding:
        """A finding on field ``name`` of the record (its current value and workflows filled in)."""
        return Finding(
            record_id=self.record.record_id,
            object_type=self.record.object_type,
            kind=kind,
            field=name,
            rule=rule,
            severity=severity,
            workflows=self.rules.workflows.get(name, ()),
            evidence=evidence,
            current_value=self.record.get(name),
            confidence=confidence,
        )

    def change(
        self,
        name: FieldName,
        new_value: str,
        kind: ChangeKind,
        source: str,
        evidence: str,
        confidence: float,
        finding_kind: FindingKind,
        conflict: str | None = None,
    ) -> ProposedChange:
        """A proposed change of field ``name`` of the record (its old value filled in)."""
        return ProposedChange(
            record_id=self.record.record_id,
            object_type=self.record.object_type,
            field=name,
            old_value=self.record.get(name),
            new_value=new_value,
            kind=kind,
            source=source,
            evidence=evidence,
            confidence=confidence,
            finding_kind=finding_kind,
            conflict=conflict,
        )

    def add(self, finding: Finding, change: ProposedChange | None = None) -> None:
        """Reports a finding and, optionally, the change that fixes it."""
        self.report.issues.append(Issue(finding, change))

    def severity(self, name: FieldName) -> Severity:
        """How bad a bad value in ``name`` is: critical and routing fields are errors."""
        return "error" if name in self.rules.critical or name in self.rules.routing else "warning"


Rule = Callable[[Check], None]
"""One rule: reads the ``Check`` and adds what it finds (see the module docstring)."""
