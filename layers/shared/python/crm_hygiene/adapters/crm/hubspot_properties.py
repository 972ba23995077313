"""Canonical fields ↔ HubSpot properties, and what a portal's property metadata says about them.

Canonical records hold enumeration *labels* ("Sales Qualified Lead", an owner's name), because the
clean-record standard's picklists use labels; HubSpot stores and accepts the option's internal
*value* ("salesqualifiedlead", an owner id). :class:`PropertyCatalog` translates both ways with the
portal's own metadata (``GET /crm/v3/properties/{objectType}``) and decides what may be written:
read-only values (``modificationMetadata.readOnlyValue``), calculated properties and the system
timestamps are never written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from crm_hygiene.models.crm import FieldInfo
from crm_hygiene.models.fields import CANONICAL_FIELDS
from crm_hygiene.models.record import Record
from crm_hygiene.types import FieldName, ObjectType

OBJECT_PATHS: Final[dict[ObjectType, str]] = {"contact": "contacts", "company": "companies", "deal": "deals"}
OBJECT_TYPE_IDS: Final[dict[ObjectType, str]] = {"contact": "0-1", "company": "0-2", "deal": "0-3"}

_OWNED: Final = {
    "owner": "hubspot_owner_id",
    "created_at": "createdate",
    "last_activity_at": "notes_last_updated",
}
PROPERTY_NAMES: Final[dict[ObjectType, dict[FieldName, str]]] = {
    "contact": {
        "first_name": "firstname", "last_name": "lastname", "email": "email", "phone": "phone",
        "mobile_phone": "mobilephone", "company": "company", "job_title": "jobtitle", "city": "city",
        "state": "state", "postal_code": "zip", "country": "country", "website": "website",
        "lifecycle_stage": "lifecyclestage", "lead_status": "hs_lead_status",
        "updated_at": "lastmodifieddate", **_OWNED,
    },
    "company": {
        "name": "name", "domain": "domain", "phone": "phone", "industry": "industry",
        "employees": "numberofemployees", "annual_revenue": "annualrevenue", "city": "city",
        "state": "state", "country": "country", "lifecycle_stage": "lifecyclestage",
        "updated_at": "hs_lastmodifieddate", **_OWNED,
    },
    "deal": {
        "name": "dealname", "amount": "amount", "stage": "dealstage", "pipeline": "pipeline",
        "close_date": "closedate", "updated_at": "hs_lastmodifieddate", **_OWNED,
    },
}  # fmt: skip
"""Canonical field -> HubSpot property. ``record_id`` is the object's ``id``; a deal's ``company_id``
comes from its associations (:data:`ASSOCIATED_FIELDS`)."""

MODIFIED_PROPERTY: Final[dict[ObjectType, str]] = {
    "contact": "lastmodifieddate",
    "company": "hs_lastmodifieddate",
    "deal": "hs_lastmodifieddate",
}
"""The last-modified property incremental search filters and sorts on (contacts differ)."""

ASSOCIATED_FIELDS: Final[dict[ObjectType, dict[FieldName, str]]] = {"deal": {"company_id": "companies"}}
"""Canonical fields read from v4 associations: field -> associated object path."""

MERGED_IDS: Final = "hs_merged_object_ids"
NEVER_WRITTEN: Final = frozenset(
    {"hs_object_id", "createdate", "lastmodifieddate", "hs_lastmodifieddate", "notes_last_updated",
     MERGED_IDS, "hs_additional_emails"}
)  # fmt: skip
"""System properties the connector never writes, whatever the metadata says."""

DATE_FIELDS: Final[dict[ObjectType, frozenset[FieldName]]] = {"deal": frozenset({"close_date"})}
"""Canonical fields that are dates although HubSpot keeps them as datetimes at midnight UTC."""

_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$"
)
_MIDNIGHT = re.compile(r"(\d{4}-\d{2}-\d{2})T00:00(?::00(?:\.0+)?)?Z$")


def epoch_ms(text: str) -> int | None:
    """Milliseconds since the epoch of an ISO 8601 date or date-time (UTC if unzoned) or of epoch-ms."""
    value = text.strip()
    if value.isdigit() and len(value) >= 10:
        return int(value) if len(value) > 10 else int(value) * 1000
    match = _ISO.match(value)
    if match is None:
        return None
    year, month, day, hour, minute, second, frac, zone = match.groups()
    try:
        moment = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
    except ValueError:
        return None
    micros = int((frac or "0")[:6].ljust(6, "0"))
    offset = 0
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = sign * (int(digits[:2]) * 60 + int(digits[2:]))
    seconds = moment.replace(tzinfo=UTC).timestamp() - offset * 60
    return int(seconds * 1000) + micros // 1000


def iso_ms(ms: int) -> str:
    """HubSpot's datetime form: ``2024-01-17T19:55:04.281Z``."""
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


