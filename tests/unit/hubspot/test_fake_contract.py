"""The fake against the documented contract (crm-apis.md Part A), request by request."""

from __future__ import annotations

import json
from typing import Any

import pytest

from crm_hygiene.local.fake_hubspot import (
    DEFAULT_TOKEN,
    FakeHubSpot,
    FakeLimits,
    FakeResponse,
    Fault,
    PersonEdit,
)
from tests.fakes.hubspot import VirtualClock, make_fake

AUTH = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}


def call(
    fake: FakeHubSpot, method: str, target: str, body: Any = None, headers: dict[str, str] | None = None
) -> FakeResponse:
    raw = json.dumps(body).encode() if body is not None else b""
    return fake.handle(method, target, AUTH if headers is None else headers, raw)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def fake(clock: VirtualClock) -> FakeHubSpot:
    fake = make_fake(clock)
    for i in range(12):
        fake.crm.create("contacts", {"email": f"p{i}@x.com", "firstname": f"P{i}"}, system=True)
    fake.crm.create("companies", {"name": "Acme", "domain": "acme.com"}, system=True)
    return fake


def test_auth_errors_use_the_documented_body(fake: FakeHubSpot) -> None:
    answer = call(fake, "GET", "/crm/v3/objects/contacts", headers={"Authorization": "Bearer nope"})
    assert answer.status == 401
    assert {"status", "message", "correlationId", "category"} <= answer.json().keys()
    assert answer.json()["category"] == "INVALID_AUTHENTICATION"


def test_list_paging_and_record_shape(fake: FakeHubSpot) -> None:
    first = call(fake, "GET", "/crm/v3/objects/contacts?limit=5&properties=email,phone").json()
    assert len(first["results"]) == 5 and first["paging"]["next"]["after"] == "6"
    assert first["paging"]["next"]["link"].endswith("after=6")
    record = first["results"][0]
    assert record.keys() >= {"id", "properties", "createdAt", "updatedAt", "archived"}
    assert record["properties"]["phone"] is None  # requested, empty: null for contacts
    assert {"hs_object_id", "createdate", "lastmodifieddate"} <= record["properties"].keys()
    last = call(fake, "GET", "/crm/v3/objects/contacts?limit=100&after=11").json()
    assert "paging" not in last and [r["id"] for r in last["results"]] == ["11", "12"]
    assert call(fake, "GET", "/crm/v3/objects/contacts?limit=101").status == 400


def test_companies_leave_out_empty_properties(fake: FakeHubSpot) -> None:
    record = call(fake, "GET", "/crm/v3/objects/companies?properties=name,phone").json()["results"][0]
    assert "phone" not in record["properties"] and record["properties"]["name"] == "Acme"


def test_object_type_ids_and_dated_paths_are_accepted(fake: FakeHubSpot) -> None:
    assert call(fake, "GET", "/crm/v3/objects/0-1/1").json()["id"] == "1"
    assert call(fake, "GET", "/crm/objects/2026-03/contacts/1").status == 200
    assert call(fake, "GET", "/crm/v3/objects/contacts/p3@x.com?idProperty=email").json()["id"] == "4"


def test_batch_limits(fake: FakeHubSpot) -> None:
    inputs = [{"id": str(i)} for i in range(1, 102)]
    answer = call(fake, "POST", "/crm/v3/objects/contacts/batch/read", {"inputs": inputs})
    assert answer.status == 400 and "100" in answer.json()["message"]
    history = {"inputs": inputs[:51], "propertiesWithHistory": ["email"]}
    answer = call(fake, "POST", "/crm/v3/objects/contacts/batch/read", history)
    assert answer.status == 400 and "property histories is 50" in answer.json()["message"]
    partial = call(
        fake, "POST", "/crm/v3/objects/contacts/batch/read", {"inputs": [{"id": "1"}, {"id": "999"}]}
    )
    assert partial.status == 207 and partial.json()["numErrors"] == 1
    assert partial.json()["errors"][0]["context"]["ids"] == ["999"]


def test_batch_update_refuses_read_only_and_unknown_properties_as_a_whole(fake: FakeHubSpot) -> None:
    body = {
        "inputs": [
            {"id": "1", "properties": {"firstname": "A"}},
            {"id": "2", "properties": {"createdate": "2020-01-01"}},
        ]
    }
    answer = call(fake, "POST", "/crm/v3/objects/contacts/batch/update", body)
    assert answer.status == 400 and answer.json()["errors"][0]["code"] == "READ_ONLY_VALUE"
    assert fake.crm.get("contacts", 1).props["firstname"] == "P0"  # nothing applied
    body = {"inputs": [{"id": "1", "properties": {"shoe_size": "9"}}]}
    assert (
        call(fake, "POST", "/crm/v3/objects/contacts/batch/update", body).json()["errors"][0]["code"]
        == "PROPERTY_DOESNT_EXIST"
    )


