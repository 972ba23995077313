"""An activity log and a small list provider's file for a generated sample export, with an answer key.

:func:`generate_activity` reads ``contacts.csv`` and ``companies.csv`` written by
:func:`~crm_hygiene.local.sample.generate_sample` and writes next to them:

* ``activity.csv``: emails and meetings with the participant's email, name and signature. Some
  contacts changed employer (they now write from ``first.last@new-company``, with a new signature;
  half of these activities are logged on the CRM contact, the others only carry the name), a few
  were promoted in place, most show their current signature (formatted differently now and then:
  "VP, Sales" for "VP of Sales", the company without "Inc."), and some participants are not in the
  CRM at all;
* ``provider.csv``: a list provider's export keyed by email (title, company, direct phone,
  LinkedIn, verification date): it confirms most contacts, fills some missing titles, knows about
  some of the moves, still shows the old employer for a few of them (a stale list, superseded by
  the newer signature) and names yet another employer for a few others (a conflict: blocked);
* ``providers.yaml``: a providers config using both (``crm-hygiene enrich --providers``);
* ``activity_truth.jsonl``: one line per planted fact (job change, promotion, title fill).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from crm_hygiene.enrich.directory import email_domain, iter_records
from crm_hygiene.enrich.fields import title_key
from crm_hygiene.local import sample_data as vocab
from crm_hygiene.models.record import Record
from crm_hygiene.normalize.company import normalize_company_name
from crm_hygiene.normalize.placeholder import is_placeholder

ACTIVITY_FILE = "activity.csv"
PROVIDER_FILE = "provider.csv"
PROVIDERS_YAML = "providers.yaml"
ACTIVITY_TRUTH = "activity_truth.jsonl"
ACTIVITY_HEADER = ("Timestamp", "Type", "Contact ID", "Participant Email", "Participant Name",
                   "Signature Title", "Signature Company", "Signature Phone", "Subject")  # fmt: skip
PROVIDER_HEADER = ("Email", "Job Title", "Company", "Direct Phone", "LinkedIn", "Verified")
_TITLE_VARIANTS = {"VP of Sales": "VP, Sales", "VP, Sales": "Vice President of Sales",
                   "Finance Director": "Director, Finance", "Director, Finance": "Finance Director",
                   "CEO": "Chief Executive Officer",
                   "Senior Software Engineer": "Sr. Software Engineer"}  # fmt: skip
_SUBJECTS = (
    "Re: proposal",
    "Intro call",
    "Quarterly review",
    "Re: pricing",
    "Follow-up",
    "Demo",
    "Re: contract",
)

_PROVIDERS_YAML = """\
# Providers for the generated sample (crm-hygiene enrich --providers providers.yaml --activity activity.csv).
version: 1
crm:
  companies: companies.csv
providers:
  - type: derived
  - type: file
    name: acme_list
    path: provider.csv
    key: email
    key_column: Email
    columns: {job_title: Job Title, company: Company, phone: Direct Phone, linkedin_url: LinkedIn}
    observed_at_column: Verified
    reliability: {mean: 0.8, strength: 10}
"""


class ActivityManifest(BaseModel):
    """What :func:`generate_activity` wrote, and how many facts of each kind it planted."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    paths: dict[str, Path]
    activities: int
    provider_rows: int
    planted: dict[str, int]


@dataclass(frozen=True, slots=True)
class _Person:
    record_id: str
    first: str
    last: str
    email: str
    company: str
    title: str
    phone: str


def _people(contacts: Path) -> list[_Person]:
    """Contacts with a unique business email, a name, a company and a title (those who can move)."""
    seen: dict[str, int] = {}
    rows: list[Record] = list(iter_records(contacts, "contact"))
    for r in rows:
        email = r.get("email").strip().lower()
        seen[email] = seen.get(email, 0) + 1
    people = []
    for r in rows:
        email = r.get("email").strip().lower()
        company = normalize_company_name(r.get("company")).value
        if seen.get(email) != 1 or not email_domain(email) or not company or not r.get("first_name").strip():
            continue
        if not r.get("last_name").strip() or "." not in email.split("@", 1)[0]:
            continue
        people.append(
            _Person(
                r.record_id,
                r.get("first_name").strip(),
                r.get("last_name").strip(),
                email,
                company,
                _title(r.get("job_title")),
                r.get("phone").strip(),
            )
        )
    return people


