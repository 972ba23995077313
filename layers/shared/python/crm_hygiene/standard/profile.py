"""``standard init``: profile an export (fill rates, detected kinds, picklist values) and draft a
standard from the default, fitted to the columns and values actually present."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from crm_hygiene.csvio import CsvReader
from crm_hygiene.models.fields import HeaderMap, detect_object_type, map_headers
from crm_hygiene.normalize.country import normalize_country, normalize_state
from crm_hygiene.normalize.date import normalize_date
from crm_hygiene.normalize.domain import normalize_domain
from crm_hygiene.normalize.email import normalize_email
from crm_hygiene.normalize.number import normalize_number
from crm_hygiene.normalize.phone import normalize_phone
from crm_hygiene.normalize.placeholder import is_placeholder
from crm_hygiene.standard.loader import default_standard, parse_standard
from crm_hygiene.types import ObjectType

KIND_SAMPLE = 2000  # values per column used to detect its kind
MAX_DISTINCT = 200  # beyond this many distinct values a column is not a picklist
_DATE_SPLIT = ("/", "-", ".")

_DETECTORS: tuple[tuple[str, Any], ...] = (
    ("email", lambda v: normalize_email(v).value is not None),
    ("date", lambda v: normalize_date(v).value is not None),
    (
        "phone",
        lambda v: normalize_phone(v, None, "US").value is not None and sum(c.isdigit() for c in v) >= 7,
    ),
    ("country", lambda v: normalize_country(v).value is not None and not v.strip().isdigit()),
    ("state", lambda v: normalize_state(v, None).value is not None),
    ("number", lambda v: normalize_number(v).value is not None),
    ("domain", lambda v: "." in v and normalize_domain(v).value is not None),
)


@dataclass
class ColumnProfile:
    column: str
    canonical: str | None
    rows: int = 0
    filled: int = 0
    placeholders: int = 0
    values: Counter[str] = field(default_factory=Counter)
    overflow: bool = False
    kinds: Counter[str] = field(default_factory=Counter)
    checked: int = 0
    day_first: int = 0
    month_first: int = 0

    def add(self, value: str) -> None:
        self.rows += 1
        text = value.strip()
        if not text:
            return
        if is_placeholder(text):
            self.placeholders += 1
            return
        self.filled += 1
        if not self.overflow:
            self.values[text] += 1
            self.overflow = len(self.values) > MAX_DISTINCT
        if self.checked < KIND_SAMPLE:
            self.checked += 1
            self._detect(text)

    def _detect(self, text: str) -> None:
        for kind, test in _DETECTORS:
            if test(text):
                self.kinds[kind] += 1
                if kind == "date":
                    self._date_order(text)
                return
        self.kinds["text"] += 1

    def _date_order(self, text: str) -> None:
        for sep in _DATE_SPLIT:
            parts = text.split(" ")[0].split(sep)
            if len(parts) == 3 and all(p.isdigit() for p in parts) and len(parts[0]) <= 2:
                first, second = int(parts[0]), int(parts[1])
                self.day_first += first > 12 >= second
                self.month_first += second > 12 >= first
                return

    @property
    def kind(self) -> str:
        if not self.kinds:
            return "empty"
        kind, count = self.kinds.most_common(1)[0]
        return kind if count >= 0.8 * self.checked else "mixed"

    def as_dict(self) -> dict[str, Any]:
        distinct = None if self.overflow else len(self.values)
        top = [v for v, _ in self.values.most_common(5)] if distinct is not None and distinct <= 30 else []
        return {
            "column": self.column,
            "field": self.canonical or "(custom)",
            "fill_rate": round(self.filled / self.rows, 3) if self.rows else 0.0,
            "placeholders": self.placeholders,
            "kind": self.kind,
            "distinct": distinct if distinct is not None else f">{MAX_DISTINCT}",
            "top_values": top,
        }


@dataclass
class Profile:
    path: str
    object_type: ObjectType
    header: HeaderMap
    rows: int
    columns: list[ColumnProfile]


def profile_export(path: str | Path, object_type: ObjectType | None = None) -> Profile:
    """Reads the whole export once (streaming) and profiles every column."""
    with CsvReader(path) as reader:
        kind = object_type or detect_object_type(reader.columns, Path(path).name)
        header = map_headers(reader.columns, kind)
        columns = [ColumnProfile(c, header.canonical.get(i)) for i, c in enumerate(reader.columns)]
        rows = 0
        for row in reader:
            rows += 1
            for i, column in enumerate(columns):
                column.add(row.cells[i] if i < len(row.cells) else "")
    return Profile(str(path), kind, header, rows, columns)


def draft_standard(profile: Profile) -> dict[str, Any]:
    """The default standard fitted to the export: its columns, its date order, its picklist values."""
    base = default_standard().model_dump(mode="json", exclude_none=True)
    obj = base["objects"][profile.object_type]
    present = set(profile.header.position)
    obj["critical"] = [f for f in obj["critical"] if f in present]
    obj["routing"] = [f for f in obj["routing"] if f in present]
    by_field = {c.canonical: c for c in profile.columns if c.canonical}
    for name, rule in obj["fields"].items():
        column = by_field.get(name)
        if column is not None and rule["format"] == "picklist":
            rule["picklist"] = _picklist(rule["picklist"], column)
    day_first = sum(c.day_first for c in profile.columns)
    month_first = sum(c.month_first for c in profile.columns)
    if day_first or month_first:
        base["date_order"] = "DMY" if day_first > month_first else "MDY"
    country = by_field.get("country")
    if country is not None and not country.overflow and country.filled:
        top, count = country.values.most_common(1)[0]
        code = normalize_country(top).value
        if code and count >= 0.9 * country.filled:
            base["default_phone_region"] = code
    base["name"] = f"drafted from {Path(profile.path).name}"
    base["objects"] = {profile.object_type: obj}
    return base


def _picklist(options: list[dict[str, Any]], column: ColumnProfile) -> list[dict[str, Any]]:
    """Keeps the default options and adds values seen at least twice that match none of them."""
    if column.overflow:
        return options
    known = {s.casefold() for o in options for s in (o["value"], o.get("label") or "", *o.get("aliases", []))}
    extra = [v for v, n in column.values.most_common() if n >= 2 and v.casefold() not in known]
    return options + [{"value": v, "label": v} for v in extra]


def render_draft(profile: Profile) -> str:
    """The drafted standard as YAML, with the profile as comments; it always parses back as valid."""
    draft = draft_standard(profile)
    body = yaml.safe_dump(draft, sort_keys=False, allow_unicode=True, width=100)
    parse_standard(body, "draft")  # a draft that does not validate is a bug here, not the user's problem
    lines = [
        f"# Standard drafted by `crm-hygiene standard init` from {profile.path}",
        f"# {profile.rows:,} {profile.object_type} records; review critical fields, picklists and owners.",
        "#",
        "# column | field | fill rate | kind | distinct | top values",
    ]
    for column in profile.columns:
        d = column.as_dict()
        top = ", ".join(d["top_values"])[:60]
        lines.append(
            f"#   {d['column']} | {d['field']} | {d['fill_rate']:.0%} | {d['kind']} | {d['distinct']} | {top}"
        )
    return "\n".join(lines) + "\n" + body
