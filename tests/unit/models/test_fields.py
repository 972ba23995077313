"""Header mapping: HubSpot and Salesforce export headers land on canonical field names."""

from __future__ import annotations

import pytest

from crm_hygiene.models.fields import CANONICAL_FIELDS, detect_object_type, header_key, map_headers

HUBSPOT_CONTACTS = [
    "Record ID", "First Name", "Last Name", "Email", "Phone Number", "Mobile Phone Number", "Company Name",
    "Job Title", "City", "State/Region", "Postal Code", "Country/Region", "Website URL", "Contact owner",
    "Lifecycle Stage", "Lead Status", "Create Date", "Last Modified Date", "Last Activity Date",
    "Marketing contact status",
]  # fmt: skip
SALESFORCE_CONTACTS = [
    "Id", "FirstName", "LastName", "Email", "Phone", "MobilePhone", "Account Name", "Title", "MailingCity",
    "MailingState", "MailingPostalCode", "MailingCountry", "LeadSource", "Owner Name", "CreatedDate",
    "LastModifiedDate", "LastActivityDate",
]  # fmt: skip


def test_hubspot_contact_export_maps_every_canonical_field() -> None:
    header = map_headers(HUBSPOT_CONTACTS, "contact")
    assert set(header.position) == set(CANONICAL_FIELDS["contact"])
    assert header.source == "hubspot"
    assert [header.columns[p] for p in header.custom] == ["Marketing contact status"]


def test_salesforce_contact_export_maps_and_keeps_lead_source_as_custom() -> None:
    header = map_headers(SALESFORCE_CONTACTS, "contact")
    assert header.column_of("state") == "MailingState"
    assert header.column_of("company") == "Account Name"
    assert header.column_of("owner") == "Owner Name"
    assert header.column_of("last_activity_at") == "LastActivityDate"
    assert [header.columns[p] for p in header.custom] == ["LeadSource"]
    assert header.source == "salesforce"


@pytest.mark.parametrize(
    ("columns", "filename", "expected"),
    [
        (HUBSPOT_CONTACTS, "export.csv", "contact"),
        (["Record ID", "Deal Name", "Amount", "Deal Stage", "Close Date"], "x.csv", "deal"),
        (["Record ID", "Company name", "Company Domain Name", "Industry"], "x.csv", "company"),
        (["Id", "Opportunity Name", "StageName", "CloseDate", "Amount"], "x.csv", "deal"),
        (["Id", "Name", "Notes"], "hubspot-companies-2026.csv", "company"),
        (["Id", "Name", "Notes"], "anything.csv", "contact"),
    ],
)
def test_object_type_is_detected_from_headers_then_file_name(
    columns: list[str], filename: str, expected: str
) -> None:
    assert detect_object_type(columns, filename) == expected


def test_header_matching_ignores_case_space_and_punctuation() -> None:
    assert header_key(" State / Region ") == header_key("state-region") == "stateregion"
    header = map_headers(["EMAIL ADDRESS", "e-mail"], "contact")
    assert header.column_of("email") == "EMAIL ADDRESS"  # the first column wins; the second is custom
    assert header.custom == (1,)


def test_company_and_deal_headers() -> None:
    company = map_headers(["Record ID", "Company name", "Company Domain Name", "Number of Employees",
                           "Annual Revenue", "Company owner", "BillingCountry"], "company")  # fmt: skip
    assert {"name", "domain", "employees", "annual_revenue", "owner", "country"} <= set(company.position)
    deal = map_headers(["Record ID", "Deal Name", "Associated Company IDs", "Deal owner", "Pipeline"], "deal")
    assert deal.column_of("company_id") == "Associated Company IDs"
    assert deal.column_of("owner") == "Deal owner"
