"""HubSpot write safety over a real socket (issue 10, deliverable 4): the "Why" reproduction (a 503 after
the write landed, a person's edit before our next attempt) and a property test over random fault
sequences with people editing between our attempts. Faults are set through the fake's HTTP control
endpoint, as the demo and the CLI set them."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_hygiene.adapters.crm.hubspot import HubSpotCrmStore
from crm_hygiene.adapters.crm.hubspot_limits import HubSpotLimits
from crm_hygiene.local.fake_hubspot import DEFAULT_TOKEN, FakeHubSpot, FakeHubSpotServer, FakeLimits
from crm_hygiene.local.fake_hubspot.crm import Source
from crm_hygiene.memory import InMemoryAuditLog, InMemoryChangeQueue
from crm_hygiene.models.crm import FieldWrite, WriteResult
from crm_hygiene.models.merge import MergeProposal
from crm_hygiene.models.messages import MergeTask
from crm_hygiene.resilience import RetryPolicy
from crm_hygiene.services.merge.core import perform_merge
from crm_hygiene.standard.loader import default_standard

FAST = HubSpotLimits(requests_per_interval=100_000, search_per_second=10_000)


def connector(server: FakeHubSpotServer, *, timeout: float = 2.0) -> HubSpotCrmStore:
    return HubSpotCrmStore.from_settings(
        base_url=server.url, token=DEFAULT_TOKEN, timeout=timeout, sleep=lambda _s: None, settle_seconds=0.0,
        limits=FAST,
    )  # fmt: skip


def patient_connector(server: FakeHubSpotServer) -> HubSpotCrmStore:
    """Short timeouts, real (short) pauses: a request the loaded machine was slow to serve still lands
    before the re-read (the settle pause), as in production, so a double write would be a real one."""
    return HubSpotCrmStore.from_settings(
        base_url=server.url, token=DEFAULT_TOKEN, timeout=0.4, settle_seconds=0.3, limits=FAST,
        retry=RetryPolicy(max_attempts=8, base_delay=0.01, max_delay=0.05,
                          retry_statuses=frozenset({429, 500, 502, 503, 504, 423, 477})),
    )  # fmt: skip


def inject(server: FakeHubSpotServer, *faults: dict[str, Any]) -> None:
    answer = httpx.post(f"{server.url}/_fake/faults", json={"faults": list(faults)})
    assert answer.status_code == 204, answer.text


def integration_values(fake: FakeHubSpot, object_id: int | str, prop: str) -> list[str]:
    """What the connector wrote to the property, oldest first (the fake's property history)."""
    entries = fake.crm.get("contacts", object_id).history.get(prop, [])
    return [e["value"] for e in entries if e["sourceType"] == "INTEGRATION"]


# -- the "Why" reproduction -----------------------------------------------------------------------------------


def test_why_a_503_after_the_write_landed_never_overwrites_a_persons_edit(
    fake_hubspot: FakeHubSpotServer,
) -> None:
    # Given 30 contacts whose city we change, and HubSpot answering the batch update 503 after it
    # processed it, while a person edits the city of each of them before our next attempt
    fake = fake_hubspot.fake
    store = connector(fake_hubspot)
    ids = [str(100051 + i) for i in range(30)]
    records = {r.record_id: r for r in store.get_records("contact", ids)}
    writes = [
        FieldWrite(record_id=i, field="city", expected_old=records[i].get("city"), new_value=f"Ours {i}",
                   change_id=i)
        for i in ids
    ]  # fmt: skip
    edits = [{"object_type": "contacts", "id": i, "properties": {"city": f"Person {i}"}} for i in ids]
    inject(fake_hubspot, {"kind": "status", "status": 503, "method": "POST", "path": "batch/update",
                          "phase": "after", "edits": edits})  # fmt: skip
    # When the connector writes them
    results = store.write_fields("contact", writes)
    # Then none of the 30 is written twice and every person's edit stands, reported as a conflict
    assert fake.stats()["writes"]["repeated"] == 0
    assert all(integration_values(fake, i, "city") == [f"Ours {i}"] for i in ids)
    assert {i: fake.crm.get("contacts", i).props["city"] for i in ids} == {i: f"Person {i}" for i in ids}
    assert {(r.status, r.current) for r in results} == {
        ("conflict", f"Person {r.record_id}") for r in results
    }
    assert fake.faults.fired["status:503"] == 1 and fake.requests["batch_update"] == 1


def test_why_without_a_persons_edit_the_write_that_landed_is_applied_once(
    fake_hubspot: FakeHubSpotServer,
) -> None:
    fake = fake_hubspot.fake
    store = connector(fake_hubspot)
    ids = [str(100051 + i) for i in range(30)]
    records = {r.record_id: r for r in store.get_records("contact", ids)}
    writes = [
        FieldWrite(record_id=i, field="job_title", expected_old=records[i].get("job_title"),
                   new_value=f"Title {i}", change_id=i)
        for i in ids
    ]  # fmt: skip
    inject(fake_hubspot, {"kind": "status", "status": 503, "method": "POST", "path": "batch/update",
                          "phase": "after"})  # fmt: skip
    results = store.write_fields("contact", writes)
    assert {r.status for r in results} == {"applied"}
    assert fake.stats()["writes"] == {"total": 30, "repeated": 0}


def test_a_merge_done_under_a_503_is_reported_done(fake_hubspot: FakeHubSpotServer) -> None:
    fake = fake_hubspot.fake
    store = connector(fake_hubspot)
    inject(
        fake_hubspot, {"kind": "status", "status": 503, "method": "POST", "path": "/merge", "phase": "after"}
    )
    result = store.merge("contact", "100090", "100091")
    assert result.surviving_id == str(fake.crm.get("contacts", "100091").id)
    assert fake.requests["merge"] == 1 and result.detail.startswith("merged: confirmed")


def test_lifecycle_set_and_restore_failing_over_http_signal_the_restore(
    fake_hubspot: FakeHubSpotServer,
) -> None:
    fake = fake_hubspot.fake
    seeding = Source("IMPORT", "test")
    fake.crm.update("contacts", "100095", {"lifecyclestage": ""}, source=seeding)
    fake.crm.update("contacts", "100095", {"lifecyclestage": "customer"}, source=seeding)
    store = connector(fake_hubspot)
    write = FieldWrite(record_id="100095", field="lifecycle_stage", expected_old="Customer", new_value="Lead",
                       change_id="back")  # fmt: skip
    inject(
        fake_hubspot, {"kind": "drop", "method": "PATCH", "path": "/contacts/100095$", "skip": 1, "times": 99}
    )
    (result,) = store.write_fields("contact", [write])
    assert fake.crm.get("contacts", "100095").props["lifecyclestage"] == ""
    assert result.status == "failed" and result.restore == "Customer"


# -- property: random faults, people editing between our attempts --------------------------------------------

WRITE_TARGETS = [("POST", "batch/update"), ("PATCH", "/crm/v3/objects/contacts/")]
READ_TARGET = ("POST", "batch/read")


@st.composite
def a_fault(draw: st.DrawFn, people: list[str]) -> dict[str, Any]:
    """One fault; only faults that spoil a write attempt carry a person's edits (between our attempts)."""
    kind = draw(st.sampled_from(["5xx before", "5xx after", "drop before", "drop after", "timeout after",
                                 "429", "423/477", "read 5xx"]))  # fmt: skip
    method, path = draw(st.sampled_from(WRITE_TARGETS)) if kind != "read 5xx" else READ_TARGET
    fault: dict[str, Any] = {"method": method, "path": path, "times": draw(st.integers(1, 3)),
                             "skip": draw(st.integers(0, 3))}  # fmt: skip
    if kind.startswith("5xx") or kind == "read 5xx":
        fault.update(kind="status", status=draw(st.sampled_from([500, 502, 503, 504])))
    elif kind.startswith("drop"):
        fault.update(kind="drop")
    elif kind == "timeout after":
        fault.update(kind="slow", delay=0.6)
    elif kind == "429":
        fault.update(kind="rate_limit")
    else:
        fault.update(kind="status", status=draw(st.sampled_from([423, 477])))
    fault["phase"] = "after" if kind.endswith("after") else "before"
    if kind != "read 5xx" and people:
        edited = draw(st.lists(st.sampled_from(people), max_size=3, unique=True))
        fault["edits"] = [
            {"object_type": "contacts", "id": i, "properties": {draw(st.sampled_from(["city", "jobtitle",
             "lifecyclestage"])): "other"}}
            for i in edited
        ]  # fmt: skip
    return fault


@pytest.fixture(scope="module")
def shared_fake() -> Iterator[FakeHubSpotServer]:
    fake = FakeHubSpot(limits=FakeLimits(per_interval=1_000_000, search_per_second=10_000))
    with FakeHubSpotServer(fake) as server:
        yield server


_serial = itertools.count()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_faults_and_people_editing_never_lose_an_edit_or_write_twice(
    data: st.DataObject, shared_fake: FakeHubSpotServer
) -> None:
    # Given fresh contacts, writes to two fields of each and a lifecycle stage moved back on some,
    fake = shared_fake.fake
    fake.faults.clear()
    n = data.draw(st.integers(3, 8), label="records")
    serial = next(_serial)
    ids = [str(fake.crm.create("contacts", {"email": f"p{serial}-{k}@example.com", "city": "Old town",
                                             "jobtitle": "Old title", "lifecyclestage": "customer"},
                               system=True).id) for k in range(n)]  # fmt: skip
    back = set(data.draw(st.lists(st.sampled_from(ids), unique=True), label="moved back"))
    writes = [
        FieldWrite(record_id=i, field=f, expected_old=old, new_value=f"{f} {i}", change_id=f"{i}/{f}")
        for i in ids for f, old in (("city", "Old town"), ("job_title", "Old title"))
    ] + [
        FieldWrite(record_id=i, field="lifecycle_stage", expected_old="Customer", new_value="Lead",
                   change_id=f"{i}/stage")
        for i in sorted(back)
    ]  # fmt: skip
    # and random faults on writes and reads, people editing fields of them when a write attempt fails
    faults = data.draw(st.lists(a_fault(ids), min_size=1, max_size=5), label="faults")
    inject(shared_fake, *faults)
    # When they are written over the socket
    results = patient_connector(shared_fake).write_fields("contact", writes)
    # Then no person's edit is overwritten, nothing is written twice, no stage is left empty unsignalled
    by_id = {r.change_id: r for r in results}
    for i in ids:
        _check_record(fake, i, by_id, moved_back=i in back)


def _check_record(
    fake: FakeHubSpot, record_id: str, results: dict[str, WriteResult], *, moved_back: bool
) -> None:
    obj = fake.crm.get("contacts", record_id)
    for prop, field in (("city", "city"), ("jobtitle", "job_title"), ("lifecyclestage", "stage")):
        history = obj.history.get(prop, [])
        sources = [e["sourceType"] for e in history]
        if "CRM_UI" in sources:  # a person's edit is never followed by one of ours
            assert "INTEGRATION" not in sources[sources.index("CRM_UI") :], (prop, history)
        ours = [e["value"] for e in history if e["sourceType"] == "INTEGRATION"]
        assert len(ours) == len(set(ours)), (prop, history)  # no value written twice
        result = results.get(f"{record_id}/{field}")
        if result is None:
            continue
        if result.status == "failed" and result.detail.startswith("not applied"):
            assert result.restore is not None or obj.props.get(prop) or not moved_back
        if result.status == "applied":
            assert ours and ours[-1] in (f"{field} {record_id}", "lead"), (result, history)
    if moved_back and obj.props.get("lifecyclestage", "") == "":
        result = results[f"{record_id}/stage"]
        assert result.status == "failed" and result.restore == "Customer", (
            result,
            obj.history.get("lifecyclestage"),
        )


def test_a_merge_done_under_a_503_is_audited_by_the_merge_use_case(fake_hubspot: FakeHubSpotServer) -> None:
    # Given an auto-band merge of two contacts, and HubSpot answering the merge 503 after doing it
    proposal = MergeProposal(
        object_type="contact", members=("100092", "100093"), match_probability=0.99, suggested_primary="100092",
        band="auto",
    )  # fmt: skip
    task = MergeTask(review_id=f"merge-{proposal.proposal_id}", run_id="run-1", proposal=proposal)
    queue, audit = InMemoryChangeQueue(), InMemoryAuditLog()
    inject(
        fake_hubspot, {"kind": "status", "status": 503, "method": "POST", "path": "/merge", "phase": "after"}
    )
    # When the merge step runs
    outcome = perform_merge(
        task, queue=queue, crm=connector(fake_hubspot), audit=audit, standard=default_standard()
    )
    # Then it is done with the survivor's id, and audited
    survivor = str(fake_hubspot.fake.crm.get("contacts", "100093").id)
    assert outcome.status == "applied" and outcome.surviving_id == survivor
    merged = [e for e in audit.history("contact", "100093") if e.action == "merged"]
    assert [e.after for e in merged] == [survivor] and fake_hubspot.fake.requests["merge"] == 1
    assert queue.get(task.review_id).status == "applied"
