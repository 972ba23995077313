"""check_record: the findings and fixes for one record, rule by rule."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crm_hygiene.models.record import Record
from crm_hygiene.standard import default_standard, parse_standard
from crm_hygiene.types import ObjectType
from crm_hygiene.validate import CheckContext, RecordReport, check_record

AS_OF = datetime(2026, 11, 23, tzinfo=UTC)
CLEAN_CONTACT = {
    "record_id": "1", "first_name": "Jane", "last_name": "Doe", "email": "jane.doe@acme.com",
    "phone": "+14158672671", "mobile_phone": "", "company": "Acme Inc.", "job_title": "CTO",
    "city": "San Francisco", "state": "CA", "postal_code": "94105", "country": "US", "website": "acme.com",
    "owner": "Jane Cooper", "lifecycle_stage": "Lead", "lead_status": "New", "created_at": "2024-01-17 14:55",
    "updated_at": "2026-10-01 10:00", "last_activity_at": "2026-10-01 10:00",
}  # fmt: skip


def check(
    object_type: ObjectType = "contact", standard_text: str | None = None, **fields: str
) -> RecordReport:
    base = dict(CLEAN_CONTACT) if object_type == "contact" else {"record_id": "1"}
    base.update(fields)
    std = parse_standard(standard_text) if standard_text else default_standard()
    ctx = CheckContext(standard=std, object_type=object_type, as_of=AS_OF, present=frozenset(base))
    return check_record(Record(object_type=object_type, record_id="1", fields=base), ctx)


def issues(report: RecordReport) -> set[tuple[str, str, str]]:
    return {(i.finding.kind, i.finding.field, i.change.new_value if i.change else "") for i in report.issues}


def test_a_clean_record_has_no_issues() -> None:
    report = check()
    assert report.issues == []
    assert report.critical_filled == report.critical_total == 4


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"phone": "(415) 867-2671"}, ("malformed", "phone", "+14158672671")),
        ({"email": " Jane.Doe@ACME.COM"}, ("malformed", "email", "Jane.Doe@acme.com")),
        ({"first_name": "JANE"}, ("malformed", "first_name", "Jane")),
        ({"country": "USA"}, ("malformed", "country", "US")),
        ({"state": "California"}, ("malformed", "state", "CA")),
        ({"website": "https://www.Acme.com/about"}, ("malformed", "website", "acme.com")),
        ({"created_at": "01/17/2024"}, ("malformed", "created_at", "2024-01-17")),
        ({"lifecycle_stage": "lead"}, ("malformed", "lifecycle_stage", "Lead")),
        ({"email": "test@test.com"}, ("placeholder", "email", "")),
        ({"company": "TBD"}, ("placeholder", "company", "")),
        ({"job_title": "n/a"}, ("placeholder", "job_title", "")),
        ({"phone": "000-000-0000"}, ("placeholder", "phone", "")),
        ({"email": ""}, ("missing_critical", "email", "")),
        ({"last_name": ""}, ("missing_critical", "last_name", "")),
        ({"owner": ""}, ("misowned", "owner", "")),
        ({"owner": "TBD"}, ("misowned", "owner", "")),
        ({"phone": "+442079460958"}, ("inconsistent", "phone", "")),
        ({"country": "", "state": ""}, ("routing_blocker", "country", "US")),  # from the +1 phone
        ({"country": "", "state": "", "phone": ""}, ("routing_blocker", "country", "")),
        ({"country": "", "state": "CO"}, ("routing_blocker", "country", "US")),
        ({"last_activity_at": "2024-01-01 10:00"}, ("stale", "last_activity_at", "")),
        ({"email": "jane@acme"}, ("malformed", "email", "")),
    ],
    ids=lambda v: next(iter(v)) if isinstance(v, dict) else "",
)
def test_one_problem_one_issue(fields: dict[str, str], expected: tuple[str, str, str]) -> None:
    assert issues(check("contact", None, **fields)) == {expected}


def test_customers_are_never_stale() -> None:
    assert issues(check(last_activity_at="2020-01-01 10:00", lifecycle_stage="Customer")) == set()


def test_no_activity_falls_back_to_creation() -> None:
    report = check(last_activity_at="", created_at="2023-01-01 00:00")
    assert ("stale", "last_activity_at", "") in issues(report)
    assert "creation" in report.issues[0].finding.evidence


def test_country_hints_that_disagree_block_the_fill() -> None:
    report = check(country="", state="CO", phone="+442079460958")
    [issue] = [i for i in report.issues if i.finding.kind == "routing_blocker"]
    assert issue.change is not None and issue.change.conflict is not None


def test_full_name_in_first_name_is_split_for_review() -> None:
    report = check(first_name="Carl Jones", last_name="")
    found = issues(report)
    assert ("malformed", "first_name", "Carl") in found
    assert ("missing_critical", "last_name", "Jones") in found
    assert all(i.change is None or i.change.confidence < 0.95 for i in report.issues)


def test_salutation_without_a_column_would_be_lost_so_it_is_not_confident() -> None:
    [issue] = check(first_name="Dr. Jane").issues
    assert issue.change is not None and issue.change.new_value == "Jane"
    assert issue.change.confidence < 0.95 and "drops" in issue.change.evidence


def test_active_owner_list() -> None:
    standard = "objects:\n  contact:\n    active_owners: [Jane Cooper]\n"
    assert issues(check(standard_text=standard, owner="Old Rep")) == {("misowned", "owner", "")}
    assert issues(check(standard_text=standard, owner="jane cooper")) == set()


def test_deals_open_past_close_date_or_inactive_are_stale() -> None:
    deal = {"name": "Big deal", "amount": "1000", "stage": "Contract Sent", "close_date": "2026-10-01",
            "owner": "A", "last_activity_at": "2026-11-01 10:00", "pipeline": "Sales Pipeline"}  # fmt: skip
    assert issues(check("deal", **deal)) == {("stale", "close_date", "")}
    inactive = {**deal, "close_date": "2027-01-10", "last_activity_at": "2026-06-01 10:00"}
    assert issues(check("deal", **inactive)) == {("stale", "last_activity_at", "")}
    closed = {**deal, "stage": "Closed Won"}
    assert issues(check("deal", **closed)) == set()


def test_missing_column_is_not_a_finding_on_every_record() -> None:
    std = default_standard()
    fields = {k: v for k, v in CLEAN_CONTACT.items() if k != "company"}
    ctx = CheckContext(standard=std, object_type="contact", as_of=AS_OF, present=frozenset(fields))
    report = check_record(Record(object_type="contact", record_id="1", fields=fields), ctx)
    assert report.issues == [] and report.critical_total == 3
