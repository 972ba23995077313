"""The rules ``check_record`` runs, in order (``RULES``): formats, then the cross-field rules (full
names in one field, phones vs country, routing, owner, staleness, completeness)."""

from __future__ import annotations

from collections.abc import Sequence

from crm_hygiene.models.change import ProposedChange
from crm_hygiene.normalize.country import country_of_state, fold
from crm_hygiene.normalize.date import parse_instant
from crm_hygiene.normalize.name import split_full_name as _split
from crm_hygiene.normalize.phone import calling_code
from crm_hygiene.types import FindingKind
from crm_hygiene.validate.activity import activity, age_days
from crm_hygiene.validate.check import Check, Rule
from crm_hygiene.validate.fields import normalize_field
from crm_hygiene.validate.formats import country_format, field_formats

_PHONES = ("phone", "mobile_phone")


def split_full_name(check: Check) -> None:
    """ "John Smith" in first_name with last_name empty: propose the split (review: names are personal)."""
    record = check.record
    if not (record.has("first_name") and record.has("last_name")) or record.get("last_name").strip():
        return
    first = check.report.verdicts.get("first_name")
    raw = (first.value if first is not None and first.value else record.get("first_name")).strip()
    if " " not in raw:
        return
    parts = _split(raw)
    if not (parts.first and parts.last):
        return
    evidence = f"first_name holds a full name {raw!r}: first {parts.first!r}, last {parts.last!r}"
    if parts.salutation or parts.suffix:
        evidence += f" (dropping {' '.join(p for p in (parts.salutation, parts.suffix) if p)!r})"
    first_value = " ".join(p for p in (parts.first, parts.middle) if p)
    check.report.issues = [
        i for i in check.report.issues if i.finding.field not in ("first_name", "last_name")
    ]
    check.add(
        check.finding("malformed", "first_name", "format.person_name", "warning", evidence),
        check.change(
            "first_name", first_value, "normalize", "normalize.person_name", evidence, 0.85, "malformed"
        ),
    )
    kind: FindingKind = "missing_critical" if "last_name" in check.rules.critical else "malformed"
    check.add(
        check.finding(
            kind, "last_name", f"{record.object_type}.critical", "error", "critical field last_name is empty"
        ),
        check.change(
            "last_name", parts.last, "fill_derived", "derived.full_name_split", evidence, 0.85, kind
        ),
    )


def _phone_region(check: Check, name: str) -> str | None:
    verdict = check.report.verdicts.get(name)
    if verdict is None or verdict.value is None:
        return None
    return verdict.extra.get("region") or None


def inconsistent_phones(check: Check) -> None:
    """A phone whose country calling code differs from the record's country's."""
    country = check.country
    if not country or not calling_code(country):
        return
    for name in _PHONES:
        region = _phone_region(check, name)
        if region and calling_code(region) != calling_code(country):
            check.add(
                check.finding(
                    "inconsistent",
                    name,
                    "consistency.phone_country",
                    "warning",
                    f"{name} is a {region} number (+{calling_code(region)}) "
                    f"but the record's country is {country}",
                    confidence=0.9,
                )
            )


def _country_hints(check: Check) -> dict[str, str]:
    """Countries that other fields point to: the state's country, the phones' countries."""
    hints: dict[str, str] = {}
    state = check.record.get("state").strip()
    if state:
        found = country_of_state(state)
        if found:
            hints["state"] = found
    for name in _PHONES:
        region = _phone_region(check, name)
        if region:
            hints[name] = region
    return hints


def routing(check: Check) -> None:
    """A routing field that is empty blocks lead routing; for country, suggest one from other fields."""
    for name in check.rules.routing:
        if not check.ctx.has(name):
            continue
        verdict = check.report.verdicts.get(name)
        if verdict is not None and verdict.status != "empty":
            continue
        evidence = f"{name} is empty: the record cannot be routed"
        finding = check.finding(
            "routing_blocker", name, f"{check.record.object_type}.routing", "error", evidence
        )
        change = _infer_country(check, evidence) if name == "country" else None
        check.add(finding, change)


