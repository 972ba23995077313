"""Decisions through the review API and the apply function on moto (issue 10, deliverable 1): an edit on
a finding lands in the CRM, an invalid value is a 422 naming field and rule, bulk answers one result
per item with 200, and an apply that ends failed raises one alert on the alerts topic."""

from __future__ import annotations

import json
from typing import Any

import pytest
from apply_handler import lambda_handler as apply_lambda
from review_api_handler import lambda_handler as review_lambda

from crm_hygiene.adapters.aws.crm_store import DynamoCrmStore
from crm_hygiene.errors import HygieneError
from crm_hygiene.models.messages import ApplyMessage
from crm_hygiene.models.record import Record
from crm_hygiene.models.review import ReviewItem
from crm_hygiene.services.apply.core import MAX_RECEIVES
from crm_hygiene.wiring.aws import AwsDeps
from tests.events.factory import FakeContext, api_event, sqs_event
from tests.integration.conftest import drain, subscribe

ADA = Record(object_type="contact", record_id="c1", source="internal", fields={
    "record_id": "c1", "first_name": "Ada", "last_name": "Lovelace", "email": "", "country": "GB",
    "owner": "n/a", "company": "Analytical Engines", "created_at": "2025-01-01T00:00:00Z"})  # fmt: skip


def finding(review_id: str, field: str, **over: Any) -> ReviewItem:
    body: dict[str, Any] = {"review_id": review_id, "run_id": "run-1", "kind": "missing_critical", "change_kind": "flag",
                                "object_type": "contact", "record_id": "c1", "field": field, "current_value": "",
                                "suggested_value": "", "evidence": "critical field is empty", "confidence": 1.0,
                                "protected": False, "decision": "review", "status": "queued", "source": "contact.critical"}  # fmt: skip
    return ReviewItem.model_validate({**body, **over})


def call(deps: AwsDeps, method: str, path: str, body: object = None) -> tuple[int, Any]:
    response = review_lambda(api_event(method, path, body), FakeContext(), deps=deps.review())
    return response["statusCode"], json.loads(response["body"])


def deliver(deps: AwsDeps, env: dict[str, str], receive: int = 1) -> Any:
    messages = [ApplyMessage.model_validate_json(b) for b in drain(env["APPLY_QUEUE_URL"])]
    event = sqs_event(messages)
    for record in event["Records"]:
        record["attributes"]["ApproximateReceiveCount"] = str(receive)
    return apply_lambda(event, FakeContext(), deps=deps)


def test_an_edit_on_a_finding_is_written_to_the_crm(aws: dict[str, str], deps: AwsDeps) -> None:
    assert isinstance(deps.crm, DynamoCrmStore)
    deps.crm.put_records([ADA])
    deps.queue.put_new([finding("missing-email", "email")])
    status, body = call(deps, "POST", "/reviews/missing-email/decision",
                        {"decision": "edit_and_approve", "value": "  Ada.Lovelace@Analytical-Engines.co.uk "})  # fmt: skip
    assert status == 200 and body["status"] == "edited" and body["source"].startswith("reviewer:")
    assert deliver(deps, aws) == {"batchItemFailures": []}
    [record] = deps.crm.get_records("contact", ["c1"])
    assert record.get("email") == deps.queue.get("missing-email").final_value
    assert "@" in record.get("email") and record.get("email") == record.get("email").strip()
    assert deps.queue.get("missing-email").status == "applied"
    applied = [e for e in deps.audit.by_change("missing-email") if e.action == "applied"]
    assert (
        len(applied) == 1
        and applied[0].reviewer
        and applied[0].source
        and applied[0].source.kind == "reviewer"
    )


def test_an_invalid_value_is_a_422_naming_the_field_and_the_rule(aws: dict[str, str], deps: AwsDeps) -> None:
    assert isinstance(deps.crm, DynamoCrmStore)
    deps.crm.put_records([ADA])
    deps.queue.put_new([finding("country", "country", kind="routing_blocker")])
    status, body = call(
        deps, "POST", "/reviews/country/decision", {"decision": "edit_and_approve", "value": "Narnia"}
    )
    assert status == 422 and "country" in body["message"] and "format.country_alpha2" in body["message"]
    [detail] = body["details"]
    assert (detail["location"], detail["rule"]) == (["field", "country"], "format.country_alpha2")
    assert deps.queue.get("country").status == "queued" and drain(aws["APPLY_QUEUE_URL"]) == []


