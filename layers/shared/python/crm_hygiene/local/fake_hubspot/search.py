"""``POST /crm/v3/objects/{type}/search`` (crm-apis.md A.7): filters, one sort, offset paging, limits."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from crm_hygiene.local.fake_hubspot.catalog import DEFAULT_PROPERTIES, PropertyDef
from crm_hygiene.local.fake_hubspot.crm import FakeCrm, FakeObject
from crm_hygiene.local.fake_hubspot.values import number, to_ms, validation

MAX_LIMIT = 200
WINDOW = 10_000
MAX_GROUPS, MAX_FILTERS_PER_GROUP, MAX_FILTERS = 5, 6, 18
MAX_QUERY = 3000
_SEARCHABLE = {
    "contacts": ("firstname", "lastname", "email", "phone", "hs_additional_emails", "mobilephone", "company"),
    "companies": ("website", "phone", "name", "domain"),
    "deals": ("dealname", "pipeline", "dealstage"),
}
Key = tuple[int, float | str]


def search(
    crm: FakeCrm, object_type: str, request: Mapping[str, Any]
) -> tuple[list[FakeObject], int, int | None]:
    """(page, total, next offset) of a search request; raises a 400 for what HubSpot refuses."""
    limit, after, groups, sorts = _validated(request)
    defs = crm.properties[object_type]
    predicate = _predicate(object_type, defs, groups, str(request.get("query") or ""))
    with crm.lock:
        matches = [obj for obj in crm.table(object_type).live() if predicate(obj)]
    if sorts:
        name = str(sorts[0].get("propertyName"))
        descending = str(sorts[0].get("direction", "ASCENDING")).upper() == "DESCENDING"
        matches.sort(key=lambda o: (_sort_key(defs.get(name), _value(o, name)), o.id), reverse=descending)
    total = len(matches)
    end = min(after + limit, total, WINDOW)
    return matches[after:end], total, end if end < min(total, WINDOW) else None


def _validated(request: Mapping[str, Any]) -> tuple[int, int, list[Any], list[Any]]:
    try:
        limit = int(request.get("limit") or 10)
        after = int(request.get("after") or 0)
    except (TypeError, ValueError):
        raise validation("limit and after must be integers") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise validation(f"limit must be between 1 and {MAX_LIMIT}")
    if after >= WINDOW:
        raise validation(f"Paging beyond {WINDOW} results is not supported; narrow the search")
    groups = list(request.get("filterGroups") or [])
    counts = [len(g.get("filters") or []) for g in groups]
    if (
        len(groups) > MAX_GROUPS
        or any(c > MAX_FILTERS_PER_GROUP for c in counts)
        or sum(counts) > MAX_FILTERS
    ):
        raise validation("too many filters: at most 5 filterGroups, 6 filters per group, 18 in all")
    sorts = list(request.get("sorts") or [])
    if len(sorts) > 1:
        raise validation("only one sort is supported")
    if len(str(request.get("query") or "")) > MAX_QUERY:
        raise validation(f"query longer than {MAX_QUERY} characters")
    return limit, after, groups, [s if isinstance(s, dict) else {"propertyName": s} for s in sorts]


def _value(obj: FakeObject, name: str) -> str:
    return str(obj.id) if name == "hs_object_id" else obj.props.get(name, "")


def _sort_key(definition: PropertyDef | None, value: str) -> Key:
    parsed = _typed(definition, value)
    return (0, parsed) if isinstance(parsed, float) else (1, parsed)


@functools.lru_cache(maxsize=1 << 18)
def _as_number(kind: str, value: str) -> float | None:
    if kind in ("datetime", "date"):
        ms = to_ms(value)
        return None if ms is None else float(ms)  # epoch ms are exact in a float
    parsed = number(value)
    return None if parsed is None else float(parsed)


def _typed(definition: PropertyDef | None, value: str) -> float | str:
    """Dates and numbers compare as numbers, everything else case-insensitively as text."""
    if definition is not None and definition.type in ("datetime", "date", "number"):
        parsed = _as_number(definition.type, value)
        if parsed is not None:
            return parsed
    return value.lower()


def _predicate(
    object_type: str, defs: Mapping[str, PropertyDef], groups: Sequence[Mapping[str, Any]], query: str
) -> Callable[[FakeObject], bool]:
    tests = [[_filter_test(defs, f) for f in g.get("filters") or []] for g in groups]
    words = [w for w in re.split(r"\s+", query.lower()) if w]
    fields = _SEARCHABLE.get(object_type, DEFAULT_PROPERTIES[object_type])

    def matches(obj: FakeObject) -> bool:
        if tests and not any(all(t(obj) for t in group) for group in tests):
            return False
        text = " ".join(obj.props.get(f, "") for f in fields).lower()
        return all(w in text for w in words)

    return matches


def _filter_test(defs: Mapping[str, PropertyDef], spec: Mapping[str, Any]) -> Callable[[FakeObject], bool]:
    name = str(spec.get("propertyName") or "")
    operator = str(spec.get("operator") or "EQ").upper()
    definition = defs.get(name) or (PropertyDef(name, "number") if name == "hs_object_id" else None)
    if definition is None and not name.startswith("associations."):
        raise validation(f"unknown property in filter: {name}")
    if operator in ("HAS_PROPERTY", "NOT_HAS_PROPERTY"):
        wanted = operator == "HAS_PROPERTY"
        return lambda obj: bool(_value(obj, name)) == wanted
    if operator in ("IN", "NOT_IN"):
        values = {_typed(definition, str(v)) for v in spec.get("values") or []}
        inside = operator == "IN"
        return lambda obj: (_typed(definition, _value(obj, name)) in values) == inside
    if operator in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        pattern = re.compile(re.escape(str(spec.get("value", "")).lower()).replace(r"\*", ".*"))
        contains = operator == "CONTAINS_TOKEN"
        return lambda obj: bool(pattern.search(_value(obj, name).lower())) == contains
    return _comparison(definition, name, operator, spec)


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "EQ": lambda a, b: a == b,
    "NEQ": lambda a, b: a != b,
    "LT": lambda a, b: a < b,
    "LTE": lambda a, b: a <= b,
    "GT": lambda a, b: a > b,
    "GTE": lambda a, b: a >= b,
}


def _comparison(
    definition: PropertyDef | None, name: str, operator: str, spec: Mapping[str, Any]
) -> Callable[[FakeObject], bool]:
    low = _typed(definition, str(spec.get("value", "")))
    if operator == "BETWEEN":
        high = _typed(definition, str(spec.get("highValue", "")))

        def between(obj: FakeObject) -> bool:
            value = _typed(definition, _value(obj, name))
            return type(value) is type(low) and low <= value <= high  # type: ignore[operator]

        return between
    compare = _COMPARE.get(operator)
    if compare is None:
        raise validation(f"unknown operator {operator}")

    def test(obj: FakeObject) -> bool:
        raw = _value(obj, name)
        value = _typed(definition, raw)
        if operator != "NEQ" and not raw:
            return False
        return type(value) is type(low) and compare(value, low)

    return test