def test_patch_clears_with_an_empty_string(fake: FakeHubSpot) -> None:
    answer = call(fake, "PATCH", "/crm/v3/objects/contacts/1", {"properties": {"firstname": ""}})
    assert answer.status == 200 and answer.json()["properties"]["firstname"] is None


def test_search_limits_window_and_archived_records(fake: FakeHubSpot) -> None:
    url = "/crm/v3/objects/contacts/search"
    assert call(fake, "POST", url, {"limit": 201}).status == 400
    assert call(fake, "POST", url, {"limit": 10, "after": "10000"}).status == 400
    groups = [{"filters": [{"propertyName": "email", "operator": "HAS_PROPERTY"}]}] * 6
    assert call(fake, "POST", url, {"filterGroups": groups}).status == 400
    fake.crm.archive("contacts", 2)
    answer = call(
        fake,
        "POST",
        url,
        {"limit": 5, "sorts": [{"propertyName": "hs_object_id", "direction": "DESCENDING"}]},
    )
    body = answer.json()
    assert body["total"] == 11 and body["paging"]["next"]["after"] == "5" and body["results"][0]["id"] == "12"
    assert not any(h.startswith("X-HubSpot-RateLimit") for h in answer.headers)  # search carries none
    token = {
        "filterGroups": [
            {"filters": [{"propertyName": "email", "operator": "CONTAINS_TOKEN", "value": "p1*"}]}
        ]
    }
    assert {r["id"] for r in call(fake, "POST", url, token).json()["results"]} == {"2", "11", "12"} - {"2"}
    archived = call(fake, "GET", "/crm/v3/objects/contacts?archived=true").json()["results"]
    assert [r["id"] for r in archived] == ["2"] and archived[0]["archived"] is True


def test_rate_limits_answer_429_with_policy_and_headers(clock: VirtualClock) -> None:
    fake = make_fake(clock, limits=FakeLimits(per_interval=3, interval_seconds=10, search_per_second=5))
    answers = [call(fake, "GET", "/crm/v3/objects/contacts") for _ in range(4)]
    assert [a.status for a in answers] == [200, 200, 200, 429]
    assert answers[0].headers["X-HubSpot-RateLimit-Max"] == "3"
    assert answers[0].headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert answers[2].headers["X-HubSpot-RateLimit-Remaining"] == "0"
    body = answers[3].json()
    assert (
        body["policyName"] == "TEN_SECONDLY_ROLLING"
        and body["errorType"] == "RATE_LIMIT"
        and "category" not in body
    )
    clock.sleep(10)
    assert call(fake, "GET", "/crm/v3/objects/contacts").status == 200
    searches = [call(fake, "POST", "/crm/v3/objects/contacts/search", {}).status for _ in range(6)]
    assert searches == [200] * 5 + [429]
    assert fake.stats()["over_limit"] == {"TEN_SECONDLY_ROLLING": 1, "SECONDLY": 1}


def test_properties_carry_what_the_connector_needs(fake: FakeHubSpot) -> None:
    results = call(fake, "GET", "/crm/v3/properties/contacts").json()["results"]
    by_name = {p["name"]: p for p in results}
    for prop in results:
        assert {"name", "label", "type", "fieldType", "groupName", "description", "options"} <= prop.keys()
    assert by_name["lastmodifieddate"]["modificationMetadata"]["readOnlyValue"] is True
    assert by_name["notes_last_updated"]["calculated"] is True
    assert by_name["lifecyclestage"]["options"][1] == {"label": "Lead", "value": "lead", "displayOrder": 1,
                                                       "hidden": False, "description": ""}  # fmt: skip
    assert call(fake, "GET", "/crm/v3/properties/contacts/nope").status == 404


