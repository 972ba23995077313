"""Canonical values ↔ HubSpot stored values, through the portal's property metadata."""

from __future__ import annotations

import pytest

from crm_hygiene.adapters.crm.hubspot_properties import (
    InvalidValue,
    PropertyCatalog,
    PropertySpec,
    epoch_ms,
    iso_ms,
)
from crm_hygiene.local.fake_hubspot.catalog import default_properties

LIFECYCLE = PropertySpec.from_api(default_properties()["contacts"]["lifecyclestage"].to_json())


def prop(
    name: str, type_: str, field_type: str = "text", options: list[tuple[str, str]] | None = None
) -> PropertySpec:
    return PropertySpec.from_api({
        "name": name, "type": type_, "fieldType": field_type,
        "options": [{"value": v, "label": label, "displayOrder": i} for i, (v, label) in enumerate(options or [])],
    })  # fmt: skip


@pytest.mark.parametrize(
    ("description", "spec", "canonical", "wire"),
    [
        ("a label becomes the option's value", LIFECYCLE, "Sales Qualified Lead", "salesqualifiedlead"),
        ("labels match case-insensitively", LIFECYCLE, "sales qualified lead", "salesqualifiedlead"),
        ("an internal value passes as it is", LIFECYCLE, "customer", "customer"),
        ("empty clears", LIFECYCLE, "", ""),
        ("multi-select, each part", prop("tags", "enumeration", "checkbox", [("a", "Alpha"), ("b", "Beta")]), "Alpha;Beta", "a;b"),
        ("a date for a datetime property is midnight UTC", prop("closedate", "datetime", "date"), "2025-03-31", "2025-03-31T00:00:00.000Z"),
        ("strings pass through", prop("city", "string"), " Köln ", " Köln "),
    ],
)  # fmt: skip
def test_to_wire(description: str, spec: PropertySpec, canonical: str, wire: str) -> None:
    assert spec.to_wire(canonical) == wire, description


def test_to_wire_refuses_unknown_and_ambiguous_labels() -> None:
    with pytest.raises(InvalidValue, match="not one of"):
        LIFECYCLE.to_wire("MQL")
    owners = prop("hubspot_owner_id", "enumeration", "select", [("1", "Sam Lee"), ("2", "Sam Lee")])
    with pytest.raises(InvalidValue, match="more than one option"):
        owners.to_wire("Sam Lee")
    assert owners.to_wire("2") == "2"  # the id is never ambiguous


def test_to_label_keeps_unknown_values() -> None:
    assert LIFECYCLE.to_label("marketingqualifiedlead") == "Marketing Qualified Lead"
    assert LIFECYCLE.to_label("retired_option") == "retired_option"
    assert LIFECYCLE.to_label("") == ""


@pytest.mark.parametrize(
    ("description", "spec", "stored", "canonical", "same"),
    [
        ("label vs value", LIFECYCLE, "lead", "Lead", True),
        ("different options", LIFECYCLE, "lead", "Customer", False),
        ("datetime at midnight vs date", prop("d", "datetime"), "2025-03-31T00:00:00.000Z", "2025-03-31", True),
        ("the same instant in another zone", prop("d", "datetime"), "2025-03-31T10:00:00.000Z", "2025-03-31T12:00:00+02:00", True),
        ("numbers by value", prop("amount", "number"), "6500", "6500.00", True),
        ("numbers that differ", prop("amount", "number"), "6500", "650", False),
        ("multi-select in any order", prop("t", "enumeration", "checkbox", [("a", "A"), ("b", "B")]), "a;b", "B;A", True),
        ("strings exactly", prop("s", "string"), "ACME", "Acme", False),
        ("empty vs something", prop("s", "string"), "", "x", False),
    ],
)  # fmt: skip
def test_same(description: str, spec: PropertySpec, stored: str, canonical: str, same: bool) -> None:
    assert spec.same(stored, canonical) is same, description


def test_datetimes_round_trip() -> None:
    assert iso_ms(epoch_ms("2024-01-17T19:55:04.281Z") or 0) == "2024-01-17T19:55:04.281Z"
    assert epoch_ms("1705521304281") == 1705521304281
    assert epoch_ms("2024-02-30") is None and epoch_ms("soon") is None


def test_field_info_never_offers_read_only_or_calculated_fields() -> None:
    catalog = PropertyCatalog("contact", [p.to_json() for p in default_properties()["contacts"].values()])
    info = catalog.field_info()
    writable = {name for name, f in info.items() if f.writable}
    assert {"email", "phone", "lifecycle_stage", "owner", "job_title"} <= writable
    assert not writable & {"record_id", "created_at", "updated_at", "last_activity_at"}
    assert info["last_activity_at"].crm_name == "notes_last_updated"  # calculated in HubSpot
    assert info["lifecycle_stage"].options[:2] == ["Subscriber", "Lead"]


def test_deals_company_comes_from_associations_and_is_not_a_field_write() -> None:
    catalog = PropertyCatalog("deal", [p.to_json() for p in default_properties()["deals"].values()])
    info = catalog.field_info()
    assert info["company_id"].crm_name == "associations.companies" and not info["company_id"].writable
    record = catalog.to_record(
        {"id": "9", "properties": {"closedate": "2025-03-31T00:00:00.000Z", "dealstage": "closedwon"}},
        associated={"company_id": ["5", "6"]},
    )
    assert record.fields["close_date"] == "2025-03-31" and record.fields["stage"] == "Closed Won"
    assert record.fields["company_id"] == "5;6" and record.source == "hubspot"


def test_records_accept_null_and_missing_values() -> None:
    catalog = PropertyCatalog("contact", [p.to_json() for p in default_properties()["contacts"].values()])
    record = catalog.to_record(
        {"id": "1", "properties": {"email": None}, "createdAt": "2024-01-01T00:00:00Z"}
    )
    assert record.fields["email"] == "" and record.fields["first_name"] == ""
    assert record.fields["created_at"] == "2024-01-01T00:00:00Z"  # from createdAt when the property is absent
