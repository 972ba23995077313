"""CRM webhook → signature check → SQS scan request → entry scan, on moto."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from entry_handler import lambda_handler as entry_lambda
from webhook_handler import lambda_handler as webhook_lambda

from crm_hygiene.adapters.aws.crm_store import DynamoCrmStore
from crm_hygiene.csvio.records import read_records
from crm_hygiene.local.api_gateway import proxy_event
from crm_hygiene.local.fake_hubspot import FakeHubSpot, seed_from_export
from crm_hygiene.local.sample import generate_sample
from crm_hygiene.models.merge import pair_keys_of
from crm_hygiene.webhooks.signature import sign_v3
from crm_hygiene.wiring.aws import AwsDeps
from tests.events.factory import FakeContext, api_event, sqs_event
from tests.integration.conftest import drain

SECRET = "app-client-secret"
URI_PATH = "/v1/webhooks/hubspot"
OUR_APP_ID = "1160452"


@pytest.fixture
def webhook_deps(aws: dict[str, str], deps: AwsDeps, tmp_path: Path) -> AwsDeps:
    boto3.client("secretsmanager").create_secret(Name="hubspot/webhook", SecretString=SECRET)
    deps.settings = deps.settings.model_copy(update={"webhook_secret_name": "hubspot/webhook"})
    generate_sample(tmp_path, contacts=20, seed=9)
    assert isinstance(deps.crm, DynamoCrmStore)
    deps.crm.put_records(list(read_records(tmp_path / "contacts.csv")))
    return deps


@pytest.fixture
def hook_deps(webhook_deps: AwsDeps) -> AwsDeps:
    """The webhook function of a HubSpot deployment: it needs its secret, the idempotency table and the
    scan-requests queue, never the CRM store (the entry scan reads the internal table standing in)."""
    return AwsDeps(
        webhook_deps.settings.model_copy(update={"crm_kind": "hubspot", "hubspot_app_id": OUR_APP_ID})
    )


def delivery(
    events: list[dict[str, object]], *, secret: str = SECRET, age_ms: int = 0, query: str = ""
) -> dict[str, Any]:
    """A REST API (v1) event of a HubSpot delivery, signed for the URL with ``query`` as HubSpot calls it."""
    body = json.dumps(events)
    timestamp = str(int(time.time() * 1000) - age_ms)
    uri = f"https://hooks.example.com{URI_PATH}" + (f"?{query}" if query else "")
    signature = sign_v3(secret, "POST", uri, body.encode(), timestamp)
    event = api_event("POST", "/webhooks/hubspot", body, user=None, headers={
        "Host": "hooks.example.com", "X-HubSpot-Signature-v3": signature,
        "X-HubSpot-Request-Timestamp": timestamp})  # fmt: skip
    event["requestContext"]["path"] = URI_PATH
    return event


def property_change(object_id: str, event_id: int) -> dict[str, object]:
    return {"eventId": event_id, "subscriptionId": 1, "portalId": 62515, "appId": 7, "occurredAt": int(time.time() * 1000),
            "subscriptionType": "contact.propertyChange", "attemptNumber": 0, "objectId": int(object_id),
            "propertyName": "phone", "propertyValue": "x", "changeSource": "CRM_UI"}  # fmt: skip


def test_signed_webhook_is_queued_once_and_scanned_at_entry(
    aws: dict[str, str], webhook_deps: AwsDeps, hook_deps: AwsDeps
) -> None:
    deps = webhook_deps
    record_id = "100001"
    event = delivery([property_change(record_id, 11)])
    # When HubSpot delivers a signed event (and then retries the same delivery)
    first = webhook_lambda(event, FakeContext(), deps=hook_deps)
    second = webhook_lambda(event, FakeContext(), deps=hook_deps)
    # Then it is answered 200 both times, queued once
    assert first["statusCode"] == 200 and json.loads(first["body"])["accepted"] == 1
    assert second["statusCode"] == 200 and json.loads(second["body"])["duplicates"] == 1
    bodies = drain(aws["SCAN_REQUESTS_QUEUE_URL"])
    assert len(bodies) == 1 and json.loads(bodies[0])["record_id"] == record_id
    # And the entry scan checks that record now, queueing its problems
    result = entry_lambda(sqs_event(bodies, queue="scan-requests"), FakeContext(), deps=deps)
    assert result == {"batchItemFailures": []}
    items, _ = deps.queue.list(run_id="entry", limit=100)
    assert {i.record_id for i in items} <= {record_id}


def test_forged_or_stale_webhooks_are_401(hook_deps: AwsDeps, aws: dict[str, str]) -> None:
    forged = delivery([property_change("100001", 12)], secret="not-the-secret")
    assert webhook_lambda(forged, FakeContext(), deps=hook_deps)["statusCode"] == 401
    stale = delivery([property_change("100001", 13)], age_ms=10 * 60 * 1000)
    assert webhook_lambda(stale, FakeContext(), deps=hook_deps)["statusCode"] == 401
    assert drain(aws["SCAN_REQUESTS_QUEUE_URL"]) == []


@pytest.mark.parametrize(
    ("crm_kind", "path"),
    [
        ("internal", "/webhooks/hubspot"),  # the internal table sends no webhooks
        ("internal", "/webhooks/internal"),
        ("hubspot", "/webhooks/internal"),  # not this deployment's CRM
        ("hubspot", "/webhooks/salesforce"),
    ],
)
def test_a_webhook_for_a_crm_that_is_not_this_deployments_is_404(
    webhook_deps: AwsDeps, aws: dict[str, str], crm_kind: str, path: str
) -> None:
    # Given a deployment whose CRM is crm_kind
    deps = AwsDeps(webhook_deps.settings.model_copy(update={"crm_kind": crm_kind}))
    # When a correctly signed delivery arrives on another CRM's webhook path
    event: dict[str, Any] = dict(delivery([property_change("100001", 14)]))
    event["path"] = event["requestContext"]["path"] = path
    event["pathParameters"] = {"crm": path.rsplit("/", 1)[-1]}
    answer = webhook_lambda(event, FakeContext(), deps=deps)
    # Then it is refused with 404, saying why, and nothing is queued
    assert answer["statusCode"] == 404 and "webhook" in json.loads(answer["body"])["message"]
    assert drain(aws["SCAN_REQUESTS_QUEUE_URL"]) == []


def test_entry_scan_of_a_missing_record_is_not_an_error(webhook_deps: AwsDeps) -> None:
    body = json.dumps({"object_type": "contact", "record_id": "999999", "reason": "changed"})
    assert entry_lambda(sqs_event([body]), FakeContext(), deps=webhook_deps) == {"batchItemFailures": []}


def test_a_new_duplicate_at_entry_starts_the_merge_workflow(
    aws: dict[str, str], webhook_deps: AwsDeps, caplog: pytest.LogCaptureFixture
) -> None:
    deps = webhook_deps
    sfn = boto3.client("stepfunctions")
    sfn.create_state_machine(name="merge", roleArn="arn:aws:iam::123456789012:role/merge",
                             definition=json.dumps({"StartAt": "Wait", "States": {"Wait": {"Type": "Pass", "End": True}}}))  # fmt: skip
    assert isinstance(deps.crm, DynamoCrmStore)
    [original] = deps.crm.get_records("contact", ["100003"])
    # Given the same person entered again under a new id
    twin = original.model_copy(
        update={"record_id": "990001", "fields": {**original.fields, "record_id": "990001"}}
    )
    deps.crm.put_records([twin])
    # When HubSpot reports the creation and the entry scan runs
    body = json.dumps({"object_type": "contact", "record_id": "990001", "reason": "created"})
    assert entry_lambda(sqs_event([body], queue="scan-requests"), FakeContext(), deps=deps) == {
        "batchItemFailures": []
    }
    # Then one merge workflow started for the pair, waiting for a reviewer (no auto-merge by default)
    executions = sfn.list_executions(stateMachineArn=aws["MERGE_WORKFLOW_ARN"])["executions"]
    assert len(executions) == 1
    started = json.loads(sfn.describe_execution(executionArn=executions[0]["executionArn"])["input"])
    assert set(started["proposal"]["members"]) == {"100003", "990001"} and started["auto"] is False
    # And the outcome is logged by ids only: no name, email or phone of the person
    [check] = [r for r in caplog.records if r.getMessage() == "duplicate check"]
    assert check.outcome == "merge_proposed" and check.record_id == "990001"  # type: ignore[attr-defined]
    logged = json.dumps([{k: str(v) for k, v in vars(r).items()} for r in caplog.records])
    personal = [v for k, v in original.fields.items() if k in ("email", "phone", "last_name") and v]
    assert personal and not any(v in logged for v in personal)


def _entry_outcomes(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [str(r.outcome) for r in caplog.records if r.getMessage() == "duplicate check"]  # type: ignore[attr-defined]


def test_a_merge_rejected_seconds_ago_is_not_proposed_again_by_the_same_container(
    aws: dict[str, str], webhook_deps: AwsDeps, caplog: pytest.LogCaptureFixture
) -> None:
    # Given an entry-scan container that proposed merging a new twin with its original (which has
    # no other duplicate in the sample)
    deps = webhook_deps
    boto3.client("stepfunctions").create_state_machine(
        name="merge", roleArn="arn:aws:iam::123456789012:role/merge",
        definition=json.dumps({"StartAt": "Wait", "States": {"Wait": {"Type": "Pass", "End": True}}}))  # fmt: skip
    assert isinstance(deps.crm, DynamoCrmStore)
    [original] = deps.crm.get_records("contact", ["100001"])
    twin = original.model_copy(
        update={"record_id": "990002", "fields": {**original.fields, "record_id": "990002"}}
    )
    deps.crm.put_records([twin])
    body = json.dumps({"object_type": "contact", "record_id": "990002", "reason": "created"})
    entry_lambda(sqs_event([body], queue="scan-requests"), FakeContext(), deps=deps)
    assert _entry_outcomes(caplog) == ["merge_proposed"]
    # When a reviewer, in the review API's own container, rejects that merge
    reviewer = AwsDeps(deps.settings)
    for key in pair_keys_of("contact", ["100001", "990002"]):
        reviewer.memory.remember_rejection(key, "not the same person", "rev-1")
    # And the twin changes again seconds later, reaching the same warm entry container
    again = json.dumps({"object_type": "contact", "record_id": "990002", "reason": "changed"})
    entry_lambda(sqs_event([again], queue="scan-requests"), FakeContext(), deps=deps)
    # Then the rejected merge is not proposed again: the container did not remember "not rejected"
    assert _entry_outcomes(caplog) == ["merge_proposed", "accept_as_new"]


def test_decision_memory_caches_only_rejections(aws: dict[str, str], deps: AwsDeps) -> None:
    # Given one container that asked about a key, and another that then rejects it
    asking, rejecting = AwsDeps(deps.settings), AwsDeps(deps.settings)
    assert asking.memory.was_rejected("change-1") is False
    rejecting.memory.remember_rejection("change-1", "wrong", "rev-1")
    # Then the first sees the rejection at once, and keeps seeing it
    assert asking.memory.was_rejected("change-1") is True
    assert asking.memory.was_rejected("change-1") is True
    assert asking.memory.was_rejected("change-2") is False


def test_a_signed_deeply_nested_body_is_a_400_not_a_crash(hook_deps: AwsDeps, aws: dict[str, str]) -> None:
    # Given a correctly signed delivery nested deeper than Python's JSON parser goes
    nested = "[" * 200_000 + "]" * 200_000
    body = json.dumps([property_change("100001", 21)])[:-2] + f', "extra": {nested}}}]'
    timestamp = str(int(time.time() * 1000))
    uri = f"https://hooks.example.com{URI_PATH}"
    event = api_event("POST", "/webhooks/hubspot", body, user=None, headers={
        "Host": "hooks.example.com", "X-HubSpot-Request-Timestamp": timestamp,
        "X-HubSpot-Signature-v3": sign_v3(SECRET, "POST", uri, body.encode(), timestamp)})  # fmt: skip
    event["requestContext"]["path"] = URI_PATH
    # When it reaches the webhook function, Then the answer is 400 (HubSpot retries 5xx for a day)
    answer = webhook_lambda(event, FakeContext(), deps=hook_deps)
    assert answer["statusCode"] == 400 and "nested" in json.loads(answer["body"])["message"]
    assert drain(aws["SCAN_REQUESTS_QUEUE_URL"]) == []


def test_a_body_marked_base64_that_is_not_is_a_400(hook_deps: AwsDeps) -> None:
    event = delivery([property_change("100001", 22)])
    event["isBase64Encoded"], event["body"] = True, "%%% not base64 %%%"
    assert webhook_lambda(event, FakeContext(), deps=hook_deps)["statusCode"] == 400


QUERY = "token=a%2Fb%20c%2Bd&tag=x&tag=y%26z&flag"  # encoded values, a repeated key, a bare key


def test_a_rest_api_delivery_to_a_url_with_encoded_and_repeated_query_values_verifies(
    hook_deps: AwsDeps, aws: dict[str, str]
) -> None:
    # Given the app's target URL carries encoded and repeated query values, signed by HubSpot as called
    event = delivery([property_change("100001", 23)], query=QUERY)
    # And API Gateway's REST (v1) event holds them decoded, every value of a repeated key in order
    event["queryStringParameters"] = {"token": "a/b c+d", "tag": "y&z", "flag": ""}
    event["multiValueQueryStringParameters"] = {"token": ["a/b c+d"], "tag": ["x", "y&z"], "flag": [""]}
    # When it reaches the webhook function, Then the signature holds and the event is queued
    answer = webhook_lambda(event, FakeContext(), deps=hook_deps)
    assert answer["statusCode"] == 200 and json.loads(answer["body"])["accepted"] == 1
    assert len(drain(aws["SCAN_REQUESTS_QUEUE_URL"])) == 1


def test_an_http_api_delivery_is_verified_over_the_raw_path_and_query(
    hook_deps: AwsDeps, aws: dict[str, str]
) -> None:
    # Given an HTTP API (payload v2) event, which carries the path and query string exactly as called
    signed = delivery([property_change("100001", 24)], query=QUERY)
    event = {
        "version": "2.0", "routeKey": "POST /webhooks/{crm}", "rawPath": URI_PATH, "rawQueryString": QUERY,
        "headers": {k.lower(): v for k, v in signed["headers"].items()},
        "queryStringParameters": {"token": "a/b c+d", "tag": "x,y&z", "flag": ""},
        "pathParameters": {"crm": "hubspot"}, "isBase64Encoded": False, "body": signed["body"],
        "requestContext": {"domainName": "hooks.example.com", "http": {"method": "POST", "path": URI_PATH}},
    }  # fmt: skip
    answer = webhook_lambda(event, FakeContext(), deps=hook_deps)
    assert answer["statusCode"] == 200 and json.loads(answer["body"])["accepted"] == 1
    # And a query string other than the one signed is refused
    event["rawQueryString"] = QUERY.replace("tag=x&", "")
    assert webhook_lambda(event, FakeContext(), deps=hook_deps)["statusCode"] == 401


def test_our_own_hubspot_writes_are_not_scanned_again(hook_deps: AwsDeps, aws: dict[str, str]) -> None:
    # Given the webhook function knows our app's id (HUBSPOT_APP_ID, from the stack's hubspot_app_id)
    ours = {**property_change("100001", 31), "changeSource": "INTEGRATION", "sourceId": OUR_APP_ID}
    another_app = {**property_change("100002", 32), "changeSource": "INTEGRATION", "sourceId": "4242"}
    # When HubSpot reports a change our connector made, and one another integration made
    answer = webhook_lambda(delivery([ours, another_app]), FakeContext(), deps=hook_deps)
    # Then ours is acknowledged and ignored; only the other one is scanned
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"]) == {"accepted": 1, "ignored": 1, "duplicates": 0}
    [queued] = drain(aws["SCAN_REQUESTS_QUEUE_URL"])
    assert json.loads(queued)["record_id"] == "100002"


def test_the_fake_hubspot_through_the_local_gateway_scans_a_persons_edit_but_not_our_own_write(
    hook_deps: AwsDeps, aws: dict[str, str], tmp_path: Path
) -> None:
    # Given the local stack's pieces: the fake HubSpot (whose connector writes carry its app id), the
    # local API Gateway's REST events, and a webhook function configured with that app id
    fake = FakeHubSpot()
    generate_sample(tmp_path, contacts=5, seed=3)
    seed_from_export(fake.crm, tmp_path)
    deps = AwsDeps(hook_deps.settings.model_copy(update={"hubspot_app_id": str(fake.crm.app_id)}))
    target = "/webhooks/hubspot?app=crm-hygiene&env=local%20demo&tag=a&tag=b"  # encoded and repeated

    def through_local_gateway(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
        event = proxy_event("POST", target, {**headers, "Host": "127.0.0.1:3000"}, body)
        event["pathParameters"] = {"crm": "hubspot"}  # as LocalApi routes POST /webhooks/{crm}
        return int(webhook_lambda(event, FakeContext(), deps=deps)["statusCode"])

    emitter = fake.subscribe(f"http://127.0.0.1:3000{target}", SECRET, send=through_local_gateway)
    person, ours = [str(o.id) for o in list(fake.crm.table("contacts").live())[:2]]
    # When a person edits one contact and our connector writes another
    fake.ui_update("contacts", person, {"jobtitle": "Head of Ops"})
    fake.crm.update("contacts", ours, {"jobtitle": "Engineer"}, source=fake.crm.api_source)
    # Then the delivery verifies, and only the person's edit becomes a scan request
    assert emitter.flush().statuses == [200]
    assert {(e["objectId"], e["changeSource"]) for e in emitter.delivered} == {
        (int(person), "CRM_UI"),
        (int(ours), "INTEGRATION"),
    }
    assert [json.loads(b)["record_id"] for b in drain(aws["SCAN_REQUESTS_QUEUE_URL"])] == [person]
