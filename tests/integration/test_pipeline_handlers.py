"""Handler → service → adapters on moto: scan a CRM, apply auto changes, review, roll back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from apply_handler import lambda_handler as apply_lambda
from review_api_handler import lambda_handler as review_lambda
from scan_handler import lambda_handler as scan_lambda

from crm_hygiene.adapters.aws.crm_store import DynamoCrmStore
from crm_hygiene.csvio.records import read_records
from crm_hygiene.local.sample import generate_sample
from crm_hygiene.models.audit import verify_chain
from crm_hygiene.models.messages import ApplyMessage
from crm_hygiene.models.record import Record
from crm_hygiene.wiring.aws import AwsDeps
from tests.events.factory import FakeContext, api_event, sqs_event
from tests.integration.conftest import drain, subscribe


@pytest.fixture
def seeded(deps: AwsDeps, tmp_path: Path) -> list[Record]:
    generate_sample(tmp_path, contacts=60, seed=4)
    records = list(read_records(tmp_path / "contacts.csv"))
    assert isinstance(deps.crm, DynamoCrmStore)
    deps.crm.put_records(records)
    return records


def run_scan(deps: AwsDeps) -> Any:
    ctx = FakeContext()
    plan = scan_lambda({"action": "plan", "object_types": ["contact"]}, ctx, deps=deps)
    for part in plan["partitions"]:
        while not part.get("done"):
            part = scan_lambda({"action": "scan_partition", **part}, ctx, deps=deps)
    return scan_lambda({"action": "finalize", "run_id": plan["run_id"]}, ctx, deps=deps)


def apply_all(deps: AwsDeps, env: dict[str, str]) -> Any:
    messages = [ApplyMessage.model_validate_json(b) for b in drain(env["APPLY_QUEUE_URL"])]
    return apply_lambda(sqs_event(messages), FakeContext(), deps=deps)


def test_scheduled_scan_queues_problems_applies_auto_fixes_and_emits_signals(aws: dict[str, str], deps: AwsDeps,
                                                                            seeded: list[Record]) -> None:  # fmt: skip
    # Given a subscriber to the measurement and health topics
    measurement = subscribe(aws["TOPIC_MEASUREMENT_ARN"])
    health = subscribe(aws["TOPIC_HEALTH_ARN"])
    # When the workflow's tasks run: plan, scan every partition, finalize
    summary = run_scan(deps)
    figures = summary["objects"]["contact"]
    assert figures["records"] == len(seeded) and figures["queue_volume"] > 0
    # Then every queued item is in the change queue, auto ones also on the apply queue
    items, _ = deps.queue.list(limit=500)
    assert len(items) == figures["queue_volume"]
    auto = [i for i in items if i.status == "auto_applied"]
    assert auto and all(not i.protected for i in auto)
    # And applying them writes the CRM, audits each change, archives the audit to S3
    result = apply_all(deps, aws)
    assert result == {"batchItemFailures": []}
    for item in auto:
        after = deps.queue.get(item.review_id)
        assert after.status == "applied"
        [record] = deps.crm.get_records("contact", [item.record_id])
        assert record.get(item.field) == item.suggested_value
        history = deps.audit.history("contact", item.record_id)
        assert any(e.action == "applied" and e.change_id == item.review_id for e in history)
        assert verify_chain(history) == []
    archived = boto3.client("s3").list_objects_v2(Bucket=aws["AUDIT_BUCKET"]).get("KeyCount", 0)
    assert archived >= 1
    # And the run's figures went out as signals with their filter attributes
    assert json.loads(drain(measurement)[0])["schema"] == "measurement"
    assert json.loads(drain(health)[0])["object_type"] == "contact"
    assert deps.health.aggregate("contact") is not None


def test_apply_is_idempotent_and_sends_conflicts_back_to_review(aws: dict[str, str], deps: AwsDeps,
                                                               seeded: list[Record]) -> None:  # fmt: skip
    run_scan(deps)
    messages = [ApplyMessage.model_validate_json(b) for b in drain(aws["APPLY_QUEUE_URL"])]
    assert len(messages) >= 2
    first, second = messages[0], messages[1]
    # Given someone edits the CRM after the scan, on the second change's field
    item = deps.queue.get(second.review_id)
    deps.crm.write_fields(
        "contact", [_write(item.record_id, item.field, item.current_value, "typed by a rep")]
    )
    # When the messages are delivered twice
    apply_lambda(sqs_event([first, second]), FakeContext(), deps=deps)
    apply_lambda(sqs_event([first, second]), FakeContext(), deps=deps)
    # Then the first is applied once (one audit entry), the second went back to review as a conflict
    assert [e.action for e in deps.audit.by_change(first.review_id)].count("applied") == 1
    conflicted = deps.queue.get(second.review_id)
    assert conflicted.status == "conflict" and "typed by a rep" in (conflicted.note or "")
    [record] = deps.crm.get_records("contact", [item.record_id])
    assert record.get(item.field) == "typed by a rep"


def _write(record_id: str, field: str, old: str, new: str):
    from crm_hygiene.models.crm import FieldWrite

    return FieldWrite(
        record_id=record_id, field=field, expected_old=old, new_value=new, change_id="human-edit"
    )


def test_partial_batch_failure_only_retries_the_failed_message(aws: dict[str, str], deps: AwsDeps,
                                                              seeded: list[Record], monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    run_scan(deps)
    messages = [ApplyMessage.model_validate_json(b) for b in drain(aws["APPLY_QUEUE_URL"])][:3]
    failing = deps.queue.get(messages[1].review_id)
    original = deps.crm.write_fields

    def flaky(object_type, writes):
        if any(w.change_id == failing.review_id for w in writes):
            from crm_hygiene.models.crm import WriteResult

            return [WriteResult(change_id=w.change_id, record_id=w.record_id, field=w.field, status="failed",
                                detail="CRM 503") for w in writes]  # fmt: skip
        return original(object_type, writes)

    monkeypatch.setattr(deps.crm, "write_fields", flaky)
    event = sqs_event(messages)
    result = apply_lambda(event, FakeContext(), deps=deps)
    assert result["batchItemFailures"] == [{"itemIdentifier": event["Records"][1]["messageId"]}]
    assert deps.queue.get(messages[0].review_id).status == "applied"
    assert deps.queue.get(messages[1].review_id).status == "failed"
    # When SQS redelivers it and the CRM has recovered, it applies (once)
    monkeypatch.setattr(deps.crm, "write_fields", original)
    assert apply_lambda(sqs_event([messages[1]]), FakeContext(), deps=deps) == {"batchItemFailures": []}
    assert deps.queue.get(messages[1].review_id).status == "applied"


def call(deps: AwsDeps, method: str, path: str, body: object = None, **kw: Any) -> tuple[int, Any]:
    response = review_lambda(api_event(method, path, body, **kw), FakeContext(), deps=deps.review())
    payload = response["body"]
    return response["statusCode"], json.loads(payload) if payload and payload.startswith(
        ("{", "[")
    ) else payload


def test_review_api_decisions_rollback_and_figures(
    aws: dict[str, str], deps: AwsDeps, seeded: list[Record]
) -> None:
    run_scan(deps)
    apply_all(deps, aws)
    status, page = call(deps, "GET", "/reviews", query={"status": "queued", "limit": "500"})
    assert status == 200
    items = page["items"]
    assert items and all("task_token" not in i for i in items)
    changes = [i for i in items if i["change_kind"] != "flag" and i["field"]]
    flags = [i for i in items if i["change_kind"] == "flag"]
    # approve one change: it goes to the apply queue and, once applied, is audited with the reviewer
    status, approved = call(
        deps, "POST", f"/reviews/{changes[0]['review_id']}/decision", {"decision": "approve"}
    )
    assert status == 200 and approved["status"] == "approved"
    apply_all(deps, aws)
    history = deps.audit.by_change(changes[0]["review_id"])
    assert {"approved", "applied"} <= {e.action for e in history}
    assert any(e.actor == "user:arn:aws:iam::123456789012:user/reviewer" for e in history)
    # edit-and-approve writes the reviewer's value
    if len(changes) > 1:
        status, edited = call(deps, "POST", f"/reviews/{changes[1]['review_id']}/decision",
                              {"decision": "edit_and_approve", "value": "Edited Value"})  # fmt: skip
        assert status == 200 and edited["final_value"] == "Edited Value"
    # reject a flag: remembered, so a re-scan does not raise it again
    status, _ = call(
        deps, "POST", f"/reviews/{flags[0]['review_id']}/decision", {"decision": "reject", "note": "fine"}
    )
    assert status == 200 and deps.memory.was_rejected(flags[0]["review_id"])
    # deciding twice is a conflict; unknown ids are 404; bad bodies are 422
    assert call(deps, "POST", f"/reviews/{flags[0]['review_id']}/decision", {"decision": "approve"})[0] == 409
    assert call(deps, "GET", "/reviews/nope")[0] == 404
    assert call(deps, "POST", f"/reviews/{flags[1]['review_id']}/decision", {"decision": "maybe"})[0] == 422
    assert (
        call(
            deps,
            "POST",
            f"/reviews/{flags[1]['review_id']}/decision",
            {"decision": "edit_and_approve", "value": ""},
        )[0]
        == 422
    )
    # bulk
    status, bulk = call(deps, "POST", "/reviews/decisions", {"decisions": [
        {"review_id": flags[1]["review_id"], "decision": {"decision": "approve"}},
        {"review_id": "missing", "decision": {"decision": "approve"}}]})  # fmt: skip
    assert status == 200 and [r["status"] for r in bulk["results"]] == ["approved", "error"]
    # roll back the approved change: the CRM holds the old value again, exactly
    status, rolled = call(deps, "POST", f"/changes/{changes[0]['review_id']}/rollback")
    assert status == 200 and rolled["status"] == "rolled_back"
    [record] = deps.crm.get_records("contact", [changes[0]["record_id"]])
    assert record.get(changes[0]["field"]) == changes[0]["current_value"]
    # figures, health, the detail view, and who is asking
    status, figures = call(deps, "GET", "/metrics")
    assert status == 200 and figures["decided_by_people"] >= 3
    assert call(deps, "GET", "/health")[1]["contact"] is not None
    status, detail = call(deps, "GET", f"/reviews/{changes[0]['review_id']}")
    assert status == 200 and detail["history"]
    assert call(deps, "GET", "/reviews", user=None)[0] == 200  # reading needs no identity
    assert (
        call(deps, "POST", f"/reviews/{flags[2]['review_id']}/decision", {"decision": "approve"}, user=None)[
            0
        ]
        == 401
    )


def test_rollback_of_a_whole_run_restores_every_applied_value(aws: dict[str, str], deps: AwsDeps,
                                                              seeded: list[Record]) -> None:  # fmt: skip
    from jobs_handler import lambda_handler as jobs_lambda

    before = {r.record_id: dict(r.fields) for r in seeded}
    summary = run_scan(deps)
    apply_all(deps, aws)
    # the rollback is a job (tests/integration/test_jobs.py): 202, then the jobs workflow runs the worker
    jobs = deps.jobs()
    response = review_lambda(
        api_event("POST", f"/runs/{summary['run_id']}/rollback"), FakeContext(), jobs=jobs
    )
    assert response["statusCode"] == 202
    step = {"action": "run", "job_id": json.loads(response["body"])["job_id"], "attempt": 1}
    while not (result := jobs_lambda(step, FakeContext(), deps=jobs))["done"]:
        pass
    job = jobs.jobs.get(step["job_id"])
    assert result["status"] == "succeeded" and job.done > 0 and job.errors == 0
    for record_id, fields in before.items():
        [record] = deps.crm.get_records("contact", [record_id])
        assert {k: record.get(k) for k in fields if k not in ("updated_at",)} == {
            k: v for k, v in fields.items() if k not in ("updated_at",)
        }


def test_review_page_and_openapi() -> None:
    from review_api_handler import openapi_schema

    schema = json.loads(openapi_schema())
    assert {"/reviews", "/reviews/{review_id}/decision", "/runs/{run_id}/rollback", "/jobs/{job_id}",
            "/jobs/{job_id}/results"} <= set(schema["paths"])  # fmt: skip
    assert "202" in schema["paths"]["/runs/{run_id}/rollback"]["post"]["responses"]
    assert {"200", "202"} <= set(schema["paths"]["/reviews/decisions"]["post"]["responses"])
    html = Path(__file__).parents[2].joinpath("functions/review_api/static/index.html").read_text()
    assert "review console" in html