def _title(raw: str) -> str:
    text = raw.strip()
    return "" if not text or is_placeholder(text) else text


def _companies(path: Path) -> list[tuple[str, str]]:
    out = []
    for r in iter_records(path, "company"):
        name, domain = normalize_company_name(r.get("name")).value, email_domain(f"x@{r.get('domain')}")
        if name and domain:
            out.append((name, domain))
    return out


class _Writer:
    def __init__(self, rng: random.Random, as_of: dt.datetime) -> None:
        self.r = rng
        self.as_of = as_of
        self.activities: list[list[str]] = []
        self.provider: list[list[str]] = []
        self.truth: list[dict[str, object]] = []
        self.planted: dict[str, int] = {}

    def at(self, low: int, high: int) -> dt.datetime:
        minutes = self.r.randint(low * 1440, high * 1440)
        return self.as_of - dt.timedelta(minutes=minutes)

    def activity(
        self, when: dt.datetime, contact_id: str, email: str, name: str, title: str, company: str
    ) -> None:
        kind = self.r.choice(("email", "email", "meeting"))
        self.activities.append(
            [
                when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                kind,
                contact_id,
                email,
                name,
                title,
                company,
                "",
                self.r.choice(_SUBJECTS),
            ]
        )

    def fact(self, kind: str, **data: object) -> None:
        self.planted[kind] = self.planted.get(kind, 0) + 1
        self.truth.append({"kind": kind, **data})

    def list_row(
        self, email: str, title: str, company: str, phone: str, person: _Person, verified: dt.datetime
    ) -> None:
        slug = vocab.ascii_fold(
            f"{person.first}-{person.last}-{self.r.randint(100, 999)}".lower().replace(" ", "-")
        )
        self.provider.append(
            [email, title, company, phone, f"https://www.linkedin.com/in/{slug}", verified.date().isoformat()]
        )


def _other_title(rng: random.Random, title: str) -> str:
    while True:
        other = rng.choice(vocab.JOB_TITLES)
        if title_key(other) != title_key(title):
            return other


def _move(
    w: _Writer, p: _Person, companies: list[tuple[str, str]], names: vocab.CompanyNames, index: int
) -> None:
    r = w.r
    domain = email_domain(p.email)
    pool = [c for c in companies if c[1] != domain and c[0] != p.company]
    if pool and r.random() < 0.6:
        company, new_domain = r.choice(pool)
    else:
        core, label, _ = names.name(index)
        company, new_domain = f"{core} Group", f"{label}group.io"
    title = p.title if (p.title and r.random() < 0.4) else _other_title(r, p.title)
    new_email = f"{p.email.split('@', 1)[0]}@{new_domain}"
    logged = r.random() < 0.5
    for _ in range(r.randint(1, 2)):  # before the move, from the old address
        w.activity(w.at(120, 400), p.record_id, p.email, f"{p.first} {p.last}", p.title, p.company)
    moved_at = w.at(2, 45)
    for i in range(r.randint(1, 3)):
        when = moved_at if i == 0 else w.at(1, 45)
        w.activity(when, p.record_id if logged else "", new_email, f"{p.first} {p.last}", title, company)
    provider = None
    roll = r.random()
    if roll < 0.35:
        provider = "agrees"
        w.list_row(p.email, title, company, "", p, w.at(1, 30))
    elif roll < 0.45:
        provider = "stale"  # verified long before the move: superseded by the newer signature
        w.list_row(p.email, p.title, p.company, p.phone, p, w.at(200, 500))
    elif roll < 0.55 and pool:
        provider = "conflicting"  # a recent list says yet another employer: the source of truth is unclear
        other = r.choice([c for c in pool if c[0] != company] or pool)[0]
        w.list_row(p.email, title, other, "", p, w.at(1, 30))
    w.fact(
        "job_change",
        record_id=p.record_id,
        from_company=p.company,
        to_company=company,
        from_title=p.title,
        to_title=title,
        new_email=new_email,
        logged_on_contact=logged,
        provider=provider,
    )


