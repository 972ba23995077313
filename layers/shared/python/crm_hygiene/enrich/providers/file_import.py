"""The file-import provider: a list provider's CSV, keyed by email, domain or LinkedIn URL.

The file is read once into a dict keyed by the normalized key; ``columns`` maps logical fields to
the file's columns. A contact is matched by its exact email, its LinkedIn URL, or (domain-keyed
lists) its business email domain, which only says something about the company, not the person.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from crm_hygiene.csvio import CsvReader
from crm_hygiene.enrich.config import FileConfig
from crm_hygiene.enrich.directory import email_domain
from crm_hygiene.enrich.fields import EXTRA_COLUMNS, linkedin_key, registered_domain
from crm_hygiene.enrich.provider import FieldCandidate, ProviderKind
from crm_hygiene.errors import InputError
from crm_hygiene.models.fields import header_key
from crm_hygiene.models.record import Record
from crm_hygiene.normalize.date import parse_instant
from crm_hygiene.types import FieldName, ObjectType

_COMPANY_LEVEL = frozenset({"company", "website", "name", "domain", "industry", "employees", "annual_revenue",
                            "phone", "city", "state", "country", "time_zone", "linkedin_url"})  # fmt: skip
_CONTACT_BY_DOMAIN = frozenset({"company", "website"})
_LINKEDIN_KEYS = frozenset(EXTRA_COLUMNS["linkedin_url"])

Row = tuple[dict[FieldName, str], datetime | None]


def _key(kind: str, raw: str) -> str:
    text = raw.strip()
    if kind == "email":
        return text.lower() if "@" in text else ""
    if kind == "domain":
        return registered_domain(text)
    return linkedin_key(text)


def read_list(config: FileConfig) -> dict[str, Row]:
    """Reads the list into key -> (field -> value, observed at); a later row for a key wins."""
    default_at = parse_instant(config.as_of) if config.as_of else None
    rows: dict[str, Row] = {}
    with CsvReader(config.path) as reader:
        columns = reader.columns
        missing = [c for c in (config.key_column, *config.columns.values()) if c not in columns]
        if config.observed_at_column and config.observed_at_column not in columns:
            missing.append(config.observed_at_column)
        if missing:
            raise InputError(f"no column(s) {', '.join(map(repr, missing))}", path=str(config.path))
        key_pos = columns.index(config.key_column)
        value_pos = {name: columns.index(col) for name, col in config.columns.items()}
        at_pos = columns.index(config.observed_at_column) if config.observed_at_column else None
        for row in reader:
            cells = row.cells
            key = _key(config.key, cells[key_pos]) if key_pos < len(cells) else ""
            if not key:
                continue
            values = {
                n: cells[p].strip() for n, p in value_pos.items() if p < len(cells) and cells[p].strip()
            }
            at = parse_instant(cells[at_pos]) if at_pos is not None and at_pos < len(cells) else None
            rows[key] = (values, at or default_at)
    return rows


class FileImportProvider:
    """Values from a list provider's file (see the module docstring)."""

    kind: ProviderKind = "file"
    remote = False

    def __init__(self, config: FileConfig, rows: dict[str, Row] | None = None, *, priority: int = 50) -> None:
        self.name = config.name
        self.config = config
        self.rows = read_list(config) if rows is None else rows
        self.priority = priority
        self.cost_per_call = 0.0  # a list is paid for up front: looking it up costs nothing more
        self._fields = frozenset(config.columns) & frozenset(config.fields or config.columns)

    def fields_for(self, object_type: ObjectType) -> frozenset[FieldName]:
        if object_type == "deal":
            return frozenset()
        if object_type == "company":
            return self._fields & _COMPANY_LEVEL if self.config.key != "email" else frozenset()
        return self._fields & _CONTACT_BY_DOMAIN if self.config.key == "domain" else self._fields

    def can_lookup(self, record: Record) -> bool:
        return bool(self._record_key(record)[0])

    def cached(self, record: Record) -> bool:
        return True

    def close(self) -> None:
        pass

    def _record_key(self, record: Record) -> tuple[str, str, float]:
        """(key, how it matches, match quality) of a record for this list."""
        kind = self.config.key
        if kind == "email":
            return _key("email", record.get("email")), "exact email", 0.97
        if kind == "domain":
            if record.object_type == "company":
                return registered_domain(record.get("domain")), "exact domain", 0.95
            return email_domain(record.get("email")), "business email domain", 0.85
        for column, value in record.custom.items():
            if header_key(column) in _LINKEDIN_KEYS and value.strip():
                return linkedin_key(value), "LinkedIn URL", 0.97
        return "", "", 0.0

    def lookup(self, record: Record, wanted: frozenset[FieldName]) -> list[FieldCandidate]:
        key, match, quality = self._record_key(record)
        found = self.rows.get(key) if key else None
        if found is None:
            return []
        values, at = found
        detail = f"{Path(self.config.path).name}" + (f", verified {at.date().isoformat()}" if at else "")
        return [
            FieldCandidate(name, values[name], self.name, match, quality, fetched_at=at, detail=detail)
            for name in sorted(wanted & values.keys())
        ]