class InvalidValue(ValueError):
    """A value the property cannot take (not one of its options, or an ambiguous label)."""


@dataclass(frozen=True)
class PropertySpec:
    """What the connector needs from one HubSpot property definition."""

    name: str
    type: str
    field_type: str
    writable: bool
    options: tuple[tuple[str, str], ...] = ()  # (internal value, label), in display order
    label_to_value: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    value_to_label: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    ambiguous: frozenset[str] = frozenset()

    @classmethod
    def from_api(cls, body: Mapping[str, Any]) -> PropertySpec:
        """From one ``Property`` of the properties API."""
        meta = body.get("modificationMetadata") or {}
        ordered = sorted(body.get("options") or [], key=lambda o: int(o.get("displayOrder") or 0))
        options = tuple((str(o.get("value", "")), str(o.get("label", ""))) for o in ordered)
        labels: dict[str, str] = {}
        ambiguous: set[str] = set()
        for value, label in options:
            for key in (label, label.casefold()):
                if key in labels and labels[key] != value:
                    ambiguous.add(key)
                labels.setdefault(key, value)
        writable = not meta.get("readOnlyValue", False) and not body.get("calculated", False)
        return cls(
            name=str(body["name"]),
            type=str(body.get("type", "string")),
            field_type=str(body.get("fieldType", "text")),
            writable=writable and str(body["name"]) not in NEVER_WRITTEN,
            options=options,
            label_to_value=labels,
            value_to_label=dict(options),
            ambiguous=frozenset(ambiguous),
        )

    @property
    def multi(self) -> bool:
        return self.field_type == "checkbox" and self.type == "enumeration"

    def _parts(self, text: str) -> list[str]:
        return [p for p in text.split(";") if p] if self.multi else [text]

    def to_label(self, raw: str) -> str:
        """The option's label for a stored value ("" stays ""); unknown values are kept as they are."""
        if not raw or not self.options:
            return raw
        return ";".join(self.value_to_label.get(part, part) for part in self._parts(raw))

    def to_wire(self, text: str) -> str:
        """The value to send for a canonical value (a label, or already an internal value).

        Raises:
            InvalidValue: not an option of this property, or a label two options share.
        """
        if not text:
            return ""
        if self.options:
            return ";".join(self._option_value(part.strip()) for part in self._parts(text))
        if self.type == "datetime" and len(text) == 10 and epoch_ms(text) is not None:
            return text + "T00:00:00.000Z"  # a date for a datetime property: midnight UTC
        return text

    def _option_value(self, text: str) -> str:
        if text in self.value_to_label:
            return text
        for key in (text, text.casefold()):
            if key in self.ambiguous:
                raise InvalidValue(f"{self.name}: label {text!r} names more than one option")
            if key in self.label_to_value:
                return self.label_to_value[key]
        raise InvalidValue(f"{self.name}: not one of its {len(self.options)} options")

    def position(self, stored: str) -> int | None:
        """Where an option value stands in display order (lifecycle stages only move forward)."""
        for index, (value, _) in enumerate(self.options):
            if value == stored:
                return index
        return None

    def comparable(self, text: str) -> str:
        """``text`` in stored form where it can be translated, else as it is (for comparisons)."""
        try:
            return self.to_wire(text)
        except InvalidValue:
            return text

    def same(self, stored: str, canonical: str) -> bool:
        """Whether a stored value and a canonical value mean the same (dates, numbers, options)."""
        left, right = (stored or "").strip(), self.comparable((canonical or "").strip())
        if left == right:
            return True
        if not left or not right:
            return False
        if self.type in ("datetime", "date"):
            return epoch_ms(left) is not None and epoch_ms(left) == epoch_ms(right)
        if self.type == "number":
            return _decimal(left) is not None and _decimal(left) == _decimal(right)
        if self.multi:
            return set(self._parts(left)) == set(self._parts(right))
        return False


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