def _stay(w: _Writer, p: _Person) -> None:
    r = w.r
    title = _TITLE_VARIANTS.get(p.title, p.title) if r.random() < 0.3 else p.title
    company = p.company
    if r.random() < 0.4:
        bare = normalize_company_name(p.company, "strip").value
        company = bare or company
    for _ in range(r.randint(1, 3)):
        w.activity(
            w.at(1, 200),
            p.record_id if r.random() < 0.3 else "",
            p.email,
            f"{p.first} {p.last}",
            title,
            company,
        )


def generate_activity(
    export_dir: str | Path, *, seed: int = 7, as_of: dt.date | None = None, movers: float = 0.05
) -> ActivityManifest:
    """Writes the activity log, the provider file, providers.yaml and the answer key (module docstring).

    Args:
        export_dir: A folder holding a generated sample's ``contacts.csv`` and ``companies.csv``.
        seed: Seed of the only random generator used.
        as_of: The export's day (activity dates are before it); today (UTC) by default.
        movers: Share of eligible contacts who changed employer.
    """
    folder = Path(export_dir)
    day = as_of or dt.datetime.now(dt.UTC).date()
    rng = random.Random(seed * 7919 + 1)
    w = _Writer(rng, dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC))
    companies = _companies(folder / "companies.csv")
    names = vocab.CompanyNames(random.Random(seed))
    for index, person in enumerate(_people(folder / "contacts.csv")):
        roll = rng.random()
        if roll < movers:
            _move(w, person, companies, names, len(companies) + 1000 + index)
        elif roll < movers + 0.015 and person.title:
            new_title = _other_title(rng, person.title)
            w.activity(
                w.at(1, 30),
                person.record_id,
                person.email,
                f"{person.first} {person.last}",
                new_title,
                person.company,
            )
            w.fact("promotion", record_id=person.record_id, from_title=person.title, to_title=new_title)
        elif roll < 0.4:
            _stay(w, person)
        if not person.title and rng.random() < 0.5:
            title = rng.choice(vocab.JOB_TITLES)
            w.list_row(person.email, title, person.company, person.phone, person, w.at(5, 90))
            w.fact("title_fill", record_id=person.record_id, title=title)
        elif roll > 0.9:
            w.list_row(person.email, person.title, person.company, person.phone, person, w.at(5, 300))
    for i in range(len(w.activities) // 10):  # people who are not in the CRM
        w.activity(w.at(1, 300), "", f"guest{i}@visitor{i % 37}.example.org", f"Guest {i}", "Consultant", "")
    w.activities.sort(key=lambda row: row[0])
    return _write(folder, w)


def _write(folder: Path, w: _Writer) -> ActivityManifest:
    paths = {name: folder / name for name in (ACTIVITY_FILE, PROVIDER_FILE, PROVIDERS_YAML, ACTIVITY_TRUTH)}
    with paths[ACTIVITY_FILE].open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(ACTIVITY_HEADER)
        writer.writerows(w.activities)
    with paths[PROVIDER_FILE].open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(PROVIDER_HEADER)
        writer.writerows(w.provider)
    paths[PROVIDERS_YAML].write_text(_PROVIDERS_YAML, encoding="utf-8")
    with paths[ACTIVITY_TRUTH].open("w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(fact, ensure_ascii=False) + "\n" for fact in w.truth)
    return ActivityManifest(
        paths=paths,
        activities=len(w.activities),
        provider_rows=len(w.provider),
        planted=dict(sorted(w.planted.items())),
    )
