"""``check_record``: one record against the standard -> issues (a finding and the fix it suggests)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from crm_hygiene.models.change import ProposedChange
from crm_hygiene.models.finding import Finding
from crm_hygiene.models.record import Record
from crm_hygiene.normalize.base import Normalized
from crm_hygiene.normalize.country import normalize_country
from crm_hygiene.normalize.date import parse_instant
from crm_hygiene.types import ChangeKind, FieldName, FindingKind, Severity
from crm_hygiene.validate.context import CheckContext
from crm_hygiene.validate.fields import normalize_field

# Fields checked by a rule of their own rather than by their format.
_SPECIAL = frozenset({"record_id", "owner", "country"})


@dataclass(slots=True)
class Issue:
    """One finding and, when there is one, the change that fixes it (same record, same field)."""

    finding: Finding
    change: ProposedChange | None = None


@dataclass(slots=True)
class RecordReport:
    """Everything ``check_record`` learned about one record.

    Attributes:
        issues: Findings with their suggested changes.
        verdicts: Field -> normalizer verdict, for every field that was checked.
        critical_total / critical_filled: Critical fields the source has, and how many hold a value.
        activity_age_days: Days since the last activity (or creation), None when unknown.
    """

    record: Record
    issues: list[Issue] = field(default_factory=list)
    verdicts: dict[FieldName, Normalized] = field(default_factory=dict)
    critical_total: int = 0
    critical_filled: int = 0
    activity_age_days: float | None = None

    def kinds(self) -> set[FindingKind]:
        return {i.finding.kind for i in self.issues}


class _Check:
    """Builds the report of one record; one method per rule."""

    def __init__(self, record: Record, ctx: CheckContext) -> None:
        self.record = record
        self.ctx = ctx
        self.rules = ctx.rules
        self.report = RecordReport(record)

    # -- building blocks -------------------------------------------------------------------------
    def finding(
        self,
        kind: FindingKind,
        name: FieldName,
        rule: str,
        severity: Severity,
        evidence: str,
        confidence: float = 1.0,
    ) -> Finding:
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
        self.report.issues.append(Issue(finding, change))

    def severity(self, name: FieldName) -> Severity:
        return "error" if name in self.rules.critical or name in self.rules.routing else "warning"

    # -- per-field format ------------------------------------------------------------------------
    def field(self, name: FieldName, n: Normalized) -> None:
        self.report.verdicts[name] = n
        fmt = self.rules.fields[name].format if name in self.rules.fields else "text"
        if n.status == "placeholder":
            self.add(
                self.finding(
                    "placeholder",
                    name,
                    f"placeholder.{fmt}",
                    self.severity(name),
                    f"{n.reason}; it counts as missing",
                )
            )
        elif n.status == "invalid":
            self.add(self.finding("malformed", name, f"format.{fmt}", self.severity(name), n.reason))
        elif n.status == "fixed" and n.value is not None:
            self.fixed(name, fmt, n, n.value)
        elif n.status == "empty" and name in self.rules.critical and name not in self.rules.routing:
            self.add(
                self.finding(
                    "missing_critical",
                    name,
                    f"{self.record.object_type}.critical",
                    "error",
                    f"critical field {name} is empty",
                )
            )

    def fixed(self, name: FieldName, fmt: str, n: Normalized, value: str) -> None:
        confidence, evidence = n.confidence, n.reason
        for part in ("salutation", "suffix"):
            if part in n.extra and part not in self.ctx.extra_columns:
                confidence = min(confidence, 0.6)
                evidence += f"; there is no {part} column, so approving drops {n.extra[part]!r}"
        finding = self.finding(
            "malformed", name, f"format.{fmt}", "warning", f"not in the standard format: {evidence}"
        )
        self.add(
            finding,
            self.change(name, value, "normalize", f"normalize.{fmt}", evidence, confidence, "malformed"),
        )

    # -- cross-field rules -----------------------------------------------------------------------
    def country(self) -> str | None:
        if not self.record.has("country"):
            return None
        n = normalize_country(self.record.get("country"))
        self.field("country", n)
        return n.value

    def misowned(self) -> None:
        if not self.ctx.has("owner"):
            return
        owner = " ".join(self.record.get("owner").split())
        n = normalize_field(self.ctx, "owner", owner, None)
        if n.missing:
            what = "no owner" if n.status == "empty" else f"owner is a placeholder ({owner!r})"
            self.add(
                self.finding(
                    "misowned",
                    "owner",
                    "owner.required",
                    "error",
                    f"{what}: nobody is accountable for this record",
                )
            )
            return
        active = self.rules.active_owners
        if active is not None and owner.casefold() not in {a.casefold() for a in active}:
            self.add(
                self.finding(
                    "misowned",
                    "owner",
                    "owner.active",
                    "error",
                    f"owner {owner!r} is not in the standard's list of active owners",
                )
            )


def check_record(record: Record, ctx: CheckContext) -> RecordReport:
    """Checks one record against the standard (see the package docstring)."""
    from crm_hygiene.validate import rules

    check = _Check(record, ctx)
    country = check.country()
    normalizers = ctx.normalizers
    verdicts = check.report.verdicts
    for name, raw in record.fields.items():
        normalize = normalizers.get(name)
        if normalize is None or name in _SPECIAL:
            continue  # record_id, owner, country have rules of their own; unknown names are not checked
        verdict = normalize(raw, country)
        if verdict.status == "valid":
            verdicts[name] = verdict  # the common case: nothing to report
        else:
            check.field(name, verdict)
    rules.split_full_name(check)
    rules.inconsistent_phones(check, country)
    rules.routing(check, country)
    check.misowned()
    rules.stale(check)
    _completeness(check)
    return check.report


def _completeness(check: _Check) -> None:
    report = check.report
    for name in check.rules.critical:
        if check.ctx.has(name):
            report.critical_total += 1
            verdict = report.verdicts.get(name)
            if verdict is not None and not verdict.missing:
                report.critical_filled += 1


def age_days(moment: datetime | None, as_of: datetime) -> float | None:
    return None if moment is None else (as_of - moment).total_seconds() / 86400.0


def activity(record: Record) -> tuple[datetime | None, str]:
    """The last activity, or the creation date when there never was any; and which one it is."""
    last = parse_instant(record.get("last_activity_at"))
    if last is not None:
        return last, "last activity"
    return parse_instant(record.get("created_at")), "creation (no activity recorded)"
