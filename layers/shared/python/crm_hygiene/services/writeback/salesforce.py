"""Canonical fields -> Salesforce API field names (``/work/shared/crm-apis.md`` Part C, the standard
fields of Contact, Account and Opportunity). A canonical field without a writable standard
equivalent on that object (a contact's company is the Account's name, its lifecycle stage has
none) is left out of the Salesforce file and counted in the summary, never guessed."""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from crm_hygiene.types import FieldName, ObjectType

SALESFORCE_ID: Final = "Id"

SALESFORCE_FIELDS: MappingProxyType[ObjectType, MappingProxyType[FieldName, str]] = MappingProxyType(
    {
        "contact": MappingProxyType(
            {
                "first_name": "FirstName",
                "last_name": "LastName",
                "email": "Email",
                "phone": "Phone",
                "mobile_phone": "MobilePhone",
                "job_title": "Title",
                "city": "MailingCity",
                "state": "MailingState",
                "postal_code": "MailingPostalCode",
                "country": "MailingCountry",
                "owner": "OwnerId",
            }
        ),
        "company": MappingProxyType(
            {
                "name": "Name",
                "domain": "Website",
                "phone": "Phone",
                "industry": "Industry",
                "employees": "NumberOfEmployees",
                "annual_revenue": "AnnualRevenue",
                "city": "BillingCity",
                "state": "BillingState",
                "country": "BillingCountry",
                "owner": "OwnerId",
            }
        ),
        "deal": MappingProxyType(
            {
                "name": "Name",
                "amount": "Amount",
                "stage": "StageName",
                "close_date": "CloseDate",
                "owner": "OwnerId",
                "company_id": "AccountId",
            }
        ),
    }
)
"""Per object type: canonical field -> the Salesforce field an update writes."""