def test_bulk_answers_200_with_one_result_per_item(aws: dict[str, str], deps: AwsDeps) -> None:
    assert isinstance(deps.crm, DynamoCrmStore)
    deps.crm.put_records([ADA])
    deps.queue.put_new([finding("a", "email"), finding("b", "company", current_value="Analytical Engines")])
    status, body = call(deps, "POST", "/reviews/decisions", {"decisions": [
        {"review_id": "a", "decision": {"decision": "edit_and_approve", "value": "=HYPERLINK(\"x\")"}},
        {"review_id": "b", "decision": {"decision": "edit_and_approve", "value": "Analytical Engines Ltd"}},
        {"review_id": "nope", "decision": {"decision": "approve"}}]})  # fmt: skip
    assert status == 200
    assert [(r["review_id"], r["status"], r["error_code"]) for r in body["results"]] == [
        ("a", "error", "invalid_value"), ("b", "edited", None), ("nope", "error", "not_found")]  # fmt: skip
    assert (body["results"][0]["field"], body["results"][0]["rule"]) == ("email", "formula")


def test_an_apply_that_ends_failed_raises_one_alert(aws: dict[str, str], deps: AwsDeps) -> None:
    assert isinstance(deps.crm, DynamoCrmStore)
    deps.crm.put_records([ADA])
    alerts = subscribe(aws["TOPIC_ALERTS_ARN"])
    deps.queue.put_new([finding("gone", "company", change_kind="normalize", record_id="c404",
                                current_value="x", suggested_value="X", status="approved")])  # fmt: skip
    deps.apply_queue.send([ApplyMessage(review_id="gone", run_id="run-1")])
    assert deliver(deps, aws, receive=MAX_RECEIVES) == {"batchItemFailures": []}
    [alert] = [json.loads(b) for b in drain(alerts)]
    assert (alert["kind"], alert["review_id"], alert["record_id"]) == ("apply_failed", "gone", "c404")
    failed = deps.queue.get("gone")
    assert failed.status == "failed" and failed.note
    # and the failed item is decidable: its reason is shown, a reviewer may reject it
    status, body = call(
        deps, "POST", "/reviews/gone/decision", {"decision": "reject", "note": "record deleted"}
    )
    assert status == 200 and body["status"] == "rejected"


def test_the_apply_queue_redrive_count_is_the_queues() -> None:
    from infra.components.queues import MAX_RECEIVE_COUNT

    assert MAX_RECEIVES == MAX_RECEIVE_COUNT  # the last receive settles failed instead of dead-lettering


def test_bulk_with_a_backend_error_on_one_item_still_answers_200(
    aws: dict[str, str], deps: AwsDeps, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given one item whose read fails with a backend error (what answered 400 after the others applied)
    assert isinstance(deps.crm, DynamoCrmStore)
    deps.crm.put_records([ADA])
    deps.queue.put_new([finding("ok", "company", change_kind="normalize", current_value="Analytical Engines",
                                suggested_value="Analytical Engines Ltd")])  # fmt: skip
    read = deps.queue.get

    def flaky(review_id: str) -> ReviewItem:
        if review_id == "broken":
            raise HygieneError("ValidationException: table crm-hygiene-dev-change-queue, key review_id")
        return read(review_id)

    monkeypatch.setattr(deps.queue, "get", flaky)
    status, body = call(deps, "POST", "/reviews/decisions", {"decisions": [
        {"review_id": "ok", "decision": {"decision": "approve"}},
        {"review_id": "broken", "decision": {"decision": "approve"}}]})  # fmt: skip
    # Then the call answers 200 with one result each; the backend's text does not reach the reviewer
    assert status == 200
    assert [(r["status"], r["error_code"]) for r in body["results"]] == [
        ("approved", None),
        ("error", "error"),
    ]
    assert "ValidationException" not in json.dumps(body)
    assert [json.loads(b)["review_id"] for b in drain(aws["APPLY_QUEUE_URL"])] == ["ok"]
