"""The sample generator: HubSpot-shaped files, clean records that meet the standard, an exact answer key."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import phonenumbers
import pycountry
import pytest

from crm_hygiene.local.sample import (
    COMPANY_FIELDS,
    COMPANY_HEADERS,
    CONTACT_FIELDS,
    CONTACT_HEADERS,
    DATE_FORMAT,
    DATETIME_FORMAT,
    DEAL_FIELDS,
    DEAL_HEADERS,
    PROBLEM_KINDS,
    SampleManifest,
    generate_sample,
)
from crm_hygiene.local.sample_data import COUNTRIES, LEAD_STATUSES, LIFECYCLE_STAGES, OWNERS

AS_OF = dt.date(2026, 1, 15)
FILES = {"contacts.csv": CONTACT_FIELDS, "companies.csv": COMPANY_FIELDS, "deals.csv": DEAL_FIELDS}
OBJECT_TYPES = {"contacts.csv": "contact", "companies.csv": "company", "deals.csv": "deal"}
OPEN_STAGES = {
    "Appointment Scheduled",
    "Qualified To Buy",
    "Presentation Scheduled",
    "Decision Maker Bought-In",
    "Contract Sent",
}
SUBDIVISIONS: Any = pycountry.subdivisions  # untyped library
COUNTRY_DB: Any = pycountry.countries
HOST = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")


@dataclass(frozen=True)
class Sample:
    manifest: SampleManifest
    rows: dict[str, list[dict[str, str]]]  # file → rows keyed by canonical field
    truth: list[dict[str, str]]
    ids: dict[str, dict[str, dict[str, str]]]  # file → record id → row

    def by_id(self, name: str) -> dict[str, dict[str, str]]:
        return self.ids[name]

    def spoiled(self) -> dict[tuple[str, str], set[str]]:
        """(file, record id) → fields a problem changed (a routing blocker also blanks the state)."""
        fields: dict[tuple[str, str], set[str]] = defaultdict(set)
        for line in self.truth:
            key = (line["file"], line["record_id"])
            fields[key].add(line["field"] or line["kind"])
            if line["kind"] == "routing_blocker":
                fields[key].add("state")
        return fields


def _read(folder: Path, manifest: SampleManifest) -> Sample:
    rows: dict[str, list[dict[str, str]]] = {}
    for name, fields in FILES.items():
        with (folder / name).open(encoding="utf-8", newline="") as f:
            reader = csv.reader(f)
            next(reader)
            rows[name] = [dict(zip(fields, row, strict=False)) for row in reader]
    truth_path = folder / "truth.jsonl"
    truth = [json.loads(line) for line in truth_path.read_text(encoding="utf-8").splitlines()]
    ids = {name: {row["record_id"]: row for row in found} for name, found in rows.items()}
    return Sample(manifest, rows, truth, ids)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    folder = tmp_path_factory.mktemp("small")
    return _read(folder, generate_sample(folder, contacts=2000, seed=7, as_of=AS_OF, truth=True))


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    folder = tmp_path_factory.mktemp("large")
    return _read(folder, generate_sample(folder, contacts=20_000, seed=11, as_of=AS_OF, truth=True))


def _days_before(value: str, fmt: str = DATETIME_FORMAT) -> int:
    return (AS_OF - dt.datetime.strptime(value, fmt).date()).days


def _is_e164(value: str, region: str | None = None) -> bool:
    number = phonenumbers.parse(value, None)
    ok = phonenumbers.is_valid_number(number) and phonenumbers.format_number(
        number, phonenumbers.PhoneNumberFormat.E164
    )
    return ok == value and (region is None or phonenumbers.region_code_for_number(number) == region)


# --- shape ------------------------------------------------------------------------------------------------


def test_files_have_exactly_the_hubspot_headers_utf8_no_bom_and_crlf(small: Sample) -> None:
    # Given the small sample's files
    folder = small.manifest.out_dir
    expected = {"contacts.csv": CONTACT_HEADERS, "companies.csv": COMPANY_HEADERS, "deals.csv": DEAL_HEADERS}
    for name, headers in expected.items():
        # When reading the raw bytes
        data = (folder / name).read_bytes()
        # Then the header line is exactly HubSpot's, and every line ends in CRLF
        assert not data.startswith(b"\xef\xbb\xbf")
        assert data.split(b"\r\n", 1)[0].decode("utf-8") == ",".join(headers)
        assert data.count(b"\n") == data.count(b"\r\n") == small.manifest.rows[name] + 1


def test_contact_headers_are_the_documented_ones() -> None:
    # Given / When / Then: the exact export columns, in order
    assert CONTACT_HEADERS == (
        "Record ID", "First Name", "Last Name", "Email", "Phone Number", "Mobile Phone Number", "Company Name",
        "Job Title", "City", "State/Region", "Postal Code", "Country/Region", "Website URL", "Contact owner",
        "Lifecycle Stage", "Lead Status", "Create Date", "Last Modified Date", "Last Activity Date",
        "Marketing contact status", "Original Source",
    )  # fmt: skip
    assert COMPANY_HEADERS == (
        "Record ID", "Company name", "Company Domain Name", "Phone Number", "Industry", "Number of Employees",
        "Annual Revenue", "City", "State/Region", "Country/Region", "Company owner", "Lifecycle Stage",
        "Create Date", "Last Modified Date", "Last Activity Date",
    )  # fmt: skip
    assert DEAL_HEADERS == (
        "Record ID", "Deal Name", "Amount", "Deal Stage", "Pipeline", "Close Date", "Deal owner",
        "Associated Company IDs", "Create Date", "Last Modified Date", "Last Activity Date",
    )  # fmt: skip


def test_row_counts_and_manifest(small: Sample) -> None:
    # Given the manifest of a 2,000-contact sample
    manifest = small.manifest
    # Then the files hold N contacts, N/5 companies and N/4 deals, as the manifest says
    assert manifest.rows == {"contacts.csv": 2000, "companies.csv": 400, "deals.csv": 500}
    assert {name: len(rows) for name, rows in small.rows.items()} == manifest.rows
    assert set(manifest.paths) == {"contacts.csv", "companies.csv", "deals.csv", "truth.jsonl"}
    # And the problem counts are the truth lines per kind, every kind listed
    assert set(manifest.problems) == set(PROBLEM_KINDS)
    assert manifest.problems == {
        kind: Counter(t["kind"] for t in small.truth)[kind] for kind in PROBLEM_KINDS
    }
    assert all(manifest.problems[kind] > 0 for kind in PROBLEM_KINDS)


def test_twenty_thousand_contacts_read_back_with_the_csv_module(large: Sample) -> None:
    # Given a 20k-contact sample read with csv.reader
    # Then every row has one cell per header and record ids are unique numeric strings
    for name, fields in FILES.items():
        rows = large.rows[name]
        assert len(rows) == large.manifest.rows[name]
        width = len(CONTACT_HEADERS) if name == "contacts.csv" else len(fields)
        ids = [row["record_id"] for row in rows]
        assert len(set(ids)) == len(ids) and all(i.isdigit() for i in ids)
        with (large.manifest.out_dir / name).open(encoding="utf-8", newline="") as f:
            assert {len(row) for row in csv.reader(f)} == {width}
    assert large.rows["contacts.csv"][0]["record_id"] == "100001"
    assert large.rows["companies.csv"][0]["record_id"] == "500001"
    assert large.rows["deals.csv"][0]["record_id"] == "900001"


def test_files_round_trip_through_the_csv_module_byte_for_byte(large: Sample) -> None:
    # Given each file, read and rewritten by Python's csv module
    for name in FILES:
        data = (large.manifest.out_dir / name).read_bytes()
        out = io.StringIO(newline="")
        csv.writer(out, lineterminator="\r\n").writerows(
            csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
        )
        # Then nothing changes: quoting (job titles with commas) and line endings are csv's own
        assert out.getvalue().encode("utf-8") == data
    assert any('"' in row["job_title"] or "," in row["job_title"] for row in large.rows["contacts.csv"])


def test_smallest_sample_has_one_company(tmp_path: Path) -> None:
    # When generating a single contact
    manifest = generate_sample(tmp_path, contacts=1, seed=3, as_of=AS_OF)
    # Then there is one company, no deal and no answer key
    assert manifest.rows == {"contacts.csv": 1, "companies.csv": 1, "deals.csv": 0}
    assert "truth.jsonl" not in manifest.paths and not (tmp_path / "truth.jsonl").exists()


def test_rejects_fewer_than_one_contact(tmp_path: Path) -> None:
    # When / Then
    with pytest.raises(ValueError, match="at least 1"):
        generate_sample(tmp_path, contacts=0)


# --- determinism ------------------------------------------------------------------------------------------


def _bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_same_seed_gives_identical_bytes_and_truth_does_not_change_the_csvs(tmp_path: Path) -> None:
    # Given two runs with the same seed, size and day, one also writing the answer key
    generate_sample(tmp_path / "a", contacts=1500, seed=42, as_of=AS_OF, truth=True)
    generate_sample(tmp_path / "b", contacts=1500, seed=42, as_of=AS_OF, truth=True)
    generate_sample(tmp_path / "c", contacts=1500, seed=42, as_of=AS_OF)
    # Then every byte is the same
    a, b, c = _bytes(tmp_path / "a"), _bytes(tmp_path / "b"), _bytes(tmp_path / "c")
    assert a == b
    assert {name: data for name, data in a.items() if name != "truth.jsonl"} == c


def test_different_seed_or_day_gives_different_files(tmp_path: Path) -> None:
    # Given runs differing only in seed, or only in as_of
    generate_sample(tmp_path / "a", contacts=500, seed=1, as_of=AS_OF)
    generate_sample(tmp_path / "b", contacts=500, seed=2, as_of=AS_OF)
    generate_sample(tmp_path / "c", contacts=500, seed=1, as_of=AS_OF + dt.timedelta(days=1))
    a, b, c = _bytes(tmp_path / "a"), _bytes(tmp_path / "b"), _bytes(tmp_path / "c")
    # Then every file differs
    assert all(a[name] != b[name] and a[name] != c[name] for name in FILES)


# --- the answer key ---------------------------------------------------------------------------------------


def test_every_truth_line_references_an_existing_record_and_a_canonical_field(large: Sample) -> None:
    # Given the record ids of each file
    ids = {name: set(large.by_id(name)) for name in FILES}
    keys = ["file", "record_id", "object_type", "kind", "field", "injected_value", "expected_value"]
    seen: set[tuple[str, str, str]] = set()
    for line in large.truth:
        # Then each line has the documented keys, a real record and a canonical field (none for duplicates)
        assert list(line) == keys
        assert line["record_id"] in ids[line["file"]]
        assert line["object_type"] == OBJECT_TYPES[line["file"]]
        assert line["kind"] in PROBLEM_KINDS
        if line["kind"] == "duplicate":
            assert line["field"] == ""
        else:
            assert line["field"] in FILES[line["file"]]
        # And no field of a record carries two problems
        key = (line["file"], line["record_id"], line["field"] or "duplicate")
        assert key not in seen
        seen.add(key)


def test_truth_matches_the_file_contents(large: Sample) -> None:
    # Given every problem, the file row it points at must hold the injected value
    for line in large.truth:
        if line["kind"] != "duplicate":
            row = large.by_id(line["file"])[line["record_id"]]
            assert row[line["field"]] == line["injected_value"], line


def _restores(line: dict[str, str], row: dict[str, str]) -> bool:
    """What a correct normalizer does to each malformed variant."""
    field, value, expected = line["field"], line["injected_value"], line["expected_value"]
    if field in ("phone", "mobile_phone"):
        number = phonenumbers.parse(value, row["country"])
        return bool(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == expected)
    if field == "email":
        return value.strip().lower() == expected and value != expected
    if field in ("first_name", "last_name"):
        return value in (expected.upper(), expected.lower()) and value.capitalize() == expected
    if field == "country":
        return expected in COUNTRIES and expected in _country_codes(value)
    if field == "state":
        return bool(SUBDIVISIONS.get(code=f"{row['country']}-{expected}").name == value)
    if field in ("website", "domain"):
        host = re.sub(r"^https?://", "", value.lower()).split("/")[0].removeprefix("www.")
        return host == expected and value != expected
    if field == "close_date":
        parsed = dt.datetime.strptime(value, "%m/%d/%Y").date()
        return parsed.isoformat() == expected and parsed.day > 12
    return False


def _country_codes(value: str) -> set[str]:
    aliases = {"usa": "US", "u.s.": "US", "u.s.a.": "US", "uk": "GB", "u.k.": "GB", "holland": "NL"}
    aliases |= {"deutschland": "DE", "brasil": "BR", "españa": "ES", "espana": "ES", "nederland": "NL"}
    aliases |= {"the netherlands": "NL"}
    key = value.strip().lower()
    if key in aliases:
        return {aliases[key]}
    return {c.alpha_2 for c in COUNTRY_DB if key in (c.name.lower(), getattr(c, "official_name", "").lower())}


def test_malformed_values_restore_exactly_to_the_expected_clean_value(large: Sample) -> None:
    # Given every malformed problem
    malformed = [line for line in large.truth if line["kind"] == "malformed"]
    fields = Counter(line["field"] for line in malformed)
    # Then the documented normalization of the injected value gives back the expected value
    for line in malformed:
        assert _restores(line, large.by_id(line["file"])[line["record_id"]]), line
    # And the variants cover every malformed field the brief lists
    expected = {"phone", "mobile_phone", "email", "first_name", "last_name", "country", "state", "website"}
    assert expected | {"domain", "close_date"} <= set(fields)


def test_phone_variants_include_national_and_international_styles(large: Sample) -> None:
    # Given the malformed phones
    values = [t["injected_value"] for t in large.truth if t["kind"] == "malformed" and "phone" in t["field"]]
    # Then they include the loose styles people type
    patterns = [
        r"^\(\d{3}\) \d{3}-\d{4}$",
        r"^\d{3}\.\d{3}\.\d{4}$",
        r"^\d{3}-\d{3}-\d{4}$",
        r"^\+1 \d{3} \d{3} \d{4}$",
    ]
    patterns += [r"^1-\d{3}-\d{3}-\d{4}$", r"^0\d", r"^00\d", r"^\+\d+ "]
    for pattern in patterns:
        assert any(re.match(pattern, value) for value in values), pattern


def test_no_north_american_number_uses_the_555_exchange(large: Sample) -> None:
    # Given every E.164 phone with country code 1
    phones = [
        row[f] for rows in large.rows.values() for row in rows for f in ("phone", "mobile_phone") if f in row
    ]
    nanp = [p for p in phones if p.startswith("+1") and len(p) == 12]
    # Then none is a fictional 555 number
    assert nanp and not any(p[5:8] == "555" for p in nanp)


PLACEHOLDERS = {"TBD", "n/a", "N/A", "-", "unknown", "Unknown", "xxx", "none", "test@test.com"}
PLACEHOLDERS |= {"noemail@example.com", "000-000-0000", "1234567890"}
NO_FIX = {"placeholder", "missing_critical", "misowned", "stale", "inconsistent", "routing_blocker"}


def test_no_fix_kinds_expect_an_empty_value(large: Sample) -> None:
    # Given the problems a normalizer cannot fix
    for line in large.truth:
        # Then the expected value is empty, and blanks and placeholders are what they say
        assert line["kind"] not in NO_FIX or line["expected_value"] == "", line
        if line["kind"] in ("missing_critical", "misowned", "routing_blocker"):
            assert line["injected_value"] == ""
        if line["kind"] == "placeholder":
            assert line["injected_value"] in PLACEHOLDERS


def test_semantic_problems_are_what_they_claim(large: Sample) -> None:
    # Given the rows behind stale, inconsistent and routing-blocker problems
    for line in large.truth:
        row = large.by_id(line["file"])[line["record_id"]]
        kind, field = line["kind"], line["field"]
        if kind == "stale" and line["file"] != "deals.csv":
            # Then stale contacts/companies are not customers and went quiet 400-1500 days ago
            assert row["lifecycle_stage"] not in ("Customer", "Evangelist")
            assert 400 <= _days_before(row["last_activity_at"]) <= 1500
            assert row["created_at"] <= row["last_activity_at"]
        elif kind == "stale":
            # And stale deals are open, with a past close date or 100-400 quiet days
            assert row["stage"] in OPEN_STAGES
            if field == "close_date":
                assert 10 <= _days_before(row["close_date"], DATE_FORMAT) <= 300
            else:
                assert field == "last_activity_at" and 100 <= _days_before(row["last_activity_at"]) <= 400
        elif kind == "inconsistent":
            # And inconsistent contacts are in the US with a valid UK or German phone
            assert row["country"] == "US" and field == "phone"
            assert _is_e164(row["phone"], "GB") or _is_e164(row["phone"], "DE")
        elif kind == "routing_blocker":
            # And routing blockers have neither country nor state, but E.164 phones
            assert row["country"] == row["state"] == "" and field == "country"
            assert _is_e164(row["phone"]) and (not row["mobile_phone"] or _is_e164(row["mobile_phone"]))
        elif kind == "missing_critical" and line["file"] == "deals.csv":
            assert row["stage"] in OPEN_STAGES


def test_duplicates_are_near_copies_of_an_earlier_contact(large: Sample) -> None:
    # Given the duplicate rows and their originals
    contacts, spoiled = large.by_id("contacts.csv"), large.spoiled()
    duplicates = [line for line in large.truth if line["kind"] == "duplicate"]
    originals = [line["expected_value"] for line in duplicates]
    assert len(set(originals)) == len(originals)
    assert not {line["record_id"] for line in duplicates} & set(originals)
    for line in duplicates:
        copy, original = contacts[line["record_id"]], contacts[line["expected_value"]]
        skip = spoiled[("contacts.csv", copy["record_id"])] | spoiled.get(
            ("contacts.csv", original["record_id"]), set()
        )
        # Then the copy came later and is the same person at the same company
        assert int(copy["record_id"]) > int(original["record_id"])
        for field in ("company", "website", "city", "postal_code", "country"):
            assert field in skip or copy[field] == original[field], (field, copy, original)
        assert "last_name" in skip or copy["last_name"] == original["last_name"]


# --- clean records ----------------------------------------------------------------------------------------


def _check_contact(row: dict[str, str], skip: set[str]) -> None:
    region = None if "country" in skip else row["country"]  # a spoiled country cannot name the region
    checks: dict[str, Callable[[str], object]] = {
        "phone": lambda v: _is_e164(v, region),
        "mobile_phone": lambda v: v == "" or _is_e164(v, region),
        "email": lambda v: v == v.strip().lower() and v.count("@") == 1 and HOST.match(v.split("@")[1]),
        "first_name": lambda v: v and v not in (v.upper(), v.lower()),  # proper case, never "JOHN"/"john"
        "last_name": lambda v: v and v != v.upper(),
        "company": lambda v: len(v) > 3,
        "website": lambda v: bool(HOST.match(v)),
        "owner": lambda v: v in OWNERS,
    }
    for field, check in checks.items():
        if field not in skip:
            assert check(row[field]), (field, row)
    _check_place(row, skip)
    _check_dates(row, skip, active_days=300)


def _check_place(row: dict[str, str], skip: set[str]) -> None:
    country = row["country"]
    if "country" in skip:
        return
    assert country in COUNTRIES and COUNTRY_DB.get(alpha_2=country) is not None, row
    if "state" not in skip:
        if country in ("GB", "FR", "NL"):
            assert row["state"] == ""
        else:
            assert SUBDIVISIONS.get(code=f"{country}-{row['state']}") is not None, row
    if "postal_code" in row:
        assert _POSTAL[country].match(row["postal_code"]), row


_POSTAL = {
    code: re.compile(pattern)
    for code, pattern in {
        "US": r"^\d{5}$", "CA": r"^[A-Z]\d[A-Z] \d[A-Z]\d$", "GB": r"^[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}$",
        "DE": r"^\d{5}$", "FR": r"^\d{5}$", "AU": r"^\d{4}$", "IN": r"^\d{6}$", "BR": r"^\d{5}-\d{3}$",
        "ES": r"^\d{5}$", "NL": r"^\d{4} [A-Z]{2}$",
    }.items()
}  # fmt: skip


def _check_dates(row: dict[str, str], skip: set[str], active_days: int) -> None:
    created, updated = (dt.datetime.strptime(row[f], DATETIME_FORMAT) for f in ("created_at", "updated_at"))
    active = dt.datetime.strptime(row["last_activity_at"], DATETIME_FORMAT)
    assert created <= updated < dt.datetime.combine(AS_OF, dt.time()), row
    assert created <= active, row
    if "last_activity_at" not in skip:
        assert _days_before(row["last_activity_at"]) < active_days, row


def test_clean_contact_fields_conform_to_the_standard(large: Sample) -> None:
    # Given every contact, and the fields the answer key says were spoiled
    spoiled = large.spoiled()
    for row in large.rows["contacts.csv"]:
        skip = spoiled.get(("contacts.csv", row["record_id"]), set())
        if "duplicate" in skip:
            skip = skip | {"job_title"}  # copies may lack optional fields
        # Then every other field meets the clean-record standard
        _check_contact(row, skip)
        assert row["lifecycle_stage"] in LIFECYCLE_STAGES
        assert row["lead_status"] in LEAD_STATUSES or row["lead_status"] == ""


def test_clean_company_fields_conform_to_the_standard(large: Sample) -> None:
    spoiled = large.spoiled()
    for row in large.rows["companies.csv"]:
        # Given a company and its spoiled fields
        skip = spoiled.get(("companies.csv", row["record_id"]), set())
        # Then the rest is clean
        region = None if "country" in skip else row["country"]
        assert "phone" in skip or _is_e164(row["phone"], region), row
        assert "domain" in skip or HOST.match(row["domain"]), row
        assert "owner" in skip or row["owner"] in OWNERS
        assert row["employees"].isdigit() and row["annual_revenue"].isdigit()
        assert row["industry"] and row["lifecycle_stage"]
        _check_place(row, skip)
        _check_dates(row, skip, active_days=300)


def test_clean_deal_fields_conform_to_the_standard(large: Sample) -> None:
    spoiled = large.spoiled()
    companies = large.by_id("companies.csv")
    for row in large.rows["deals.csv"]:
        # Given a deal and its spoiled fields
        skip = spoiled.get(("deals.csv", row["record_id"]), set())
        # Then its company exists, its amount is a plain number and its dates follow its stage
        assert row["company_id"] in companies and row["pipeline"] == "Sales Pipeline"
        assert "amount" in skip or re.match(r"^\d+(\.00)?$", row["amount"]), row
        assert "owner" in skip or row["owner"] in OWNERS
        _check_dates(row, skip | {"last_activity_at"}, active_days=0)
        if "close_date" in skip:
            continue
        days = _days_before(row["close_date"], DATE_FORMAT)
        if row["stage"] in OPEN_STAGES:
            assert days < 0 and ("last_activity_at" in skip or _days_before(row["last_activity_at"]) < 60), (
                row
            )
        else:
            assert row["stage"] in ("Closed Won", "Closed Lost") and days > 0, row


def test_contacts_match_their_company(large: Sample) -> None:
    # Given companies whose name and domain were left clean
    spoiled = large.spoiled()
    companies = {
        row["name"]: row["domain"]
        for row in large.rows["companies.csv"]
        if not {"name", "domain"} & spoiled.get(("companies.csv", row["record_id"]), set())
    }
    matched = 0
    for row in large.rows["contacts.csv"]:
        # Then a contact's company name and website are its company's
        if row["company"] in companies and "website" not in spoiled.get(
            ("contacts.csv", row["record_id"]), set()
        ):
            assert row["website"] == companies[row["company"]]
            matched += 1
    assert matched > 0.8 * len(large.rows["contacts.csv"])


def test_clean_identifiers_are_unique(large: Sample) -> None:
    # Given the contacts that are not copies
    copies = {line["record_id"] for line in large.truth if line["kind"] == "duplicate"}
    spoiled = large.spoiled()
    emails: list[str] = []
    phones: list[str] = []
    for row in large.rows["contacts.csv"]:
        skip = spoiled.get(("contacts.csv", row["record_id"]), set())
        if row["record_id"] not in copies:
            emails += [] if "email" in skip else [row["email"]]
            phones += [row[f] for f in ("phone", "mobile_phone") if f not in skip and row[f]]
    phones += [
        row["phone"] for row in large.rows["companies.csv"] if "phone" in row and row["phone"][0] == "+"
    ]
    # Then no two people share an email, and no two records a phone number
    assert len(set(emails)) == len(emails)
    assert len(set(phones)) == len(phones)
    domains = [row["domain"] for row in large.rows["companies.csv"]]
    assert len(set(domains)) == len(domains)


def test_names_mix_cultures_accents_and_particles(large: Sample) -> None:
    # Given all clean last and first names
    names = {row["last_name"] for row in large.rows["contacts.csv"]}
    names |= {row["first_name"] for row in large.rows["contacts.csv"]}
    # Then the pool has accented, apostrophe, Mc and multi-part names
    for name in ("José", "Zoë", "François", "Müller", "García", "O'Brien", "McDonald", "Nguyen", "Patel"):
        assert name in names, name
    assert any(" " in name for name in names)
    emails = [row["email"] for row in large.rows["contacts.csv"]]
    assert all(e.isascii() for e in emails if e)
    free = sum(e.split("@")[-1] in ("gmail.com", "yahoo.com", "outlook.com") for e in emails)
    assert 0.02 < free / len(emails) < 0.12


# --- rates ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "files", "rate"),
    [
        ("malformed", ("contacts.csv", "companies.csv", "deals.csv"), 0.12),
        ("placeholder", ("contacts.csv", "companies.csv"), 0.04),
        ("missing_critical", ("contacts.csv", "companies.csv", "deals.csv"), 0.04),
        ("misowned", ("contacts.csv", "companies.csv", "deals.csv"), 0.03),
        ("stale", ("contacts.csv", "companies.csv", "deals.csv"), 0.05),
        ("inconsistent", ("contacts.csv",), 0.02),
        ("routing_blocker", ("contacts.csv",), 0.02),
        ("duplicate", ("contacts.csv",), 0.03),
    ],
)
def test_problem_rates_are_roughly_as_specified(
    large: Sample, kind: str, files: tuple[str, ...], rate: float
) -> None:
    # Given the records of the files a kind applies to
    records = sum(len(large.rows[name]) for name in files)
    hit = {(t["file"], t["record_id"]) for t in large.truth if t["kind"] == kind}
    # Then the share of records with that kind is near the target
    assert rate * 0.75 <= len(hit) / records <= rate * 1.35


def test_about_a_third_of_records_have_a_problem(large: Sample) -> None:
    # Given all records
    records = sum(len(rows) for rows in large.rows.values())
    # Then 25-35% have at least one problem
    assert 0.25 <= len(large.spoiled()) / records <= 0.35


def test_picklists_are_hubspots() -> None:
    # Given / When / Then: the HubSpot labels the brief lists
    assert LIFECYCLE_STAGES == (
        "Subscriber", "Lead", "Marketing Qualified Lead", "Sales Qualified Lead", "Opportunity", "Customer",
        "Evangelist", "Other",
    )  # fmt: skip
    assert set(LEAD_STATUSES) == {
        "New", "Open", "In Progress", "Open Deal", "Unqualified", "Attempted to Contact", "Connected", "Bad Timing",
    }  # fmt: skip


def test_country_mix_and_mobile_share(large: Sample) -> None:
    # Given all contacts
    contacts = large.rows["contacts.csv"]
    countries = Counter(row["country"] for row in contacts)
    # Then about 55% are in the US, all ten countries appear, and about 40% have a mobile
    assert 0.48 < countries["US"] / len(contacts) < 0.62
    assert set(COUNTRIES) <= set(countries)
    assert 0.33 < sum(bool(row["mobile_phone"]) for row in contacts) / len(contacts) < 0.45