def _infer_country(check: Check, evidence: str) -> ProposedChange | None:
    hints = _country_hints(check)
    if not hints:
        return None
    values = set(hints.values())
    said = ", ".join(f"{k} says {v}" for k, v in hints.items())
    if len(values) > 1:
        conflict = f"sources disagree ({said}): source of truth unclear"
        return check.change(
            "country",
            "",
            "fill_derived",
            "derived.country",
            f"{evidence}; {conflict}",
            0.0,
            "routing_blocker",
            conflict=conflict,
        )
    value = values.pop()
    confidence = 0.93 if len(hints) > 1 and "state" in hints else (0.9 if "state" in hints else 0.8)
    return check.change(
        "country",
        value,
        "fill_derived",
        "derived.country",
        f"{evidence}; {said}",
        confidence,
        "routing_blocker",
    )


def _exempt(check: Check) -> str | None:
    for name, values in check.rules.staleness.exempt.items():
        current = fold(check.record.get(name))
        if current and current in {fold(v) for v in values}:
            return f"{name} {check.record.get(name)!r}"
    return None


def _not_exempt(check: Check) -> str:
    names = list(check.rules.staleness.exempt)
    if not names:
        return "no exemptions apply"
    return " and ".join(f"{n} {check.record.get(n)!r}" for n in names) + " is not exempt"


def _is_open_deal(check: Check) -> bool:
    stage = fold(check.record.get("stage"))
    return bool(stage) and stage not in {fold(v) for v in check.rules.staleness.closed_values}


def stale(check: Check) -> None:
    """No activity within the standard's window (and not exempt); deals also past their close date."""
    staleness = check.rules.staleness
    moment, what = activity(check.record)
    age = age_days(moment, check.ctx.as_of)
    check.report.activity_age_days = age
    is_deal = check.record.object_type == "deal"
    if is_deal and not _is_open_deal(check):
        return
    if is_deal and staleness.open_past_close_date:
        _past_close(check)
    limit = staleness.max_days_without_activity
    if limit is None or age is None or age <= limit or (not is_deal and _exempt(check)):
        return
    since = moment.date().isoformat() if moment else "?"
    scope = "the deal is open" if is_deal else _not_exempt(check)
    check.add(
        check.finding(
            "stale",
            "last_activity_at",
            f"{check.record.object_type}.staleness",
            "warning",
            f"no activity for {age:.0f} days (since {what} on {since}); the window is {limit} days; {scope}",
        )
    )


def _past_close(check: Check) -> None:
    close = parse_instant(check.record.get("close_date"))
    if close is None or close.date() >= check.ctx.as_of.date():
        return
    days = (check.ctx.as_of.date() - close.date()).days
    check.add(
        check.finding(
            "stale",
            "close_date",
            "deal.staleness.past_close_date",
            "warning",
            f"open deal (stage {check.record.get('stage')!r}) is {days} days "
            f"past its close date {close.date()}",
        )
    )


def misowned(check: Check) -> None:
    """No owner, a placeholder owner, or an owner not in the standard's list of active owners."""
    if not check.ctx.has("owner"):
        return
    owner = " ".join(check.record.get("owner").split())
    n = normalize_field(check.ctx, "owner", owner, None)
    if n.missing:
        what = "no owner" if n.status == "empty" else f"owner is a placeholder ({owner!r})"
        check.add(
            check.finding(
                "misowned",
                "owner",
                "owner.required",
                "error",
                f"{what}: nobody is accountable for this record",
            )
        )
        return
    active = check.rules.active_owners
    if active is not None and owner.casefold() not in {a.casefold() for a in active}:
        check.add(
            check.finding(
                "misowned",
                "owner",
                "owner.active",
                "error",
                f"owner {owner!r} is not in the standard's list of active owners",
            )
        )


def completeness(check: Check) -> None:
    """Counts the critical fields the source has, and those holding a value (for the health score)."""
    report = check.report
    for name in check.rules.critical:
        if check.ctx.has(name):
            report.critical_total += 1
            verdict = report.verdicts.get(name)
            if verdict is not None and not verdict.missing:
                report.critical_filled += 1


RULES: Sequence[Rule] = (
    country_format,  # first: the phone, state and routing rules read check.country
    field_formats,
    split_full_name,  # after field_formats: it replaces their first_name / last_name issues
    inconsistent_phones,
    routing,
    misowned,
    stale,
    completeness,  # last: counts the verdicts every rule before it left
)
"""The rules ``check_record`` runs, in this order (issues come out in it, so the order is output)."""
