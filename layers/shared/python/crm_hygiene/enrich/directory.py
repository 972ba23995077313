"""The CRM's own records as an enrichment source: companies by domain, and whom each domain's people
say they work for. Built in one streaming pass over exports (or from records pushed in)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from crm_hygiene.csvio import CsvReader
from crm_hygiene.enrich.fields import fold, registered_domain
from crm_hygiene.models.fields import detect_object_type, map_headers
from crm_hygiene.models.record import Record
from crm_hygiene.normalize.company import company_key, normalize_company_name
from crm_hygiene.normalize.email import normalize_email
from crm_hygiene.types import ObjectType, RecordId

_MAX_NAMES = 8  # distinct company names kept per domain: enough to find the majority, bounded memory


def iter_records(path: str | Path, object_type: ObjectType | None = None) -> Iterator[Record]:
    """Streams an export as canonical records (custom columns kept by their header)."""
    with CsvReader(path) as reader:
        kind = object_type or detect_object_type(reader.columns, Path(path).name)
        header = map_headers(reader.columns, kind)
        canonical = list(header.canonical.items())
        custom = [(pos, header.columns[pos]) for pos in header.custom]
        for row in reader:
            cells, width = row.cells, len(row.cells)
            fields = {name: (cells[pos] if pos < width else "") for pos, name in canonical}
            extra = {name: (cells[pos] if pos < width else "") for pos, name in custom}
            rid = fields.get("record_id", "").strip() or f"row-{row.line}"
            yield Record.model_construct(
                object_type=kind, record_id=rid, fields=fields, custom=extra, source="csv", line=row.line
            )


def email_domain(raw: str) -> str:
    """The registered domain of a business email; "" for free-mail, disposable or invalid addresses."""
    n = normalize_email(raw)
    if n.value is None or "free_mail" in n.flags or "disposable" in n.flags:
        return ""
    return registered_domain(n.extra.get("domain", ""))


@dataclass(frozen=True, slots=True)
class CompanyRef:
    """A company of the CRM: its id and its name as the CRM holds it."""

    record_id: RecordId
    name: str


@dataclass(slots=True)
class _Seen:
    name: str
    count: int = 1


def _person_key(first: str, last: str, email: str) -> int:
    local = email.strip().lower().split("@", 1)[0] if "@" in email else ""
    return hash((fold(f"{first} {last}"), local))


class CrmDirectory:
    """Companies by registered domain, and the company names contacts of each email domain carry."""

    def __init__(self, *, index_people: bool = False) -> None:
        self._people: dict[str, RecordId] | None = {} if index_people else None
        self._emails: set[int] = set()  # hashes of every contact's email: is an address someone else's?
        self._person_names: set[int] = set()  # hashes of (folded full name, email local part) ...
        self._namesakes: set[int] = set()  # ... and of those more than one contact has
        self._companies: dict[str, CompanyRef | None] = {}  # None: several companies share the domain
        self._names: dict[str, dict[str, _Seen]] = {}
        self.companies = 0
        self.contacts = 0

    def add(self, record: Record) -> None:
        """Learns from one record (contacts and companies; deals are ignored)."""
        if record.object_type == "company":
            self._add_company(record)
        elif record.object_type == "contact":
            self._add_contact(record)

    def _add_company(self, record: Record) -> None:
        domain = registered_domain(record.get("domain"))
        name = normalize_company_name(record.get("name")).value
        if not domain or not name:
            return
        self.companies += 1
        if domain in self._companies and self._companies[domain] != CompanyRef(record.record_id, name):
            self._companies[domain] = None
        else:
            self._companies[domain] = CompanyRef(record.record_id, name)

    def _add_contact(self, record: Record) -> None:
        email = record.get("email").strip().lower()
        person = _person_key(record.get("first_name"), record.get("last_name"), email)
        (self._namesakes if person in self._person_names else self._person_names).add(person)
        if "@" in email:
            self._emails.add(hash(email))
            if self._people is not None:
                self._people[email] = record.record_id
        domain = email_domain(email)
        name = normalize_company_name(record.get("company")).value if domain else None
        if not name:
            return
        self.contacts += 1
        names = self._names.setdefault(domain, {})
        key = company_key(name) or name
        seen = names.get(key)
        if seen is not None:
            seen.count += 1
        elif len(names) < _MAX_NAMES:
            names[key] = _Seen(
                name
            )  # the first spelling seen stands for its variants ("Acme Inc.", "ACME Inc")

    def company(self, domain: str) -> CompanyRef | None:
        """The one CRM company with this registered domain (None when none, or several)."""
        return self._companies.get(domain) if domain else None

    def common_name(self, domain: str) -> tuple[str, int, float] | None:
        """(name, contacts, share) of the company name most contacts at ``domain`` carry."""
        names = self._names.get(domain) if domain else None
        if not names:
            return None
        best = max(names.values(), key=lambda seen: (seen.count, seen.name))
        return best.name, best.count, best.count / sum(seen.count for seen in names.values())

    def has_namesakes(self, first: str, last: str, email: str) -> bool:
        """Whether more than one contact of the CRM has this name and this email local part: a new
        address with that local part could then be either's."""
        return _person_key(first, last, email) in self._namesakes

    def knows_email(self, email: str) -> bool:
        """Whether a contact of the CRM has this email."""
        return hash(email.strip().lower()) in self._emails

    def person(self, email: str) -> RecordId | None:
        """The CRM id of the contact with this email (only when built with ``index_people``)."""
        return self._people.get(email.strip().lower()) if self._people is not None else None

    @classmethod
    def from_files(cls, *paths: str | Path | None, index_people: bool = False) -> CrmDirectory:
        """Reads company and contact exports (object type detected from their headers)."""
        directory = cls(index_people=index_people)
        for path in paths:
            if path is not None:
                for record in iter_records(path):
                    directory.add(record)
        return directory
