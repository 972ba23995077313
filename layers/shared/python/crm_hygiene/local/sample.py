"""A seeded generator of realistic, messy HubSpot-style CRM exports with an answer key.

:func:`generate_sample` writes ``contacts.csv``, ``companies.csv`` and ``deals.csv`` exactly as HubSpot
exports them (UTF-8, comma, CRLF), first as clean records that meet the clean-record standard, then
with problems injected into about a third of them; each injected problem is one line of
``truth.jsonl``. Rows are generated and written in blocks, so memory stays flat for any size.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import itertools
import json
import math
import random
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Final, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from crm_hygiene.local import sample_data as vocab
from crm_hygiene.types import FINDING_KINDS, FindingKind, ObjectType

ProblemKind = FindingKind | Literal["duplicate"]
PROBLEM_KINDS: Final[tuple[ProblemKind, ...]] = (*FINDING_KINDS, "duplicate")


def _columns(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(export headers, canonical field names) from "Header=field, ..."; custom columns have no field."""
    pairs = [item.strip().partition("=") for item in text.split(",")]
    return tuple(header for header, _, _ in pairs), tuple(name for _, _, name in pairs if name)


CONTACT_HEADERS, CONTACT_FIELDS = _columns(
    "Record ID=record_id, First Name=first_name, Last Name=last_name, Email=email, Phone Number=phone, "
    "Mobile Phone Number=mobile_phone, Company Name=company, Job Title=job_title, City=city, "
    "State/Region=state, Postal Code=postal_code, Country/Region=country, Website URL=website, "
    "Contact owner=owner, Lifecycle Stage=lifecycle_stage, Lead Status=lead_status, Create Date=created_at, "
    "Last Modified Date=updated_at, Last Activity Date=last_activity_at, Marketing contact status, "
    "Original Source"
)
COMPANY_HEADERS, COMPANY_FIELDS = _columns(
    "Record ID=record_id, Company name=name, Company Domain Name=domain, Phone Number=phone, "
    "Industry=industry, Number of Employees=employees, Annual Revenue=annual_revenue, City=city, "
    "State/Region=state, Country/Region=country, Company owner=owner, Lifecycle Stage=lifecycle_stage, "
    "Create Date=created_at, Last Modified Date=updated_at, Last Activity Date=last_activity_at"
)
DEAL_HEADERS, DEAL_FIELDS = _columns(
    "Record ID=record_id, Deal Name=name, Amount=amount, Deal Stage=stage, Pipeline=pipeline, "
    "Close Date=close_date, Deal owner=owner, Associated Company IDs=company_id, Create Date=created_at, "
    "Last Modified Date=updated_at, Last Activity Date=last_activity_at"
)
CONTACTS_FILE: Final = "contacts.csv"
COMPANIES_FILE: Final = "companies.csv"
DEALS_FILE: Final = "deals.csv"
TRUTH_FILE: Final = "truth.jsonl"
DATETIME_FORMAT: Final = "%Y-%m-%d %H:%M"
DATE_FORMAT: Final = "%Y-%m-%d"

_C = {name: i for i, name in enumerate(CONTACT_FIELDS)}
_CO = {name: i for i, name in enumerate(COMPANY_FIELDS)}
_D = {name: i for i, name in enumerate(DEAL_FIELDS)}

_BLOCK = 1000  # contacts per block; companies, deals and duplicates only pair up within a block
_DAY = 1440  # minutes
_DUPLICATE_RATE = 0.03
# (kind, probability per record), in injection order: the most constrained kinds go first. Only US
# contacts (~55%) can be "inconsistent", hence 3.7% for ≈ 2% of all contacts.
_Rates = tuple[tuple[FindingKind, float], ...]
_CONTACT_RATES: Final[_Rates] = (("routing_blocker", 0.02), ("inconsistent", 0.037), ("stale", 0.05),
    ("missing_critical", 0.04), ("placeholder", 0.04), ("misowned", 0.03), ("malformed", 0.12))  # fmt: skip
