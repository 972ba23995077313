"""Field-kind inference: what each column of an export holds, from its header and then its values.

CRM exports (HubSpot, Salesforce) are recognised through the canonical header mapping of
``models/fields.py``; other files (FEBRL, a homemade spreadsheet) through header synonyms; columns
whose header says nothing are sniffed (mostly email addresses, mostly phone numbers, mostly dates).
Metadata (owner, stage, created/modified dates, lead source) never takes part in matching.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from crm_hygiene.dedup.config import FieldKind
from crm_hygiene.models.fields import header_key, map_headers
from crm_hygiene.types import ObjectType

# Canonical CRM fields -> kinds, per object type.
CANONICAL_KINDS: dict[ObjectType, dict[str, FieldKind]] = {
    "contact": {
        "record_id": "record_id", "first_name": "first_name", "last_name": "last_name", "email": "email",
        "phone": "phone", "mobile_phone": "phone", "company": "company", "city": "city", "state": "state",
        "postal_code": "postcode", "country": "country", "website": "domain",
    },
    "company": {
        "record_id": "record_id", "name": "company", "domain": "domain", "phone": "phone", "city": "city",
        "state": "state", "country": "country",
    },
    "deal": {
        "record_id": "record_id", "name": "text", "amount": "amount", "close_date": "date",
        "company_id": "reference", "pipeline": "ignore",
    },
}  # fmt: skip

# Header keys (``header_key``: lower case, alphanumerics only) -> kind, for files that are not CRM
# exports. Checked before the prefix rules below.
_SYNONYMS: dict[str, FieldKind] = {
    **dict.fromkeys(("id", "recid", "recordid", "objectid", "uid", "uuid", "key", "rowid", "customerid",
                     "personid", "contactid", "leadid", "accountid", "dealid", "opportunityid"), "record_id"),
    **dict.fromkeys(("firstname", "givenname", "forename", "first", "fname", "given", "firstnames"),
                    "first_name"),
    **dict.fromkeys(("lastname", "surname", "familyname", "last", "lname", "family"), "last_name"),
    **dict.fromkeys(("name", "fullname", "contactname", "personname", "customername", "contact"),
                    "full_name"),
    **dict.fromkeys(("email", "emailaddress", "mail", "workemail", "primaryemail", "personalemail",
                     "businessemail", "emails"), "email"),
    **dict.fromkeys(("company", "companyname", "account", "accountname", "organization", "organisation",
                     "employer", "business", "businessname", "org", "firm"), "company"),
    **dict.fromkeys(("website", "websiteurl", "domain", "url", "web", "companydomainname", "homepage"),
                    "domain"),
    **dict.fromkeys(("address", "address1", "addressline1", "street", "streetaddress", "mailingstreet",
                     "billingstreet", "addr", "addr1", "line1", "address2", "addressline2", "line2",
                     "street2", "addr2"), "address"),
    **dict.fromkeys(("streetnumber", "housenumber", "streetno", "houseno"), "street_number"),
    **dict.fromkeys(("postcode", "postalcode", "zip", "zipcode", "postal", "plz"), "postcode"),
    **dict.fromkeys(("city", "town", "suburb", "locality", "mailingcity", "billingcity"), "city"),
    **dict.fromkeys(("state", "region", "province", "stateregion", "county", "stateprovince"), "state"),
    **dict.fromkeys(("country", "countryregion", "countrycode", "nation"), "country"),
    **dict.fromkeys(("dateofbirth", "dob", "birthdate", "birthday", "born", "closedate"), "date"),
    **dict.fromkeys(("socsecid", "ssn", "socialsecuritynumber", "nationalid", "taxid", "vat", "vatnumber",
                     "passport", "nino", "sin", "registrationnumber", "duns"), "identifier"),
    **dict.fromkeys(("companyid", "associatedcompanyids", "associatedcompanyid", "accountid", "parentid"),
                    "reference"),
    **dict.fromkeys(("amount", "dealamount", "value", "dealvalue"), "amount"),
    **dict.fromkeys(("dealname", "opportunityname"), "text"),
}  # fmt: skip
_IGNORED_PARTS = (
    "created", "modified", "updated", "lastactivity", "owner", "lifecycle", "leadstatus", "source",
    "stage", "pipeline", "marketing", "note", "status", "consent", "optout", "unsubscribe", "score",
    "jobtitle", "title", "industry", "employees", "revenue", "fax", "timestamp", "date",
)  # fmt: skip
_PREFIXES: tuple[tuple[str, FieldKind], ...] = (
    ("email", "email"),
    ("phone", "phone"),
    ("mobile", "phone"),
    ("tel", "phone"),
    ("cell", "phone"),
)
_EMAIL = re.compile(r"^\s*[^@\s]+@[^@\s]+\.[A-Za-z]{2,}\s*$")
_PHONE = re.compile(r"^[\s+()./\-0-9xext]{7,}$", re.IGNORECASE)
_DATE = re.compile(r"^\s*(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{8})\s*$")


def kind_of_header(column: str) -> FieldKind | None:
    """The kind a header names, or None when the header does not say."""
    key = header_key(column)
    if not key:
        return None
    found = _SYNONYMS.get(key)
    if found is not None:
        return found
    for prefix, kind in _PREFIXES:
        if key.startswith(prefix) or key.endswith(prefix):
            return kind
    if any(part in key for part in _IGNORED_PARTS):
        return "ignore"
    return None


def kind_of_values(values: Sequence[str]) -> FieldKind:
    """The kind most of the non-empty ``values`` have (email, phone, date), else ``ignore``."""
    filled = [v for v in values if v.strip()]
    if len(filled) < 3:
        return "ignore"
    for pattern, kind in ((_EMAIL, "email"), (_DATE, "date"), (_PHONE, "phone")):
        hits = sum(1 for v in filled if pattern.match(v))
        if hits >= 0.8 * len(filled):
            return kind  # type: ignore[return-value]
    return "ignore"


def infer_kinds(
    columns: Sequence[str],
    sample: Sequence[Sequence[str]],
    object_type: ObjectType = "contact",
    overrides: Mapping[str, FieldKind] | None = None,
) -> dict[str, FieldKind]:
    """Column -> kind for an export.

    Args:
        columns: The header.
        sample: Some data rows (cells by position), to sniff columns whose header says nothing.
        object_type: contact, company or deal (decides what "Name" means).
        overrides: Column -> kind from the user's ``MatchConfig.fields`` (win over everything).
    """
    header = map_headers(columns, object_type)
    canonical = CANONICAL_KINDS[object_type]
    kinds: dict[str, FieldKind] = {}
    for pos, column in enumerate(columns):
        if overrides and column in overrides:
            kinds[column] = overrides[column]
            continue
        name = header.canonical.get(pos)
        kind = canonical.get(name, "ignore") if name is not None else kind_of_header(column)
        if kind == "full_name" and object_type != "contact":
            kind = "company" if object_type == "company" else "text"
        if kind is None:
            kind = kind_of_values([row[pos] for row in sample if pos < len(row)])
        kinds[column] = kind
    return _one_record_id(kinds, overrides or {})


def _one_record_id(kinds: dict[str, FieldKind], overrides: Mapping[str, FieldKind]) -> dict[str, FieldKind]:
    """Only the first id-like column is the record id; later ones are identifiers of something else."""
    seen = False
    for column, kind in kinds.items():
        if kind != "record_id":
            continue
        if seen and column not in overrides:
            kinds[column] = "identifier"
        seen = True
    return kinds
