"""The activity-log provider: the latest title, company and phone people show in their emails and
meetings, and the address they write from now.

The log is a CSV or JSON-lines file of activities (timestamp, participant email and name, the
signature's title / company / phone, optionally the CRM contact the activity is logged on). It is
read once into an index of the latest observation per contact id, per email and per name, so a
lookup is a few dict reads. A contact is matched by the CRM id the activity is logged on, by its
exact email, or by its name plus the same email local part at another domain (how a person who
changed employer usually shows up: ``jane.doe@new.io`` instead of ``jane.doe@old.com``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from crm_hygiene.csvio import CsvReader
from crm_hygiene.enrich.directory import CrmDirectory, email_domain
from crm_hygiene.enrich.fields import fold
from crm_hygiene.enrich.provider import FieldCandidate, ProviderKind
from crm_hygiene.errors import InputError
from crm_hygiene.models.fields import header_key
from crm_hygiene.models.record import Record
from crm_hygiene.normalize.date import parse_instant
from crm_hygiene.types import FieldName, ObjectType

_ALIASES: dict[str, tuple[str, ...]] = {
    "timestamp": ("timestamp", "date", "activitydate", "occurredat", "time", "sentat", "starttime",
                  "createdat", "datetime", "hstimestamp"),
    "type": ("type", "activitytype", "kind", "engagementtype"),
    "contact_id": ("contactid", "recordid", "crmid", "contactrecordid", "associatedcontactid", "whoid"),
    "email": ("participantemail", "email", "fromemail", "from", "attendeeemail", "senderemail"),
    "name": ("participantname", "name", "fromname", "attendeename", "sendername"),
    "title": ("signaturetitle", "title", "jobtitle"),
    "company": ("signaturecompany", "company", "organization", "companyname", "organisation"),
    "phone": ("signaturephone", "phone", "directphone", "phonenumber", "mobile"),
}  # fmt: skip
_VALUE_ROLES: dict[str, FieldName] = {"title": "job_title", "company": "company", "phone": "phone"}
_GIVES = frozenset({"company", "job_title", "phone", "email"})


@dataclass(slots=True)
class Seen:
    """The latest observation of one person under one key.

    Attributes:
        at: When the latest activity happened.
        email: The participant's address in that activity (lower case).
        name: The participant's name as written.
        activity: email, meeting, call... of the latest activity.
        values: Field -> (latest non-empty value, when it was seen).
    """

    at: datetime
    email: str
    name: str
    activity: str
    values: dict[FieldName, tuple[str, datetime]] = field(default_factory=dict)

    def merge(self, other: Seen) -> None:
        if other.at >= self.at:
            self.at, self.email, self.name, self.activity = other.at, other.email, other.name, other.activity
        for name, (value, at) in other.values.items():
            mine = self.values.get(name)
            if mine is None or at >= mine[1]:
                self.values[name] = (value, at)


@dataclass
class ActivityIndex:
    """Latest observations by CRM contact id, by email and by folded name -> email."""

    by_contact: dict[str, Seen] = field(default_factory=dict)
    by_email: dict[str, Seen] = field(default_factory=dict)
    by_name: dict[str, dict[str, Seen]] = field(default_factory=dict)
    activities: int = 0
    skipped: int = 0

    def add(self, row: Mapping[str, str]) -> None:
        at = parse_instant(row.get("timestamp", ""))
        email = row.get("email", "").strip().lower()
        if at is None or "@" not in email:
            self.skipped += 1
            return
        self.activities += 1
        name = row.get("name", "").strip()
        values = {f: (v.strip(), at) for role, f in _VALUE_ROLES.items() if (v := row.get(role, "")).strip()}
        seen = Seen(at, email, name, row.get("type", "").strip().lower() or "activity", values)
        _put(self.by_email, email, seen)
        contact = row.get("contact_id", "").strip()
        if contact:
            _put(self.by_contact, contact, seen)
        key = fold(name) or fold(email.split("@", 1)[0].replace(".", " ").replace("_", " "))
        if key:
            _put(self.by_name.setdefault(key, {}), email, seen)


def _put(index: dict[str, Seen], key: str, seen: Seen) -> None:
    found = index.get(key)
    if found is None:
        index[key] = Seen(seen.at, seen.email, seen.name, seen.activity, dict(seen.values))
    else:
        found.merge(seen)


def _roles(columns: list[str], overrides: Mapping[str, str]) -> dict[str, int]:
    keys = [header_key(c) for c in columns]
    roles: dict[str, int] = {}
    for role, aliases in _ALIASES.items():
        wanted = overrides.get(role)
        if wanted is not None:
            if wanted not in columns:
                raise InputError(f"no column {wanted!r} for {role!r}", column=wanted)
            roles[role] = columns.index(wanted)
            continue
        hit = next((keys.index(a) for a in aliases if a in keys), None)
        if hit is not None:
            roles[role] = hit
    return roles


def read_activities(path: str | Path, columns: Mapping[str, str] | None = None) -> ActivityIndex:
    """Reads an activity log (CSV, or JSON lines when it ends in .jsonl / .ndjson) into an index."""
    index = ActivityIndex()
    for row in _rows(Path(path), columns or {}):
        index.add(row)
    return index


def _rows(path: Path, overrides: Mapping[str, str]) -> Iterator[dict[str, str]]:
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        yield from _json_rows(path, overrides)
        return
    with CsvReader(path) as reader:
        roles = _roles(reader.columns, overrides)
        if "timestamp" not in roles or "email" not in roles:
            raise InputError(
                "an activity log needs a timestamp and a participant email column", path=str(path)
            )
        for row in reader:
            cells = row.cells
            yield {role: cells[pos] if pos < len(cells) else "" for role, pos in roles.items()}


def _json_rows(path: Path, overrides: Mapping[str, str]) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8-sig") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"not a JSON line: {exc.msg}", path=str(path), line=number) from None
            if not isinstance(item, dict):
                raise InputError("each line must be a JSON object", path=str(path), line=number)
            columns = [str(k) for k in item]
            roles = _roles(columns, overrides)
            yield {role: _text(item[columns[pos]]) for role, pos in roles.items()}


def _text(value: object) -> str:
    return "" if value is None or isinstance(value, dict | list) else str(value)


def _nobody(email: str) -> bool:
    return False


class ActivityLogProvider:
    """Person-level facts from an activity log (see the module docstring)."""

    kind: ProviderKind = "activity"
    remote = False
    cost_per_call = 0.0

    def __init__(
        self,
        index: ActivityIndex,
        *,
        name: str = "activity_log",
        priority: int = 60,
        directory: CrmDirectory | None = None,
        only: frozenset[FieldName] | None = None,
    ) -> None:
        self.name = name
        self.index = index
        self.priority = priority
        self.directory = directory
        self._only = only

    def fields_for(self, object_type: ObjectType) -> frozenset[FieldName]:
        if object_type != "contact":
            return frozenset()
        return _GIVES & self._only if self._only is not None else _GIVES

    def can_lookup(self, record: Record) -> bool:
        return record.object_type == "contact"

    def cached(self, record: Record) -> bool:
        return True

    def close(self) -> None:
        pass

    def find(self, record: Record) -> tuple[Seen, str, float] | None:
        """The newest observation of the record's person: (seen, how matched, match quality)."""
        hits: list[tuple[Seen, str, float]] = []
        by_id = self.index.by_contact.get(record.record_id)
        if by_id is not None:
            hits.append((by_id, "activity logged on the contact", 0.95))
        email = record.get("email").strip().lower()
        by_email = self.index.by_email.get(email) if email else None
        if by_email is not None:
            hits.append((by_email, "exact email", 0.95))
        by_name = self._by_name(record, email)
        if by_name is not None:
            hits.append((by_name, "name + email local part at another domain", 0.7))
        if not hits:
            return None
        return max(hits, key=lambda h: (h[0].at, h[2]))

    def _by_name(self, record: Record, email: str) -> Seen | None:
        key = fold(f"{record.get('first_name')} {record.get('last_name')}")
        if not key or "@" not in email:
            return None
        if self.directory is not None and self.directory.has_namesakes(
            record.get("first_name"), record.get("last_name"), email
        ):
            return None  # two contacts called that, with that local part: which one moved?
        local = email.split("@", 1)[0]
        known = self.directory.knows_email if self.directory is not None else _nobody
        same = [
            s
            for e, s in self.index.by_name.get(key, {}).items()
            if e != email
            and e.split("@", 1)[0] == local
            and not known(e)  # a namesake in the CRM is someone else
        ]
        return same[0] if len(same) == 1 else None  # two namesakes with that local part: ambiguous

    def lookup(self, record: Record, wanted: frozenset[FieldName]) -> list[FieldCandidate]:
        found = self.find(record)
        if found is None:
            return []
        seen, match, quality = found
        out: list[FieldCandidate] = []
        for name in wanted & seen.values.keys():
            value, at = seen.values[name]
            detail = f"{seen.activity} signature on {at.date().isoformat()}"
            out.append(FieldCandidate(name, value, self.name, match, quality, fetched_at=at, detail=detail))
        if "email" in wanted and seen.email != record.get("email").strip().lower():
            detail = f"{seen.activity} from this address on {seen.at.date().isoformat()}"
            out.append(FieldCandidate("email", seen.email, self.name, match, quality, fetched_at=seen.at,
                                      detail=detail))  # fmt: skip
            self._company_of_domain(seen, wanted, match, quality, out)
        return out

    def _company_of_domain(
        self, seen: Seen, wanted: frozenset[FieldName], match: str, quality: float, out: list[FieldCandidate]
    ) -> None:
        """A new address at a CRM company's domain names the employer even without a signature."""
        if "company" not in wanted or "company" in seen.values or self.directory is None:
            return
        ref = self.directory.company(email_domain(seen.email))
        if ref is not None:
            detail = f"writes from @{seen.email.split('@', 1)[1]}, company {ref.record_id} in your CRM"
            found = FieldCandidate("company", ref.name, self.name, match, quality * 0.9, fetched_at=seen.at,
                                   detail=detail)  # fmt: skip
            out.append(found)