_COMPANY_RATES: Final[_Rates] = (("stale", 0.05), ("missing_critical", 0.04), ("placeholder", 0.04),
    ("misowned", 0.03), ("malformed", 0.12))  # fmt: skip
_DEAL_RATES: Final[_Rates] = (("stale", 0.05), ("missing_critical", 0.04), ("misowned", 0.03),
    ("malformed", 0.12))  # fmt: skip


class SampleManifest(BaseModel):
    """What :func:`generate_sample` wrote.

    Attributes:
        out_dir: The folder holding the files.
        seed: The seed used; the same seed, size and ``as_of`` give identical bytes.
        as_of: The day every date is relative to.
        paths: File name ("contacts.csv", ...) → path; includes "truth.jsonl" when it was written.
        rows: File name → data rows written (headers excluded).
        problems: Problem kind → injected problems (truth lines), every kind present.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    out_dir: Path
    seed: int
    as_of: dt.date
    paths: dict[str, Path]
    rows: dict[str, int]
    problems: dict[str, int]


def generate_sample(
    out_dir: str | Path,
    *,
    contacts: int = 2000,
    seed: int = 7,
    as_of: dt.date | None = None,
    truth: bool = False,
) -> SampleManifest:
    """Write a messy HubSpot-style export (and optionally its answer key) into ``out_dir``.

    Args:
        out_dir: Folder to write to; created if missing; existing sample files are overwritten.
        contacts: Rows of ``contacts.csv`` (≈3% of them near-duplicates of others); companies ≈ N/5
            (at least 1) and deals ≈ N/4.
        seed: Seed of the only random generator used.
        as_of: The day the export is taken; every date is relative to it. Defaults to today (UTC).
        truth: Also write ``truth.jsonl``, one JSON object per injected problem.

    Returns:
        The manifest: paths, row counts and problem counts per kind.

    Raises:
        ValueError: ``contacts`` is below 1.
    """
    if contacts < 1:
        raise ValueError("contacts must be at least 1")
    day = as_of or dt.datetime.now(dt.UTC).date()
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    names = [CONTACTS_FILE, COMPANIES_FILE, DEALS_FILE] + ([TRUTH_FILE] if truth else [])
    paths = {name: folder / name for name in names}
    with ExitStack() as stack:
        handles: dict[str, IO[str]] = {
            name: stack.enter_context(path.open("w", encoding="utf-8", newline="", buffering=1 << 20))
            for name, path in paths.items()
        }
        sampler = _Sampler(random.Random(seed), day, handles, contacts)
        sampler.run(contacts)
    return SampleManifest(
        out_dir=folder,
        seed=seed,
        as_of=day,
        paths=paths,
        rows=dict(sampler.rows),
        problems={kind: sampler.answers.counts.get(kind, 0) for kind in PROBLEM_KINDS},
    )


_json = json.JSONEncoder(ensure_ascii=False).encode


class _Answers:
    """The answer key: counts every problem and, when given a file, writes it as a JSON line."""

    def __init__(self, out: IO[str] | None) -> None:
        self.out = out
        self.counts: dict[str, int] = {}

    def add(self, rec: _Rec, kind: ProblemKind, name: str, injected: str, expected: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if self.out is None:
            return
        # What json.dumps(..., ensure_ascii=False) writes for the dict, at a fraction of the cost.
        self.out.write(
            f'{{"file": "{rec.file}", "record_id": "{rec.row[0]}", "object_type": "{rec.object_type}", '
            f'"kind": "{kind}", "field": "{name}", "injected_value": {_json(injected)}, '
            f'"expected_value": {_json(expected)}}}\n'
        )


@dataclass(slots=True)
class _Rec:
    """One record being spoiled: which fields are changed and which must stay clean."""

    file: str
    object_type: ObjectType
    index: dict[str, int]
    row: list[str]
    country: str
    close: int = 0  # deals: close date, in days after as_of
    touched: set[str] = field(default_factory=set)
    locked: set[str] = field(default_factory=set)

    def can(self, name: str, locks: tuple[str, ...] = ()) -> bool:
        """``name`` may change, and ``locks`` (fields the change relies on) are still clean."""
        return name not in self.touched and name not in self.locked and not self.touched.intersection(locks)

    def get(self, name: str) -> str:
        return self.row[self.index[name]]

    def set(self, name: str, value: str) -> None:
        self.row[self.index[name]] = value


@dataclass(frozen=True, slots=True)
class _Company:
    record_id: str
    name: str
    core: str
    domain: str
    owner: str
    spot: vocab.Spot


class _Clock:
    """Renders "minutes before ``as_of`` 00:00" as HubSpot timestamps, from precomputed strings."""

    def __init__(self, as_of: dt.date) -> None:
        self.back = [(as_of - dt.timedelta(days=d)).isoformat() for d in range(3200)]
        self.ahead = [(as_of + dt.timedelta(days=d)).isoformat() for d in range(400)]
        self.hhmm = [f"{m // 60:02d}:{m % 60:02d}" for m in range(_DAY)]

    def ts(self, minutes_back: int) -> str:
        return self.back[(minutes_back + _DAY - 1) // _DAY] + " " + self.hhmm[-minutes_back % _DAY]

    def day(self, days_ahead: int) -> str:
        """A date ``days_ahead`` after ``as_of`` (negative: before)."""
        return self.ahead[days_ahead] if days_ahead >= 0 else self.back[-days_ahead]


T = TypeVar("T")
Option = Callable[[_Rec], bool]


@functools.cache
def _clean_share(rates: _Rates) -> float:
    return math.prod(1 - rate for _, rate in rates)


class _Sampler:
    """Generates the three files block by block from one seeded random generator."""

    def __init__(self, rng: random.Random, day: dt.date, handles: dict[str, IO[str]], contacts: int) -> None:
        self.r = rng.random
        self.clock = _Clock(day)
        self.places = vocab.Places(rng)
        self.answers = _Answers(handles.get(TRUTH_FILE))
        self.rows = {CONTACTS_FILE: 0, COMPANIES_FILE: 0, DEALS_FILE: 0}
        headers = {CONTACTS_FILE: CONTACT_HEADERS, COMPANIES_FILE: COMPANY_HEADERS, DEALS_FILE: DEAL_HEADERS}
        self.handles = handles
        self.writers = {name: csv.writer(handles[name], lineterminator="\r\n") for name in headers}
        for name, header in headers.items():
            self.writers[name].writerow(header)
        self.emails: set[str] = set()  # business emails of the current block
        self.company_names = vocab.CompanyNames(rng)
        digits = max(3, len(str(contacts // 5)))  # room for 3x the free-mail addresses (~6.6% of contacts)
        self.free_base = 10 ** (digits - 1)
        self.free_mail = vocab.Permutation(rng, 9 * self.free_base)
        self.options = self._options()
        self.contact_stages = vocab.with_status(vocab.CONTACT_STAGES)  # (stage, lead status) bags
        self.active_stages = vocab.with_status(vocab.ACTIVE_STAGES)
        self.extras = tuple(  # every (job title, owner, marketing status, source), for one pick per contact
            itertools.product(vocab.JOB_TITLES, vocab.OWNERS, vocab.MARKETING_STATUSES, vocab.SOURCES)
        )

    def pick(self, seq: Sequence[T]) -> T:
        return seq[int(self.r() * len(seq))]

    def run(self, contacts: int) -> None:
        pool: list[_Company] = []
        done = 0
        while done < contacts:
            size = min(_BLOCK, contacts - done)
            done += size
            wanted = max(1, (done + 2) // 5) - self.rows[COMPANIES_FILE]
            pool = [self._company() for _ in range(wanted)] or pool
            self._contacts(size, pool)
            for _ in range((done + 2) // 4 - self.rows[DEALS_FILE]):
                self._deal(pool)

    def _write(self, name: str, row: list[str]) -> None:
        line = ",".join(row)
        if '"' in line or "\n" in line or "\r" in line or line.count(",") != len(row) - 1:
            self.writers[name].writerow(row)  # needs quoting
        else:
            self.handles[name].write(line + "\r\n")  # what csv would write, without its per-field checks
        self.rows[name] += 1

    def _draw(self, rates: _Rates) -> list[FindingKind]:
        """Kinds to inject, each with its rate, independently; one draw settles the clean majority."""
        r = self.r
        if r() < _clean_share(rates):
            return []
        while True:  # rejection sampling: the independent draws, given that at least one kind hit
            hits = [kind for kind, rate in rates if r() < rate]
            if hits:
                return hits

    def _dates(self, active_days: int = 299) -> tuple[int, int, int]:
        """(created, updated, last activity) in minutes before as_of; activity within ``active_days``."""
        active = 1 + int(self.r() * (active_days * _DAY - 1))
        return active + int(self.r() * 900 * _DAY), 1 + int(self.r() * active), active

    def _company(self) -> _Company:
        r, pick, ts = self.r, self.pick, self.clock.ts
        core, label, industry = self.company_names.name(self.rows[COMPANIES_FILE])
        spot = pick(self.places.spots[pick(self.places.country_bag)])
        name, domain = f"{core} {pick(spot.country.legal)}", f"{label}.{pick(spot.country.tlds)}"
        employees = int(10 ** (0.7 + 3.5 * r()))
        revenue = int(round(employees * (60_000 + 240_000 * r()), -4))
        hits = self._draw(_COMPANY_RATES)
        stage = pick(vocab.ACTIVE_STAGES if "stale" in hits else vocab.COMPANY_STAGES)
        created, updated, active = self._dates()
        rid, owner = str(500_001 + self.rows[COMPANIES_FILE]), pick(vocab.OWNERS)
        row = [rid, name, domain, spot.fixed.next(), industry or pick(vocab.INDUSTRIES), str(employees),
            str(revenue), spot.city.name, spot.city.state, spot.country.code, owner, stage, ts(created),
            ts(updated), ts(active)]  # fmt: skip
        if hits:
            self._spoil(_Rec(COMPANIES_FILE, "company", _CO, row, spot.country.code), hits)
        self._write(COMPANIES_FILE, row)
        return _Company(rid, name, core, domain, owner, spot)

    def _contacts(self, size: int, pool: list[_Company]) -> None:
        self.emails.clear()
        originals: list[list[str]] = []
        for _ in range(size):
            if originals and self.r() < _DUPLICATE_RATE:
                self._duplicate(originals.pop(int(self.r() * len(originals))))
            else:
                originals.append(self._contact(pool))

    def _person(self, code: str, domain: str) -> tuple[str, str, str]:
        """(first name, last name, email); business emails are unique within the block's companies."""
        firsts, lasts, r = self.places.first[code], self.places.last[code], self.r
        for _ in range(4):
            first, first_ascii = firsts[int(r() * len(firsts))]
            last, last_ascii = lasts[int(r() * len(lasts))]
            if r() < 0.06:
                return first, last, self._free_mail(first_ascii, last_ascii)
            email = f"{first_ascii}.{last_ascii}@{domain}"
            if email not in self.emails:
                break
        else:  # four namesakes at one company: number the address, as mail admins do
            email = f"{first_ascii}.{last_ascii}{len(self.emails)}@{domain}"
        self.emails.add(email)
        return first, last, email

    def _free_mail(self, first_ascii: str, last_ascii: str) -> str:
        number = self.free_base + self.free_mail.next()  # unique, so no two people share an address
        return f"{first_ascii}.{last_ascii}{number}@{self.pick(vocab.FREE_MAIL)}"

    def _contact(self, pool: list[_Company]) -> list[str]:
        r, ts = self.r, self.clock.ts  # the hot path: picks are inlined
        company = pool[int(len(pool) * r() * r())]  # a few companies get many contacts
        code = company.spot.country.code
        spots = self.places.spots[code]
        spot = company.spot if r() < 0.6 else spots[int(r() * len(spots))]
        first, last, email = self._person(code, company.domain)
        hits = self._draw(_CONTACT_RATES)
        stages = self.active_stages if "stale" in hits else self.contact_stages
        stage, status = stages[int(r() * len(stages))]
        job, owner, marketing, source = self.extras[int(r() * len(self.extras))]
        created, updated, active = self._dates()
        city, mobile = spot.city, spot.mobile.next() if r() < 0.4 else ""
        postal = spot.postal[int(r() * len(spot.postal))]
        row = [str(100_001 + self.rows[CONTACTS_FILE]), first, last, email, spot.fixed.next(), mobile,
            company.name, job, city.name, city.state, postal, code, company.domain, owner, stage, status,
            ts(created), ts(updated), ts(active), marketing, source]  # fmt: skip
        clean = row.copy()
        if hits:
            self._spoil(_Rec(CONTACTS_FILE, "contact", _C, row, code), hits)
        self._write(CONTACTS_FILE, row)
        return clean

    def _duplicate(self, original: list[str]) -> None:
        """A near-copy of ``original`` entered again later: new id, owner and dates, 1-3 variations."""
        row = original.copy()
        rec = _Rec(CONTACTS_FILE, "contact", _C, row, original[_C["country"]])
        row[0] = str(100_001 + self.rows[CONTACTS_FILE])
        self.answers.add(rec, "duplicate", "", "", original[0])
        created, updated, active = self._dates()
        row[_C["owner"] : _C["created_at"]] = [self.pick(vocab.OWNERS), "Lead", "New"]
        row[_C["created_at"] : len(CONTACT_FIELDS)] = [self.clock.ts(t) for t in (created, updated, active)]
        variations = (self._nickname, self._shout, self._email_variant, self._loose_phone, self._fewer)
        start = int(self.r() * len(variations))
        for j in range(1 + int(self.r() * 3)):
            variations[(start + j) % len(variations)](rec)
        self._write(CONTACTS_FILE, row)

    def _deal(self, pool: list[_Company]) -> None:
        r, pick, ts = self.r, self.pick, self.clock.ts
        company = pool[int(len(pool) * r())]
        hits = self._draw(_DEAL_RATES)
        amount = max(500, round(10 ** (3 + 2.4 * r()) / 500) * 500)
        if r() < 0.6 or "stale" in hits or "missing_critical" in hits:
            stage, close = pick(vocab.OPEN_DEAL_STAGES), 1 + int(r() * 180)
            created, updated, active = self._dates(active_days=59)
        else:
            stage, close = pick(vocab.CLOSED_DEAL_STAGES), -(15 + int(r() * 685))
            active = -close * _DAY - int(r() * _DAY)
            created, updated = active + (20 + int(r() * 180)) * _DAY, 1 + int(r() * active)
        owner = company.owner if r() < 0.7 else pick(vocab.OWNERS)
        row = [str(900_001 + self.rows[DEALS_FILE]), f"{company.core} - {pick(vocab.DEAL_PRODUCTS)}"]
        row += [str(amount) if r() < 0.7 else f"{amount}.00", stage, vocab.PIPELINE, self.clock.day(close)]
        row += [owner, company.record_id, ts(created), ts(updated), ts(active)]
        if hits:
            self._spoil(_Rec(DEALS_FILE, "deal", _D, row, company.spot.country.code, close), hits)
        self._write(DEALS_FILE, row)

    # --- problems ---------------------------------------------------------------------------------------

    def _options(self) -> dict[tuple[ObjectType, FindingKind], tuple[Option, ...]]:
        """Ways to inject each kind into each object type; repeated entries are likelier."""

        def put(kind: FindingKind, name: str, values: tuple[str, ...] = ("",)) -> Option:
            return functools.partial(self._set, kind, name, values)

        # fmt: off
        partial, holder = functools.partial, vocab.PLACEHOLDERS
        emails, phones = vocab.PLACEHOLDER_EMAILS, vocab.PLACEHOLDER_PHONES
        phone, mobile = self._loose_phone, partial(self._loose_phone, name="mobile_phone")
        site, domain = partial(self._bad_site, "website"), partial(self._bad_site, "domain")
        first, last = partial(self._bad_case, "first_name"), partial(self._bad_case, "last_name")
        country = self._bad_country
        stale, stale_deal = partial(self._stale, 400, 1500), partial(self._stale, 100, 400)
        return {
            ("contact", "routing_blocker"): (self._no_location,),
            ("contact", "inconsistent"): (self._foreign_phone,),
            ("contact", "stale"): (stale,),
            ("contact", "missing_critical"): tuple(
                put("missing_critical", name) for name in ("email", "first_name", "last_name", "company")
            ),
            ("contact", "placeholder"): (put("placeholder", "company", holder), put("placeholder", "city",
                holder), put("placeholder", "job_title", holder), put("placeholder", "first_name", holder),
                put("placeholder", "email", emails), put("placeholder", "phone", phones)),
            ("contact", "misowned"): (put("misowned", "owner"),),
            ("contact", "malformed"): (phone, phone, phone, mobile, self._bad_email, self._bad_email,
                first, last, country, country, self._bad_state, site),
            ("company", "stale"): (stale,),
            ("company", "missing_critical"): (put("missing_critical", "name"),),
            ("company", "placeholder"): (put("placeholder", "name", holder),
                put("placeholder", "city", holder), put("placeholder", "phone", phones)),
            ("company", "misowned"): (put("misowned", "owner"),),
            ("company", "malformed"): (domain, domain, phone, phone, country, country, self._bad_state),
            ("deal", "stale"): (self._stale_close, stale_deal),
            ("deal", "missing_critical"): (put("missing_critical", "name"), put("missing_critical", "amount"),
                put("missing_critical", "close_date")),
            ("deal", "misowned"): (put("misowned", "owner"),),
            ("deal", "malformed"): (self._us_close_date,),
        }
        # fmt: on

    def _spoil(self, rec: _Rec, hits: list[FindingKind]) -> None:
        for kind in hits:
            options = self.options[(rec.object_type, kind)]
            start = int(self.r() * len(options))
            for j in range(len(options)):
                if options[(start + j) % len(options)](rec):
                    break

    def _put(
        self, rec: _Rec, kind: ProblemKind, name: str, value: str, expected: str, locks: tuple[str, ...] = ()
    ) -> bool:
        """Change one field and record it, unless that collides with a problem already injected."""
        if not rec.can(name, locks):
            return False
        rec.set(name, value)
        rec.touched.add(name)
        rec.locked.update(locks)
        self.answers.add(rec, kind, name, value, expected)
        return True

    def _set(self, kind: FindingKind, name: str, values: tuple[str, ...], rec: _Rec) -> bool:
        return self._put(rec, kind, name, self.pick(values), "")

    def _loose_phone(self, rec: _Rec, name: str = "phone") -> bool:
        clean = rec.get(name)
        if not clean or not rec.can(name, ("country",)):
            return False
        value = vocab.loose_phone(clean, rec.country, int(self.r() * 5))
        return self._put(rec, "malformed", name, value, clean, ("country",))

    def _bad_email(self, rec: _Rec) -> bool:
        clean = rec.get("email")
        return self._put(rec, "malformed", "email", vocab.messy_email(clean, int(self.r() * 4)), clean)

    def _bad_case(self, name: str, rec: _Rec) -> bool:
        clean = rec.get(name)
        value = clean.upper() if self.r() < 0.5 else clean.lower()
        return vocab.is_simple_name(clean) and self._put(rec, "malformed", name, value, clean)

    def _shout(self, rec: _Rec) -> bool:
        return self._bad_case("first_name", rec)

    def _bad_country(self, rec: _Rec) -> bool:
        value = self.pick(vocab.COUNTRIES[rec.country].variants)
        return self._put(rec, "malformed", "country", value, rec.country)

    def _bad_state(self, rec: _Rec) -> bool:
        clean = rec.get("state")
        name = vocab.state_names().get((rec.country, clean))
        return name is not None and self._put(rec, "malformed", "state", name, clean, ("country",))

    def _bad_site(self, name: str, rec: _Rec) -> bool:
        clean = rec.get(name)
        return self._put(rec, "malformed", name, vocab.messy_site(clean, int(self.r() * 12)), clean)

    def _no_location(self, rec: _Rec) -> bool:
        locks = ("phone", "mobile_phone")  # E.164 phones, so the only problem is where the record is
        if not rec.can("state") or not rec.can("country", locks):
            return False
        rec.set("state", "")
        rec.touched.add("state")
        return self._put(rec, "routing_blocker", "country", "", "", locks)

    def _foreign_phone(self, rec: _Rec) -> bool:
        locks = ("country", "state")
        if rec.country != "US" or not rec.can("phone", locks):
            return False
        spot = self.pick(self.places.spots[self.pick(("GB", "DE"))])
        return self._put(rec, "inconsistent", "phone", spot.fixed.next(), "", locks)

    def _stale(self, low: int, high: int, rec: _Rec) -> bool:
        """Last activity ``low``-``high`` days ago, created before that (the stage was made non-customer)."""
        if not rec.can("last_activity_at"):
            return False
        active = (low + int(self.r() * (high - low + 1))) * _DAY - int(self.r() * _DAY)
        rec.set("created_at", self.clock.ts(active + int(self.r() * 700 * _DAY)))
        return self._put(rec, "stale", "last_activity_at", self.clock.ts(active), "")

    def _stale_close(self, rec: _Rec) -> bool:
        """An open deal whose close date passed 10-300 days ago (its activity stays recent)."""
        if not rec.can("close_date"):
            return False
        rec.close = -(10 + int(self.r() * 291))
        rec.set("created_at", self.clock.ts((60 - rec.close + int(self.r() * 120)) * _DAY))
        return self._put(rec, "stale", "close_date", self.clock.day(rec.close), "")

    def _us_close_date(self, rec: _Rec) -> bool:
        """Close date as MM/DD/YYYY; the clean date moves to a day after the 12th so it cannot be misread."""
        if not rec.can("close_date"):
            return False
        step = 1 if rec.close > 0 else -1
        while int(self.clock.day(rec.close)[8:]) <= 12:
            rec.close += step
        clean = self.clock.day(rec.close)
        rec.set("close_date", clean)
        return self._put(rec, "malformed", "close_date", vocab.us_date(clean), clean)

    # --- near-duplicate variations ---------------------------------------------------------------------

    def _nickname(self, rec: _Rec) -> bool:
        nicknames = vocab.NICKNAMES.get(rec.get("first_name"))
        if not nicknames or not rec.can("first_name"):
            return False
        nickname = self.pick(nicknames)
        rec.set("first_name", nickname)
        rec.touched.add("first_name")
        email = f"{vocab.ascii_fold(nickname)}.{vocab.ascii_fold(rec.get('last_name'))}@{rec.get('website')}"
        if self.r() < 0.5 and rec.can("email") and email not in self.emails:
            self.emails.add(email)
            rec.set("email", email)
            rec.touched.add("email")
        return True

    def _email_variant(self, rec: _Rec) -> bool:
        if not rec.can("email"):
            return False
        local, _, domain = rec.get("email").partition("@")
        if self.r() < 0.5:
            value = f"{local}+{self.pick(vocab.EMAIL_TAGS)}@{domain}"
        else:
            first, last = (vocab.ascii_fold(rec.get(name)) for name in ("first_name", "last_name"))
            value = self._free_mail(first, last)
        rec.set("email", value)
        rec.touched.add("email")
        return True

    def _fewer(self, rec: _Rec) -> bool:
        for name in ("mobile_phone", "job_title"):
            if rec.can(name):
                rec.set(name, "")
                rec.touched.add(name)
        return True


if __name__ == "__main__":
    import sys
    import tempfile
    import time

    size = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        manifest = generate_sample(tmp, contacts=size, seed=7, as_of=dt.date(2026, 1, 15), truth=True)
        took = time.perf_counter() - began
        sizes = {name: path.stat().st_size for name, path in manifest.paths.items()}
    print(f"{size} contacts in {took:.2f}s: {size / took:,.0f} contacts/s")  # noqa: T201
    print(f"rows {manifest.rows}\nbytes {sizes}\nproblems {manifest.problems}")  # noqa: T201