class PropertyCatalog:
    """One object type's mapped properties as this portal defines them."""

    def __init__(self, object_type: ObjectType, properties: Iterable[Mapping[str, Any]]) -> None:
        self.object_type = object_type
        self.specs: dict[str, PropertySpec] = {}
        for body in properties:
            if body.get("name") and not body.get("archived", False):
                spec = PropertySpec.from_api(body)
                self.specs[spec.name] = spec
        self.mapping = {f: p for f, p in PROPERTY_NAMES[object_type].items() if p in self.specs}

    def spec_of(self, field_name: FieldName) -> PropertySpec | None:
        """The property behind a canonical field, None when it is not a plain property here."""
        prop = self.mapping.get(field_name)
        return None if prop is None else self.specs[prop]

    def canonical(self, field_name: FieldName, stored: str) -> str:
        """A stored value as canonical records hold it: option labels; dates without midnight."""
        spec = self.spec_of(field_name)
        value = spec.to_label(stored) if spec is not None else stored
        if field_name in DATE_FIELDS.get(self.object_type, frozenset()):
            value = _MIDNIGHT.sub(r"\1", value)
        return value

    def properties_to_read(self, extra: Iterable[str] = ()) -> list[str]:
        """Property names to request for a full canonical record."""
        names = [*self.mapping.values(), MERGED_IDS, *extra]
        return list(dict.fromkeys(n for n in names if n in self.specs or n == MERGED_IDS))

    def field_info(self) -> dict[FieldName, FieldInfo]:
        """Every canonical field this portal has, and whether it may be written."""
        info: dict[FieldName, FieldInfo] = {
            "record_id": FieldInfo(field="record_id", crm_name="hs_object_id", writable=False)
        }
        for name in CANONICAL_FIELDS[self.object_type]:
            spec = self.spec_of(name)
            if spec is not None:
                labels = [label for _, label in spec.options]
                info[name] = FieldInfo(field=name, crm_name=spec.name, writable=spec.writable, options=labels)
        for name, path in ASSOCIATED_FIELDS.get(self.object_type, {}).items():
            info[name] = FieldInfo(field=name, crm_name=f"associations.{path}", writable=False)
        return info

    def to_record(
        self, body: Mapping[str, Any], *, associated: Mapping[FieldName, list[str]] | None = None,
        extra: Iterable[str] = (),
    ) -> Record:  # fmt: skip
        """A canonical record from a ``SimplePublicObject`` (missing and null values become "")."""
        props: Mapping[str, Any] = body.get("properties") or {}
        fields = {
            name: self.canonical(name, str(props.get(prop) or "")) for name, prop in self.mapping.items()
        }
        fields["record_id"] = str(body["id"])
        for name, fallback in (("created_at", "createdAt"), ("updated_at", "updatedAt")):
            if not fields.get(name) and body.get(fallback):
                fields[name] = str(body[fallback])
        for name, ids in (associated or {}).items():
            fields[name] = ";".join(ids)
        custom = {p: str(props[p]) for p in (MERGED_IDS, *extra) if props.get(p)}
        return Record(
            object_type=self.object_type, record_id=str(body["id"]), fields=fields, custom=custom,
            source="hubspot",
        )  # fmt: skip
