"""The fake portal's property definitions (``GET /crm/v3/properties/{objectType}``), per crm-apis.md A.8.

Kept independent of the connector's mapping on purpose: the contract tests would prove nothing if
the fake and the connector shared one table.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Final

OBJECT_TYPES: Final = ("contacts", "companies", "deals")
ENGAGEMENT_TYPES: Final = ("notes",)
"""Engagements the fake keeps: notes (``POST /crm/v3/objects/notes``, associated on create), such as the
``merged_from`` note an unmerge writes on a recreated record and its survivor."""
TYPE_IDS: Final = {"0-1": "contacts", "0-2": "companies", "0-3": "deals", "0-46": "notes"}
SINGULAR: Final = {"contacts": "contact", "companies": "company", "deals": "deal", "notes": "note"}
MODIFIED: Final = {
    "contacts": "lastmodifieddate",
    "companies": "hs_lastmodifieddate",
    "deals": "hs_lastmodifieddate",
    "notes": "hs_lastmodifieddate",
}
DEFAULT_PROPERTIES: Final = {
    "contacts": ("firstname", "lastname", "email"),
    "companies": ("name", "domain"),
    "deals": ("dealname", "amount", "closedate", "pipeline", "dealstage"),
    "notes": ("hs_note_body", "hs_timestamp"),
}
_STAMP: Final = "2019-08-06T02:43:14.491Z"


def _options(pairs: str) -> list[tuple[str, str]]:
    """ "value=Label, ..." -> [(value, label)]."""
    return [(v.strip(), label.strip()) for v, _, label in (p.partition("=") for p in pairs.split(","))]


LIFECYCLE: Final = _options(
    "subscriber=Subscriber, lead=Lead, marketingqualifiedlead=Marketing Qualified Lead, "
    "salesqualifiedlead=Sales Qualified Lead, opportunity=Opportunity, customer=Customer, "
    "evangelist=Evangelist, other=Other"
)
LEAD_STATUS: Final = _options(
    "NEW=New, OPEN=Open, IN_PROGRESS=In Progress, OPEN_DEAL=Open Deal, UNQUALIFIED=Unqualified, "
    "ATTEMPTED_TO_CONTACT=Attempted to Contact, CONNECTED=Connected, BAD_TIMING=Bad Timing"
)
DEAL_STAGES: Final = _options(
    "appointmentscheduled=Appointment Scheduled, qualifiedtobuy=Qualified To Buy, "
    "presentationscheduled=Presentation Scheduled, decisionmakerboughtin=Decision Maker Bought-In, "
    "contractsent=Contract Sent, closedwon=Closed Won, closedlost=Closed Lost"
)
PIPELINES: Final = _options("default=Sales Pipeline")
_INDUSTRY_LABELS: Final = (
    "Computer Software, Information Technology and Services, Marketing and Advertising, Financial Services, "
    "Hospital & Health Care, Retail, Logistics and Supply Chain, Construction, Real Estate, "
    "Mechanical or Industrial Engineering, Food & Beverages, Telecommunications, Insurance, Automotive, "
    "Management Consulting, Renewables & Environment"
)
INDUSTRIES: Final = [
    ("_".join(w for w in label.replace("&", " ").upper().split()), label.strip())
    for label in _INDUSTRY_LABELS.split(",")
]


@dataclass
class PropertyDef:
    """One property: its type, options and whether the API may write it."""

    name: str
    type: str = "string"
    field_type: str = "text"
    options: list[tuple[str, str]] = field(default_factory=list)
    read_only: bool = False
    calculated: bool = False
    external_options: bool = False
    unique: bool = False
    group: str = "information"

    def option_values(self) -> set[str]:
        return {value for value, _ in self.options}

    def to_json(self) -> dict[str, Any]:
        """The ``Property`` shape of the properties API."""
        return {
            "name": self.name,
            "label": self.name.replace("_", " ").title(),
            "type": self.type,
            "fieldType": self.field_type,
            "groupName": self.group,
            "description": "",
            "options": [
                {"label": label, "value": value, "displayOrder": i, "hidden": False, "description": ""}
                for i, (value, label) in enumerate(self.options)
            ],
            "hubspotDefined": True,
            "calculated": self.calculated,
            "externalOptions": self.external_options,
            "hasUniqueValue": self.unique,
            "hidden": False,
            "formField": not (self.read_only or self.calculated),
            "displayOrder": -1,
            "dataSensitivity": "non_sensitive",
            "modificationMetadata": {
                "archivable": False,
                "readOnlyDefinition": True,
                "readOnlyValue": self.read_only or self.calculated,
                "readOnlyOptions": not self.external_options,
            },
            "calculationFormula": None,
            "referencedObjectType": "OWNER" if self.name == "hubspot_owner_id" else None,
            "createdAt": _STAMP,
            "updatedAt": _STAMP,
            "archived": False,
        }


def _text(*names: str) -> list[PropertyDef]:
    return [PropertyDef(n) for n in names]


def _system(modified: str) -> list[PropertyDef]:
    return [
        PropertyDef("hs_object_id", "number", "number", read_only=True, unique=True),
        PropertyDef("createdate", "datetime", "date", read_only=True),
        PropertyDef(modified, "datetime", "date", read_only=True),
        PropertyDef("notes_last_updated", "datetime", "date", calculated=True),
        PropertyDef("hs_merged_object_ids", "enumeration", "checkbox", read_only=True),
        PropertyDef("hubspot_owner_id", "enumeration", "select", external_options=True),
    ]


def default_properties() -> dict[str, dict[str, PropertyDef]]:
    """Fresh property definitions per object type (owners are added as the portal gets them)."""
    contacts = [
        *_text("firstname", "lastname", "company", "jobtitle", "city", "state", "zip", "country", "website"),
        PropertyDef("email", unique=True),
        PropertyDef("phone", field_type="phonenumber"),
        PropertyDef("mobilephone", field_type="phonenumber"),
        PropertyDef("hs_additional_emails", field_type="textarea", read_only=True),
        PropertyDef("lifecyclestage", "enumeration", "radio", list(LIFECYCLE)),
        PropertyDef("hs_lead_status", "enumeration", "radio", list(LEAD_STATUS)),
        PropertyDef(
            "hs_email_optout", "bool", "booleancheckbox", [("true", "Yes"), ("false", "No")], read_only=True
        ),
        PropertyDef("num_associated_deals", "number", "number", calculated=True),
        *_system("lastmodifieddate"),
    ]
    companies = [
        *_text("name", "city", "state", "country", "website"),
        PropertyDef("domain", unique=True),
        PropertyDef("phone", field_type="phonenumber"),
        PropertyDef("industry", "enumeration", "select", list(INDUSTRIES)),
        PropertyDef("numberofemployees", "number", "number"),
        PropertyDef("annualrevenue", "number", "number"),
        PropertyDef("lifecyclestage", "enumeration", "radio", list(LIFECYCLE)),
        *_system("hs_lastmodifieddate"),
    ]
    deals = [
        PropertyDef("dealname"),
        PropertyDef("amount", "number", "number"),
        PropertyDef("dealstage", "enumeration", "radio", list(DEAL_STAGES)),
        PropertyDef("pipeline", "enumeration", "select", list(PIPELINES)),
        PropertyDef("closedate", "datetime", "date"),
        PropertyDef(
            "hs_is_closed",
            "bool",
            "calculation_equation",
            [("true", "Yes"), ("false", "No")],
            calculated=True,
        ),
        *_system("hs_lastmodifieddate"),
    ]
    notes = [
        PropertyDef("hs_note_body", field_type="html"),
        PropertyDef("hs_timestamp", "datetime", "date"),
        *_system("hs_lastmodifieddate"),
    ]
    return {
        "contacts": {p.name: p for p in contacts},
        "companies": {p.name: p for p in companies},
        "deals": {p.name: p for p in deals},
        "notes": {p.name: p for p in notes},
    }


class Owners:
    """The portal's owners: ``hubspot_owner_id`` options shared by every object type."""

    def __init__(self, properties: dict[str, dict[str, PropertyDef]], first_id: int = 71_000_001) -> None:
        self._properties = properties
        self._ids = itertools.count(first_id)
        self.by_name: dict[str, str] = {}

    def ensure(self, name: str) -> str:
        """The id of the owner called ``name``, adding the owner when new."""
        if name not in self.by_name:
            owner_id = str(next(self._ids))
            self.by_name[name] = owner_id
            for props in self._properties.values():
                props["hubspot_owner_id"].options.append((owner_id, name))
        return self.by_name[name]