def test_merge_semantics(fake: FakeHubSpot) -> None:
    fake.crm.update("contacts", 3, {"phone": "+15550001"})
    answer = call(
        fake, "POST", "/crm/v3/objects/contacts/merge", {"primaryObjectId": "1", "objectIdToMerge": "3"}
    )
    survivor = answer.json()
    assert answer.status == 200 and survivor["id"] not in {"1", "3"}
    old = call(
        fake, "GET", "/crm/v3/objects/contacts/3?properties=phone,hs_merged_object_ids,hs_additional_emails"
    ).json()
    assert old["id"] == survivor["id"]
    assert old["properties"]["hs_merged_object_ids"] == "1;3" and old["properties"]["phone"] == "+15550001"
    assert old["properties"]["hs_additional_emails"] == "p2@x.com"
    batch = call(
        fake,
        "POST",
        "/crm/v3/objects/contacts/batch/update",
        {"inputs": [{"id": "3", "properties": {"city": "X"}}]},
    )
    assert batch.status == 207  # batch endpoints do not take merged-away ids
    assert call(fake, "PATCH", "/crm/v3/objects/contacts/3", {"properties": {"city": "X"}}).status == 200


def test_v4_associations(fake: FakeHubSpot) -> None:
    put = call(fake, "PUT", "/crm/v4/objects/contacts/1/associations/default/companies/13")
    assert put.status == 200 and put.json()["results"][0]["associationSpec"]["associationTypeId"] == 279
    labelled = call(fake, "PUT", "/crm/v4/objects/contacts/1/associations/companies/13",
                    [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1},
                     {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}])  # fmt: skip
    assert labelled.status == 201 and labelled.json()["labels"] == ["Primary"]
    listed = call(fake, "GET", "/crm/v4/objects/contacts/1/associations/companies").json()["results"]
    assert listed[0]["toObjectId"] == 13 and {t["typeId"] for t in listed[0]["associationTypes"]} == {1, 279}
    back = call(
        fake,
        "POST",
        "/crm/v4/associations/companies/contacts/batch/read",
        {"inputs": [{"id": "13"}, {"id": "99"}]},
    )
    assert back.status == 207 and back.json()["results"][0]["to"][0]["toObjectId"] == 1
    assert {t["typeId"] for t in back.json()["results"][0]["to"][0]["associationTypes"]} == {2, 280}
    assert call(fake, "DELETE", "/crm/v4/objects/contacts/1/associations/companies/13").status == 204


def test_faults_fire_as_planned(fake: FakeHubSpot) -> None:
    fake.add_faults(
        Fault(kind="status", status=502, times=2, path="/objects/contacts$"),
        Fault(kind="drop", method="PATCH"),
        Fault(kind="rate_limit", retry_after=2, method="POST"),
    )
    assert [call(fake, "GET", "/crm/v3/objects/contacts").status for _ in range(3)] == [502, 502, 200]
    assert call(fake, "PATCH", "/crm/v3/objects/contacts/1", {"properties": {"city": "Y"}}).drop
    limited = call(fake, "POST", "/crm/v3/objects/contacts/search", {})
    assert limited.status == 429 and limited.headers["Retry-After"] == "2"
    assert fake.stats()["faults_fired"] == {"status:502": 2, "drop:before": 1, "rate_limit:before": 1}


def test_a_fault_can_carry_a_persons_edit_between_the_clients_attempts(fake: FakeHubSpot) -> None:
    # 503 after processing, with a person editing the record before the client can do anything else
    fake.add_faults(
        Fault.model_validate({
            "kind": "status", "status": 503, "method": "PATCH", "phase": "after",
            "edits": [{"object_type": "contacts", "id": "1", "properties": {"city": "Person"}}],
        }),
        Fault(kind="edit", method="GET", edits=[PersonEdit(object_type="0-1", id="2", properties={"city": "P2"})]),
        Fault(kind="edit", method="GET", edits=[PersonEdit(object_type="contacts", id="2", properties={"nope": "x"})]),
    )  # fmt: skip
    answer = call(fake, "PATCH", "/crm/v3/objects/contacts/1", {"properties": {"city": "Ours"}})
    assert answer.status == 503
    history = fake.crm.history(fake.crm.get("contacts", "1"), "city")
    assert [(h["value"], h["sourceType"]) for h in history[:2]] == [
        ("Person", "CRM_UI"),
        ("Ours", "INTEGRATION"),
    ]
    assert (
        call(fake, "GET", "/crm/v3/objects/contacts/2?properties=city").json()["properties"]["city"] == "P2"
    )
    assert (
        call(fake, "GET", "/crm/v3/objects/contacts/2").status == 200
    )  # an edit the UI refuses spoils nothing
    assert fake.stats()["faults_fired"] == {"status:503": 1, "edit:before": 2, "edit:refused": 1}
    assert fake.stats()["writes"] == {"total": 1, "repeated": 0}  # a person's edits are not the connector's
