"""Seeding the fake from a HubSpot-style export folder (``contacts.csv``, ``companies.csv``, ``deals.csv``,
as ``crm-hygiene sample`` writes them): in-process, or into a running fake through ``/_fake/seed``.

Rows keep their "Record ID"; labels of enumerations become option values; owner names become owners;
export datetimes become HubSpot datetimes; a deal's "Associated Company IDs" and a contact's email
domain (matched to a company's domain) become associations.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from crm_hygiene.csvio.read import CsvReader
from crm_hygiene.local.fake_hubspot.crm import DEFAULT_TYPES, FakeCrm
from crm_hygiene.local.fake_hubspot.values import FakeError, iso, to_ms
from crm_hygiene.models.fields import map_headers
from crm_hygiene.types import ObjectType

FILES: tuple[tuple[str, ObjectType, str], ...] = (
    ("companies.csv", "company", "companies"),
    ("contacts.csv", "contact", "contacts"),
    ("deals.csv", "deal", "deals"),
)
_COMMON = {"owner": "hubspot_owner_id", "created_at": "createdate", "last_activity_at": "notes_last_updated"}
# The fake's own reading of canonical fields (independent of the connector's table on purpose).
SEED_PROPERTIES: dict[str, dict[str, str]] = {
    "contacts": {
        "first_name": "firstname", "last_name": "lastname", "email": "email", "phone": "phone",
        "mobile_phone": "mobilephone", "company": "company", "job_title": "jobtitle", "city": "city",
        "state": "state", "postal_code": "zip", "country": "country", "website": "website",
        "lifecycle_stage": "lifecyclestage", "lead_status": "hs_lead_status",
        "updated_at": "lastmodifieddate", **_COMMON,
    },
    "companies": {
        "name": "name", "domain": "domain", "phone": "phone", "industry": "industry",
        "employees": "numberofemployees", "annual_revenue": "annualrevenue", "city": "city",
        "state": "state", "country": "country", "lifecycle_stage": "lifecyclestage",
        "updated_at": "hs_lastmodifieddate", **_COMMON,
    },
    "deals": {
        "name": "dealname", "amount": "amount", "stage": "dealstage", "pipeline": "pipeline",
        "close_date": "closedate", "updated_at": "hs_lastmodifieddate", **_COMMON,
    },
}  # fmt: skip


def seed_rows(crm: FakeCrm, object_type: str, rows: Iterable[Mapping[str, str]]) -> int:
    """Adds canonical rows (field -> export value) as records; returns how many."""
    mapping = SEED_PROPERTIES[object_type]
    count = 0
    with crm.lock:
        domains = _company_domains(crm) if object_type == "contacts" else {}
        for row in rows:
            props = {
                mapping[f]: _value(crm, object_type, mapping[f], v)
                for f, v in row.items()
                if f in mapping and v
            }
            record_id = str(row.get("record_id", "")).strip()
            if record_id.isdigit() and crm.find(object_type, record_id) is not None:
                continue  # seeding twice is harmless
            try:
                obj = crm.create(
                    object_type, props, object_id=int(record_id) if record_id.isdigit() else None, system=True
                )
            except FakeError as exc:
                if exc.status != 409:
                    raise
                continue  # HubSpot keeps one contact per email: an export row it could not hold is skipped
            _associate(crm, object_type, obj.id, row, domains)
            count += 1
    return count


def _value(crm: FakeCrm, object_type: str, name: str, raw: str) -> str:
    value = raw.strip()
    if name == "hubspot_owner_id":
        return crm.owners.ensure(value)
    definition = crm.properties[object_type][name]
    if definition.type == "datetime":
        ms = to_ms(value)
        return iso(ms) if ms is not None else value
    if definition.type == "enumeration" and definition.options:
        by_label = {label.lower(): v for v, label in definition.options}
        return value if value in definition.option_values() else by_label.get(value.lower(), value)
    return value


def _company_domains(crm: FakeCrm) -> dict[str, int]:
    return {o.props["domain"].lower(): o.id for o in crm.table("companies").live() if o.props.get("domain")}


def _associate(
    crm: FakeCrm, object_type: str, object_id: int, row: Mapping[str, str], domains: Mapping[str, int]
) -> None:
    targets: list[int] = []
    if object_type == "deals":
        targets = [
            int(i) for i in str(row.get("company_id", "")).replace(",", ";").split(";") if i.strip().isdigit()
        ]
    elif object_type == "contacts":
        domain = str(row.get("email", "")).rpartition("@")[2].strip().lower()
        targets = [domains[domain]] if domain in domains else []
    unlabeled, primary = DEFAULT_TYPES.get((object_type, "companies"), (0, None))
    for position, company_id in enumerate(targets):
        if crm.find("companies", company_id) is None:
            continue
        types = {("HUBSPOT_DEFINED", unlabeled)}
        if position == 0 and primary is not None:
            types.add(("HUBSPOT_DEFINED", primary))
        crm.associations.add(object_type, object_id, "companies", company_id, types)


def read_export(folder: str | Path, chunk: int = 2000) -> Iterator[tuple[str, list[dict[str, str]]]]:
    """(object path, canonical rows) in chunks, companies first so contacts and deals can link to them."""
    for filename, object_type, path in FILES:
        source = Path(folder) / filename
        if not source.exists():
            continue
        with CsvReader(source) as reader:
            header = map_headers(reader.columns, object_type)
            rows: list[dict[str, str]] = []
            for row in reader:
                cells = row.cells
                rows.append({name: cells[pos] for pos, name in header.canonical.items() if pos < len(cells)})
                if len(rows) >= chunk:
                    yield path, rows
                    rows = []
            if rows:
                yield path, rows


def seed_from_export(crm: FakeCrm, folder: str | Path) -> dict[str, int]:
    """Seeds an in-process fake; returns records added per object type."""
    added: dict[str, int] = {}
    for path, rows in read_export(folder):
        added[path] = added.get(path, 0) + seed_rows(crm, path, rows)
    return added


def seed_running_fake(base_url: str, folder: str | Path, *, timeout: float = 60.0) -> dict[str, int]:
    """Seeds a fake running elsewhere (``crm-hygiene fake-hubspot``) through ``POST /_fake/seed``."""
    added: dict[str, int] = {}
    for path, rows in read_export(folder):
        body = json.dumps({"object_type": path, "rows": rows}).encode()
        request = urllib.request.Request(
            base_url.rstrip("/") + "/_fake/seed",
            data=body,
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer: dict[str, Any] = json.loads(response.read())
        added[path] = added.get(path, 0) + int(answer["added"])
    return added
