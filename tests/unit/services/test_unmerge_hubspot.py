"""Unmerge against the contract-faithful fake HubSpot (in-process, virtual clock): HubSpot merges mint a
new id and cannot be undone, so each merged-away record comes back as a new record from its
before-image, re-associated with its labels, with a ``merged_from`` note on it and on the survivor,
and the old -> new id mapping in the result and the audit.

Property: over random merges of random contacts (random properties, owners, lifecycle stages and
labelled company associations), every recreated record's writable properties, canonical fields and
associations equal its before-image, under a new id, and the survivor's fields are back.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_hygiene.adapters.crm.hubspot import HubSpotCrmStore
from crm_hygiene.adapters.crm.hubspot_properties import OBJECT_PATHS
from crm_hygiene.errors import HygieneError
from crm_hygiene.local.fake_hubspot import FakeHubSpot
from crm_hygiene.local.fake_hubspot.catalog import LEAD_STATUS, LIFECYCLE
from crm_hygiene.local.fake_hubspot.faults import Fault
from crm_hygiene.memory import InMemoryAuditLog, InMemoryChangeQueue
from crm_hygiene.models.unmerge import RecordImage
from crm_hygiene.services.merge.unmerge import unmerge
from crm_hygiene.types import ObjectType
from tests.fakes.hubspot import VirtualClock, make_fake, store_for
from tests.unmerge_support import performed_merge

_emails = itertools.count(1)
SYSTEM_FIELDS = frozenset({"record_id", "created_at", "updated_at", "last_activity_at"})
TEXT = st.text(alphabet="abcdXYZ-", min_size=1, max_size=8)  # HubSpot trims whitespace
CONTACT = st.fixed_dictionaries(
    {},
    optional={
        "firstname": TEXT, "lastname": TEXT, "jobtitle": TEXT, "city": TEXT,
        "lifecyclestage": st.sampled_from([v for v, _ in LIFECYCLE]),
        "hs_lead_status": st.sampled_from([v for v, _ in LEAD_STATUS]),
        "owner": st.sampled_from(["Olga Owner", "Omar Owner"]),
        "email": st.just(True),
        "hs_email_optout": st.just("true"),
        "companies": st.lists(st.tuples(st.integers(0, 2), st.booleans()), max_size=2, unique_by=lambda t: t[0]),
    },
)  # fmt: skip


def _portal() -> tuple[FakeHubSpot, HubSpotCrmStore, list[int]]:
    clock = VirtualClock()
    fake = make_fake(clock)
    store = store_for(fake, clock)
    companies = [fake.crm.create("companies", {"name": f"Co {i}"}, system=True).id for i in range(3)]
    return fake, store, companies


def _contact(fake: FakeHubSpot, companies: list[int], spec: dict[str, Any]) -> str:
    props = {k: v for k, v in spec.items() if k not in ("owner", "email", "companies")}
    if "owner" in spec:
        props["hubspot_owner_id"] = fake.crm.set_owner_options(spec["owner"])
    if spec.get("email"):
        props["email"] = f"person{next(_emails)}@example.com"
    else:
        props.pop("hs_email_optout", None)  # subscription status belongs to an address
    contact = fake.crm.create("contacts", props, system=True)
    for index, primary in spec.get("companies", []):
        types = {("HUBSPOT_DEFINED", 279)} | ({("HUBSPOT_DEFINED", 1)} if primary else set())
        fake.crm.associations.add("contacts", contact.id, "companies", companies[index], types)
    return str(contact.id)


def _writable(store: HubSpotCrmStore, image: RecordImage) -> dict[str, str]:
    specs = store.catalog("contact").specs
    return {k: v for k, v in image.properties.items() if k in specs and specs[k].writable}


def _links(image: RecordImage) -> set[tuple[str, str, frozenset[tuple[str, int]]]]:
    return {(a.to_type, a.to_id, frozenset(a.types)) for a in image.associations}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs=st.lists(CONTACT, min_size=2, max_size=3), winners=st.dictionaries(
    st.sampled_from(["job_title", "city"]), TEXT, max_size=2))  # fmt: skip
def test_unmerge_recreates_every_member_from_its_before_image(
    specs: list[dict[str, Any]], winners: dict[str, str]
) -> None:
    # Given random contacts in HubSpot, merged into the first
    fake, store, companies = _portal()
    ids = [_contact(fake, companies, spec) for spec in specs]
    before = {i.record_id: i for i in store.snapshot("contact", ids)}
    queue, audit = InMemoryChangeQueue(), InMemoryAuditLog()
    review_id, outcome = performed_merge(
        ids, {n: (v, ids[0]) for n, v in winners.items()}, queue=queue, crm=store, audit=audit
    )
    survivor = outcome.surviving_id
    assert survivor not in ids  # HubSpot minted a new id
    # When it is unmerged
    result = unmerge(review_id, "rita", queue=queue, crm=store, audit=audit)
    # Then every merged-away contact is a new record equal to its before-image, the mapping recorded
    assert [r.old_id for r in result.restored] == ids[1:]
    for restored in result.restored:
        assert restored.new_id not in (*ids, survivor)
        [now] = store.snapshot("contact", [restored.new_id])
        was = before[restored.old_id]
        assert _writable(store, now) == _writable(store, was)
        # consent is read-only in the objects API, and follows the address (HubSpot keeps it per email)
        assert now.properties.get("hs_email_optout") == was.properties.get("hs_email_optout")
        assert {k: v for k, v in now.fields.items() if k not in SYSTEM_FIELDS} == {
            k: v for k, v in was.fields.items() if k not in SYSTEM_FIELDS
        }
        assert {a for a in _links(now) if a[0] != "notes"} == _links(was)
        mapping = [e for e in audit.history("contact", restored.old_id) if e.action == "unmerged"]
        assert [(e.before, e.after) for e in mapping] == [(restored.old_id, restored.new_id)]
        # And one merged_from note sits on the new record and on the survivor
        notes = fake.crm.associations.types("contacts", int(restored.new_id), "notes")
        assert len(notes) == 1
        [note_id] = notes
        assert fake.crm.table("notes").objects[note_id].props["hs_note_body"].startswith("merged_from:")
        assert int(survivor) in fake.crm.associations.types("notes", note_id, "contacts")
    # And the survivor's fields are back to the primary's before the merge
    [now_survivor] = store.snapshot("contact", [survivor])
    primary = before[ids[0]]
    visible = {k: v for k, v in primary.fields.items() if v and k not in SYSTEM_FIELDS}
    assert {k: v for k, v in now_survivor.fields.items() if v and k not in SYSTEM_FIELDS} == visible
    assert result.conflicts == [] and queue.get(review_id).status == "rolled_back"


def test_a_repeated_unmerge_after_a_crash_finds_the_contact_it_created() -> None:
    # Given a merge of two contacts with emails, and an unmerge that crashed right after the CRM created
    # the record (before its audit outcome)
    fake, store, companies = _portal()
    ids = [_contact(fake, companies, {"firstname": "Ada", "email": True}),
           _contact(fake, companies, {"firstname": "Ann", "email": True, "companies": [(0, True)]})]  # fmt: skip
    queue, audit = InMemoryChangeQueue(), InMemoryAuditLog()
    review_id, outcome = performed_merge(ids, {}, queue=queue, crm=store, audit=audit)
    [image] = [
        RecordImage.model_validate_json(e.before or "")
        for e in audit.by_change(review_id)
        if e.action == "before_image" and e.record_id == ids[1]
    ]
    first = store.restore_merged("contact", image, outcome.surviving_id)
    # When the unmerge runs (again)
    result = unmerge(review_id, "rita", queue=queue, crm=store, audit=audit)
    # Then it finds that record instead of creating a second one
    assert [(r.old_id, r.new_id) for r in result.restored] == [(ids[1], first)]
    live = list(fake.crm.table("contacts").live())
    assert len(live) == 2


def _company_or_deal(fake: FakeHubSpot, object_type: str, name: str, contact: int, company: int) -> str:
    """A company (linked to a contact as its primary company, and labelled) or a deal (linked to a
    contact and to its primary company)."""
    crm = fake.crm
    if object_type == "company":
        record = crm.create("companies", {"name": name, "city": "Lyon"}, system=True).id
        crm.associations.add(
            "companies", record, "contacts", contact, {("HUBSPOT_DEFINED", 280), ("HUBSPOT_DEFINED", 2)}
        )
        return str(record)
    props = {"dealname": name, "dealstage": "qualifiedtobuy", "pipeline": "default", "amount": "1200"}
    record = crm.create("deals", props, system=True).id
    crm.associations.add("deals", record, "contacts", contact, {("HUBSPOT_DEFINED", 3)})
    crm.associations.add(
        "deals", record, "companies", company, {("HUBSPOT_DEFINED", 341), ("HUBSPOT_DEFINED", 5)}
    )
    return str(record)


@pytest.mark.parametrize("object_type", ["company", "deal"])
def test_a_repeated_unmerge_after_a_crash_right_after_the_create_makes_one_record(
    object_type: ObjectType,
) -> None:
    # Given a merge of two companies (deals), each with its associations
    fake, store, companies = _portal()
    path = OBJECT_PATHS[object_type]
    contact = fake.crm.create("contacts", {"firstname": "Ada"}, system=True).id
    ids = [_company_or_deal(fake, object_type, f"{object_type} {n}", contact, companies[0]) for n in "AB"]
    before = {i.record_id: i for i in store.snapshot(object_type, ids)}
    queue, audit = InMemoryChangeQueue(), InMemoryAuditLog()
    review_id, outcome = performed_merge(
        ids, {}, queue=queue, crm=store, audit=audit, object_type=object_type
    )
    survivor = outcome.surviving_id
    existing = {o.id for o in fake.crm.table(path).live()}
    live_before = len(existing)
    # And an unmerge that crashes right after HubSpot created the record (the answer never came back)
    fake.faults.add(Fault(kind="drop", phase="after", method="POST", path=rf"^/crm/v3/objects/{path}$"))
    with pytest.raises(HygieneError):
        unmerge(review_id, "rita", queue=queue, crm=store, audit=audit)
    [landed] = {o.id for o in fake.crm.table(path).live()} - existing  # the create landed
    assert fake.crm.associations.types(path, landed, "notes")  # with its merged_from note, at once
    # When the unmerge is repeated
    result = unmerge(review_id, "rita", queue=queue, crm=store, audit=audit)
    # Then there is exactly one record more than before the unmerge: the one the crashed attempt made
    assert len(list(fake.crm.table(path).live())) == live_before + 1
    [restored] = result.restored
    assert restored.old_id == ids[1] and restored.new_id not in (*ids, survivor)
    assert {o.id for o in fake.crm.table(path).live()} - existing == {int(restored.new_id)}
    # And its associations are the before-image's, with their types and labels
    [now] = store.snapshot(object_type, [restored.new_id])
    assert {a for a in _links(now) if a[0] != "notes"} == _links(before[ids[1]])
    assert now.properties["hs_object_id"] == restored.new_id
    # And one merged_from note, naming the old id, is on it and on the survivor (and no other note was made)
    [note_id] = fake.crm.associations.types(path, int(restored.new_id), "notes")
    body = fake.crm.table("notes").objects[note_id].props["hs_note_body"]
    assert body.startswith("merged_from:") and f"crm-hygiene unmerge: {object_type} {ids[1]};" in body
    assert int(survivor) in fake.crm.associations.types("notes", note_id, path)
    assert len(list(fake.crm.table("notes").live())) == 1
    # And the mapping recorded is that one record
    mapping = [e for e in audit.history(object_type, ids[1]) if e.action == "unmerged"]
    assert [(e.before, e.after) for e in mapping] == [(ids[1], restored.new_id)]
    assert queue.get(review_id).status == "rolled_back"


@pytest.mark.parametrize("object_type", ["company", "deal"])
def test_a_repeat_after_a_crash_before_the_create_reuses_the_note(object_type: ObjectType) -> None:
    # Given a merge, and an unmerge that wrote the merged_from note and then crashed before the create
    fake, store, companies = _portal()
    path = OBJECT_PATHS[object_type]
    contact = fake.crm.create("contacts", {"firstname": "Ada"}, system=True).id
    ids = [_company_or_deal(fake, object_type, f"{object_type} {n}", contact, companies[0]) for n in "AB"]
    queue, audit = InMemoryChangeQueue(), InMemoryAuditLog()
    review_id, outcome = performed_merge(
        ids, {}, queue=queue, crm=store, audit=audit, object_type=object_type
    )
    live_before = len(list(fake.crm.table(path).live()))
    fake.faults.add(Fault(kind="status", status=400, method="POST", path=rf"^/crm/v3/objects/{path}$"))
    with pytest.raises(HygieneError):
        unmerge(review_id, "rita", queue=queue, crm=store, audit=audit)
    assert len(list(fake.crm.table(path).live())) == live_before
    assert len(list(fake.crm.table("notes").live())) == 1  # the note was left, on the survivor
    # When the unmerge is repeated
    result = unmerge(review_id, "rita", queue=queue, crm=store, audit=audit)
    # Then one record is made, and the note the crashed attempt left is the one on it and the survivor
    assert len(list(fake.crm.table(path).live())) == live_before + 1
    [restored] = result.restored
    [note] = list(fake.crm.table("notes").live())
    assert set(fake.crm.associations.types("notes", note.id, path)) == {
        int(outcome.surviving_id),
        int(restored.new_id),
    }
