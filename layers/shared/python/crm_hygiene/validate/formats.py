"""Field-format rules: the record's country first, then every other field against its format."""

from __future__ import annotations

from crm_hygiene.normalize.base import Normalized
from crm_hygiene.normalize.country import normalize_country
from crm_hygiene.types import FieldName
from crm_hygiene.validate.check import Check

# Fields checked by a rule of their own rather than by their format.
SPECIAL_FIELDS = frozenset({"record_id", "owner", "country"})


def report_verdict(check: Check, name: FieldName, n: Normalized) -> None:
    """Keeps a field's verdict and reports what it implies: a placeholder, a malformed value (with the
    normalized value as its fix when there is one) or an empty critical field."""
    check.report.verdicts[name] = n
    rules = check.rules
    fmt = rules.fields[name].format if name in rules.fields else "text"
    if n.status == "placeholder":
        check.add(
            check.finding(
                "placeholder",
                name,
                f"placeholder.{fmt}",
                check.severity(name),
                f"{n.reason}; it counts as missing",
            )
        )
    elif n.status == "invalid":
        check.add(check.finding("malformed", name, f"format.{fmt}", check.severity(name), n.reason))
    elif n.status == "fixed" and n.value is not None:
        _fixed(check, name, fmt, n, n.value)
    elif n.status == "empty" and name in rules.critical and name not in rules.routing:
        check.add(
            check.finding(
                "missing_critical",
                name,
                f"{check.record.object_type}.critical",
                "error",
                f"critical field {name} is empty",
            )
        )


def _fixed(check: Check, name: FieldName, fmt: str, n: Normalized, value: str) -> None:
    confidence, evidence = n.confidence, n.reason
    for part in ("salutation", "suffix"):
        if part in n.extra and part not in check.ctx.extra_columns:
            confidence = min(confidence, 0.6)
            evidence += f"; there is no {part} column, so approving drops {n.extra[part]!r}"
    finding = check.finding(
        "malformed", name, f"format.{fmt}", "warning", f"not in the standard format: {evidence}"
    )
    check.add(
        finding,
        check.change(name, value, "normalize", f"normalize.{fmt}", evidence, confidence, "malformed"),
    )


def country_format(check: Check) -> None:
    """The record's country, normalized first: phone and state rules need it (``check.country``)."""
    if not check.record.has("country"):
        return
    n = normalize_country(check.record.get("country"))
    report_verdict(check, "country", n)
    check.country = n.value


def field_formats(check: Check) -> None:
    """Every other known field against its format (record_id, owner, country have rules of their own;
    names the standard does not know are not checked)."""
    normalizers = check.ctx.normalizers
    verdicts = check.report.verdicts
    country_ = check.country
    for name, raw in check.record.fields.items():
        normalize = normalizers.get(name)
        if normalize is None or name in SPECIAL_FIELDS:
            continue
        verdict = normalize(raw, country_)
        if verdict.status == "valid":
            verdicts[name] = verdict  # the common case: nothing to report
        else:
            report_verdict(check, name, verdict)
