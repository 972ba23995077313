"""Canonical field names per object type and the mapping from CRM export headers to them.

Every output uses the canonical names. Export headers are matched case-, space- and
punctuation-insensitively against HubSpot and Salesforce export labels and API names; anything
unmatched is a custom field, kept and written back untouched.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from crm_hygiene.types import FieldName, ObjectType

CONTACT_FIELDS: tuple[FieldName, ...] = (
    "record_id", "first_name", "last_name", "email", "phone", "mobile_phone", "company", "job_title",
    "city", "state", "postal_code", "country", "website", "owner", "lifecycle_stage", "lead_status",
    "created_at", "updated_at", "last_activity_at",
)  # fmt: skip
COMPANY_FIELDS: tuple[FieldName, ...] = (
    "record_id", "name", "domain", "phone", "industry", "employees", "annual_revenue", "city", "state",
    "country", "owner", "lifecycle_stage", "created_at", "updated_at", "last_activity_at",
)  # fmt: skip
DEAL_FIELDS: tuple[FieldName, ...] = (
    "record_id", "name", "amount", "stage", "pipeline", "close_date", "owner", "company_id",
    "created_at", "updated_at", "last_activity_at",
)  # fmt: skip

CANONICAL_FIELDS: dict[ObjectType, tuple[FieldName, ...]] = {
    "contact": CONTACT_FIELDS,
    "company": COMPANY_FIELDS,
    "deal": DEAL_FIELDS,
}

# Headers seen in HubSpot exports (labels), HubSpot API names, Salesforce exports (API names and
# report labels). Keys are canonical fields; matching uses `header_key()` on both sides.
_COMMON: dict[FieldName, tuple[str, ...]] = {
    "record_id": ("Record ID", "ID", "hs_object_id", "Object ID", "Id"),
    "owner": ("Owner", "hubspot_owner_id", "HubSpot Owner", "OwnerId", "Owner Name", "Owner ID",
              "Owner Full Name"),
    "created_at": ("Create Date", "Created Date", "createdate", "CreatedDate", "Created At", "Date Created",
                   "Created"),
    "updated_at": ("Last Modified Date", "lastmodifieddate", "hs_lastmodifieddate", "LastModifiedDate",
                   "Updated At", "Modified Date", "Last Modified"),
    "last_activity_at": ("Last Activity Date", "notes_last_updated", "LastActivityDate", "Last Activity",
                         "Last Engagement Date", "Last Activity At"),
    "city": ("City", "Town"),
    "state": ("State/Region", "State", "Region", "Province", "State/Province", "County/State"),
    "country": ("Country/Region", "Country", "Country Code", "Country/Territory"),
    "phone": ("Phone Number", "Phone", "Business Phone", "Telephone", "Work Phone"),
    "lifecycle_stage": ("Lifecycle Stage", "lifecyclestage", "Lifecycle"),
}  # fmt: skip

_ALIASES: dict[ObjectType, dict[FieldName, tuple[str, ...]]] = {
    "contact": {
        **_COMMON,
        "record_id": (*_COMMON["record_id"], "Contact ID", "ContactId", "Lead ID", "LeadId", "vid"),
        "owner": (*_COMMON["owner"], "Contact owner", "Contact Owner", "Lead Owner", "Contact Owner Name"),
        "first_name": ("First Name", "firstname", "FirstName", "Given Name", "First"),
        "last_name": ("Last Name", "lastname", "LastName", "Surname", "Family Name", "Last"),
        "email": ("Email", "Email Address", "E-mail", "E-mail Address", "Work Email", "Primary Email"),
        "mobile_phone": ("Mobile Phone Number", "mobilephone", "MobilePhone", "Mobile Phone", "Mobile",
                         "Cell Phone", "Cell"),
        "company": ("Company Name", "Company", "Account Name", "Account.Name", "Account", "Organization",
                    "Organisation", "Employer"),
        "job_title": ("Job Title", "jobtitle", "Title", "Position", "Role"),
        "city": (*_COMMON["city"], "MailingCity", "Mailing City"),
        "state": (*_COMMON["state"], "MailingState", "Mailing State", "Mailing State/Province"),
        "postal_code": ("Postal Code", "zip", "Zip", "Zip Code", "ZIP/Postal Code", "Postcode", "Post Code",
                        "MailingPostalCode", "Mailing Zip/Postal Code", "PostalCode"),
        "country": (*_COMMON["country"], "MailingCountry", "Mailing Country"),
        "website": ("Website URL", "Website", "website", "Web Site", "URL", "Company Website"),
        "lead_status": ("Lead Status", "hs_lead_status", "Status", "Lead Stage"),
    },
    "company": {
        **_COMMON,
        "record_id": (*_COMMON["record_id"], "Company ID", "Account ID", "AccountId"),
        "owner": (*_COMMON["owner"], "Company owner", "Company Owner", "Account Owner", "Account Owner Name"),
        "name": ("Company name", "Name", "Company", "Account Name", "Organization", "Organisation"),
        "domain": ("Company Domain Name", "Domain", "domain", "Website URL", "Website", "Web Site", "URL"),
        "industry": ("Industry",),
        "employees": ("Number of Employees", "numberofemployees", "NumberOfEmployees", "Employees",
                      "Employee Count", "Headcount"),
        "annual_revenue": ("Annual Revenue", "annualrevenue", "AnnualRevenue", "Revenue"),
        "city": (*_COMMON["city"], "BillingCity", "Billing City"),
        "state": (*_COMMON["state"], "BillingState", "Billing State", "Billing State/Province"),
        "country": (*_COMMON["country"], "BillingCountry", "Billing Country"),
    },
    "deal": {
        "record_id": (*_COMMON["record_id"], "Deal ID", "Opportunity ID", "OpportunityId"),
        "owner": (*_COMMON["owner"], "Deal owner", "Deal Owner", "Opportunity Owner"),
        "created_at": _COMMON["created_at"],
        "updated_at": _COMMON["updated_at"],
        "last_activity_at": _COMMON["last_activity_at"],
        "name": ("Deal Name", "dealname", "Opportunity Name", "Name", "Deal"),
        "amount": ("Amount", "Deal Amount", "Value", "Deal Value"),
        "stage": ("Deal Stage", "dealstage", "Stage", "StageName", "Stage Name"),
        "pipeline": ("Pipeline", "pipeline", "Sales Pipeline"),
        "close_date": ("Close Date", "closedate", "CloseDate", "Expected Close Date"),
        "company_id": ("Associated Company IDs", "Associated Company ID", "Associated Company", "Company ID",
                       "AccountId", "Account ID", "associatedcompanyid"),
    },
}  # fmt: skip

# Headers recognised as belonging to a CRM (kept as custom fields, but they tell us the source).
_KNOWN_CUSTOM = {
    "salesforce": ("LeadSource", "Lead Source", "MailingStreet", "Mailing Street", "Salutation",
                   "AccountId", "OwnerId", "HasOptedOutOfEmail", "DoNotCall", "RecordTypeId"),
    "hubspot": ("Marketing contact status", "Original Source", "hs_email_optout",
                "Unsubscribed from all email", "Associated Company IDs", "Contact owner"),
}  # fmt: skip

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def header_key(header: str) -> str:
    """Case-, space- and punctuation-insensitive key of a header ("State/Region" -> "stateregion")."""
    return _NON_ALNUM.sub("", header.strip().lower())


def _build_index() -> dict[ObjectType, dict[str, FieldName]]:
    index: dict[ObjectType, dict[str, FieldName]] = {}
    for object_type, aliases in _ALIASES.items():
        table: dict[str, FieldName] = {}
        for canonical in CANONICAL_FIELDS[object_type]:
            table.setdefault(header_key(canonical), canonical)
            for alias in aliases.get(canonical, ()):
                table.setdefault(header_key(alias), canonical)
        index[object_type] = table
    return index


_INDEX = _build_index()


@dataclass(frozen=True)
class HeaderMap:
    """How the columns of one export map onto canonical fields.

    Attributes:
        object_type: contact, company or deal.
        columns: The export's (unique) column names, in order.
        canonical: column position -> canonical field, for mapped columns.
        custom: Positions of columns kept as custom fields.
        source: "hubspot", "salesforce" or "unknown", guessed from the headers.
    """

    object_type: ObjectType
    columns: tuple[str, ...]
    canonical: dict[int, FieldName]
    custom: tuple[int, ...]
    source: str = "unknown"
    position: dict[FieldName, int] = field(default_factory=dict)

    def column_of(self, canonical_field: FieldName) -> str | None:
        """The export column that holds ``canonical_field``, if any."""
        pos = self.position.get(canonical_field)
        return None if pos is None else self.columns[pos]


def map_headers(columns: Sequence[str], object_type: ObjectType) -> HeaderMap:
    """Maps export columns to canonical fields; the first column wins when two mean the same field."""
    table = _INDEX[object_type]
    canonical: dict[int, FieldName] = {}
    position: dict[FieldName, int] = {}
    custom: list[int] = []
    for pos, column in enumerate(columns):
        name = table.get(header_key(column))
        if name is not None and name not in position:
            canonical[pos] = name
            position[name] = pos
        else:
            custom.append(pos)
    return HeaderMap(
        object_type=object_type,
        columns=tuple(columns),
        canonical=canonical,
        custom=tuple(custom),
        source=guess_source(columns),
        position=position,
    )


def guess_source(columns: Sequence[str]) -> str:
    keys = {header_key(c) for c in columns}
    scores = {crm: sum(header_key(h) in keys for h in headers) for crm, headers in _KNOWN_CUSTOM.items()}
    sf_api = sum(k in keys for k in ("firstname", "lastname", "mailingstate", "accountname", "stagename"))
    scores["salesforce"] += sf_api if "recordid" not in keys else 0
    scores["hubspot"] += sum(k in keys for k in ("recordid", "stateregion", "countryregion", "websiteurl"))
    best = max(scores, key=lambda k: scores[k])
    return best if scores[best] > 0 else "unknown"


_TYPE_HINTS: dict[ObjectType, tuple[str, ...]] = {
    "deal": ("dealname", "dealstage", "opportunityname", "stagename", "closedate", "amount", "pipeline"),
    "company": ("companydomainname", "companyname", "numberofemployees", "annualrevenue", "industry",
                "domain", "accountname"),
    "contact": ("firstname", "lastname", "email", "jobtitle", "mobilephonenumber", "leadstatus"),
}  # fmt: skip


def detect_object_type(columns: Sequence[str], filename: str = "") -> ObjectType:
    """Guesses contact / company / deal from the headers, then from the file name; contact by default."""
    keys = {header_key(c) for c in columns}
    scores = {t: sum(h in keys for h in hints) for t, hints in _TYPE_HINTS.items()}
    best = max(scores, key=lambda t: (scores[t], t == "contact"))
    if scores[best] >= 2:
        return best
    lowered = filename.lower()
    for object_type, words in (("deal", ("deal", "opportunit")), ("company", ("compan", "account"))):
        if any(w in lowered for w in words):
            return object_type  # type: ignore[return-value]
    return "contact"
