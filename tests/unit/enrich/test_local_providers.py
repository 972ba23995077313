"""The offline providers: derived facts, the activity log and a list provider's file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from crm_hygiene.enrich.config import FileConfig
from crm_hygiene.enrich.directory import CrmDirectory
from crm_hygiene.enrich.providers.activity import ActivityLogProvider, read_activities
from crm_hygiene.enrich.providers.derived import DerivedProvider, phone_facts
from crm_hygiene.enrich.providers.file_import import FileImportProvider
from crm_hygiene.errors import InputError
from tests.unit.enrich.helpers import company, contact, enricher


def values(found: list) -> dict[str, str]:  # type: ignore[type-arg]
    return {c.field: c.value for c in found}


def directory() -> CrmDirectory:
    d = CrmDirectory()
    d.add(company("500", name="Acme Inc.", domain="https://www.acme.com"))
    for i, name in enumerate(["Globex Corp", "Globex Corp.", "GLOBEX CORP", "Initech"]):
        d.add(contact(str(i), email=f"p{i}@globex.io", company=name, first_name="P", last_name=str(i)))
    return d


@pytest.mark.parametrize(
    ("phone", "region", "expected"),
    [
        ("+14155552671", None, ("US", "CA", "America/Los_Angeles", "fixed_line_or_mobile")),
        ("+441615350411", None, ("GB", "", "Europe/London", "fixed_line")),
        ("+19024283315", None, ("CA", "NS", "America/Halifax", "fixed_line_or_mobile")),
    ],
)
def test_phone_facts(phone: str, region: str | None, expected: tuple[str, str, str, str]) -> None:
    facts = phone_facts(phone, region)
    assert facts is not None
    assert (facts.region, facts.subdivision, facts.time_zone, facts.line_type) == expected
    assert facts.explicit


def test_a_national_number_read_in_the_records_region_does_not_name_the_country() -> None:
    facts = phone_facts("(415) 555-2671", "US")
    assert facts is not None and not facts.explicit
    assert phone_facts("not a phone") is None


def test_derived_fills_from_phone_email_state_and_directory() -> None:
    provider = DerivedProvider(directory())
    wanted = frozenset({"country", "state", "time_zone", "phone_line_type", "website", "company"})
    found = provider.lookup(contact(phone="+14155552671", email="jane.doe@acme.com"), wanted)
    assert values(found) == {"country": "US", "state": "CA", "time_zone": "America/Los_Angeles",
                             "phone_line_type": "fixed_line_or_mobile", "website": "acme.com",
                             "company": "Acme Inc."}  # fmt: skip
    assert all(c.provider == "derived" and c.match for c in found)


def test_derived_skips_free_mail_and_uses_coworkers_and_state() -> None:
    provider = DerivedProvider(directory())
    assert provider.lookup(contact(email="jane@gmail.com"), frozenset({"website", "company"})) == []
    found = provider.lookup(
        contact(email="new@globex.io", state="Ontario"), frozenset({"company", "country"})
    )
    assert values(found) == {"company": "Globex Corp", "country": "CA"}
    assert "3 contacts @globex.io (75%)" in next(c.detail for c in found if c.field == "company")


def test_derived_splits_full_names() -> None:
    provider = DerivedProvider()
    found = provider.lookup(
        contact(first_name="Dr. Jane van der Berg"), frozenset({"first_name", "last_name"})
    )
    assert values(found) == {"first_name": "Jane", "last_name": "van der Berg"}
    from_email = provider.lookup(
        contact(email="jane.o'brien@acme.com"), frozenset({"first_name", "last_name"})
    )
    assert values(from_email) == {"first_name": "jane", "last_name": "o'brien"}
    assert all(c.match_quality < 0.9 for c in from_email)
    # the standard's name format cases them when they are proposed
    (result,) = enricher([provider]).enrich([contact(email="jane.o'brien@acme.com")])
    assert {r.field: r.suggested_value for r in result.rows}.items() >= {
        ("first_name", "Jane"),
        ("last_name", "O'Brien"),
    }


def test_derived_company_name_from_the_crms_contacts() -> None:
    found = DerivedProvider(directory()).lookup(company(domain="globex.io"), frozenset({"name"}))
    assert values(found) == {"name": "Globex Corp"}


def test_importing_enrichment_loads_neither_phone_metadata_nor_httpx() -> None:
    code = ("import sys, crm_hygiene.enrich.engine, crm_hygiene.enrich.setup, crm_hygiene.services.enrich.export\n"
            "bad = [m for m in ('httpx', 'phonenumbers.geocoder', 'phonenumbers.timezone') if m in sys.modules]\n"
            "print(','.join(bad))")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


ACTIVITY = """Timestamp,Type,Contact ID,Participant Email,Participant Name,Signature Title,Signature Company,Signature Phone
2026-01-10T10:00:00Z,email,,jane.doe@acme.com,Jane Doe,VP Sales,Acme Inc.,
2026-10-01T10:00:00Z,meeting,,jane.doe@globex.io,Jane Doe,CRO,Globex,+1 415 555 2671
2026-03-01T10:00:00Z,email,42,sam@initech.com,Sam Roe,Engineer,Initech,
2026-09-01T10:00:00Z,email,42,sam.roe@hooli.com,Sam Roe,Staff Engineer,Hooli,
2026-05-01T10:00:00Z,email,,bad-row-without-email,X,Y,Z,
"""


@pytest.fixture
def activity_log(tmp_path: Path) -> Path:
    path = tmp_path / "activity.csv"
    path.write_text(ACTIVITY)
    return path


def test_activity_matches_by_contact_id_email_and_name(activity_log: Path) -> None:
    index = read_activities(activity_log)
    assert index.activities == 4 and index.skipped == 1
    provider = ActivityLogProvider(index)
    wanted = frozenset({"company", "job_title", "phone", "email"})
    # logged on the contact: the newest observation, from a new address
    by_id = provider.lookup(contact("42", email="sam@initech.com", first_name="Sam", last_name="Roe"), wanted)
    assert values(by_id) == {"company": "Hooli", "job_title": "Staff Engineer", "email": "sam.roe@hooli.com"}
    assert by_id[0].match == "activity logged on the contact"
    # same local part at another domain, and newer than the old address's last activity
    jane = contact("7", email="jane.doe@acme.com", first_name="Jane", last_name="Doe")
    found = provider.lookup(jane, wanted)
    assert values(found) == {"company": "Globex", "job_title": "CRO", "phone": "+1 415 555 2671",
                             "email": "jane.doe@globex.io"}  # fmt: skip
    assert {c.match for c in found} == {"name + email local part at another domain"}


def test_activity_name_match_is_dropped_for_namesakes_and_known_addresses(activity_log: Path) -> None:
    index = read_activities(activity_log)
    d = CrmDirectory()
    for rid in ("7", "8"):  # two Jane Does in the CRM
        d.add(contact(rid, email=f"jane.doe@x{rid}.com", first_name="Jane", last_name="Doe"))
    jane = contact("7", email="jane.doe@acme.com", first_name="Jane", last_name="Doe")
    found = ActivityLogProvider(index, directory=d).lookup(jane, frozenset({"company", "email"}))
    assert values(found) == {"company": "Acme Inc."}  # only the exact-email observation remains
    unlike = CrmDirectory()  # namesakes whose addresses read differently do not make it ambiguous
    for rid, local in (("7", "jane.doe"), ("8", "jdoe")):
        unlike.add(contact(rid, email=f"{local}@x{rid}.com", first_name="Jane", last_name="Doe"))
    found = ActivityLogProvider(index, directory=unlike).lookup(jane, frozenset({"company"}))
    assert values(found) == {"company": "Globex"}
    other = CrmDirectory()
    other.add(contact("9", email="jane.doe@globex.io", first_name="Jane", last_name="Doe"))  # someone else
    found = ActivityLogProvider(index, directory=other).lookup(jane, frozenset({"company"}))
    assert values(found) == {"company": "Acme Inc."}


def test_activity_reads_json_lines_and_refuses_logs_without_the_needed_columns(tmp_path: Path) -> None:
    jsonl = tmp_path / "a.jsonl"
    jsonl.write_text('{"timestamp": "2026-01-01T00:00:00Z", "email": "a@b.com", "title": "CTO"}\n\n')
    assert read_activities(jsonl).by_email["a@b.com"].values["job_title"][0] == "CTO"
    bad = tmp_path / "b.csv"
    bad.write_text("when,who\n2026-01-01,x\n")
    with pytest.raises(InputError, match="timestamp and a participant email"):
        read_activities(bad)
    broken = tmp_path / "c.jsonl"
    broken.write_text('{"timestamp": \n')
    with pytest.raises(InputError, match=r"c.jsonl:1"):
        read_activities(broken)


def test_file_provider_by_email_domain_and_linkedin(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("Email,Domain,LinkedIn,Title,Company,Verified\n"
                    "Jane.Doe@Acme.com,acme.com,https://linkedin.com/in/jane-doe,CFO,Acme,2026-09-01\n")  # fmt: skip
    by_email = FileImportProvider(FileConfig(type="file", name="list", path=path, key_column="Email",
                                             columns={"job_title": "Title", "company": "Company"},
                                             observed_at_column="Verified"))  # fmt: skip
    found = by_email.lookup(contact(email="jane.doe@acme.com"), frozenset({"job_title", "company"}))
    assert values(found) == {"job_title": "CFO", "company": "Acme"}
    assert found[0].fetched_at is not None and found[0].fetched_at.year == 2026
    by_domain = FileImportProvider(FileConfig(type="file", name="dom", path=path, key="domain", key_column="Domain",
                                              columns={"job_title": "Title", "company": "Company"}))  # fmt: skip
    assert by_domain.fields_for("contact") == {"company"}  # a domain says nothing about a person's title
    assert values(by_domain.lookup(contact(email="x@mail.acme.com"), frozenset({"company"}))) == {
        "company": "Acme"
    }
    by_link = FileImportProvider(FileConfig(type="file", name="li", path=path, key="linkedin", key_column="LinkedIn",
                                            columns={"job_title": "Title"}))  # fmt: skip
    record = contact().model_copy(
        update={"custom": {"LinkedIn URL": "https://www.linkedin.com/in/Jane-Doe/"}}
    )
    assert values(by_link.lookup(record, frozenset({"job_title"}))) == {"job_title": "CFO"}


def test_file_provider_names_missing_columns(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("Email,Title\na@b.com,CTO\n")
    with pytest.raises(InputError, match="'Company'"):
        FileImportProvider(FileConfig(type="file", name="x", path=path, key_column="Email",
                                      columns={"company": "Company"}))  # fmt: skip
