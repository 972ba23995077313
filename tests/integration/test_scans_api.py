"""Scans on demand, the health trend and Cognito identities through the review API handler on moto
(issue 11, deliverables 3 and 4): POST /scans starts the scan workflow and GET /scans/{id} follows
its execution; GET /health/history reads the trend finalize writes; a Cognito user's verified e-mail
is the reviewer in the audit entries their decision writes; machines reach the same routes under /iam/."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from review_api_handler import lambda_handler as review_lambda

from crm_hygiene.adapters.aws.scan_runner import StepFunctionsScanRunner
from crm_hygiene.errors import NotFound
from crm_hygiene.models.health import HealthPoint
from crm_hygiene.models.record import Record
from crm_hygiene.models.review import ReviewItem
from crm_hygiene.models.scans import ScanWorkflowInput
from crm_hygiene.services.review.core import ReviewDeps
from crm_hygiene.settings import ReviewApiSettings, clear_settings
from crm_hygiene.wiring.aws import AwsDeps
from tests.events.factory import FakeContext, api_event
from tests.integration.conftest import SCAN_SUMMARY

ALICE = {"sub": "5f1c-uuid", "cognito:username": "5f1c-uuid", "email": "alice@example.com",
         "email_verified": "true", "token_use": "id"}  # fmt: skip


@pytest.fixture
def review(aws: dict[str, str]) -> ReviewDeps:
    # exactly the review function's settings: what the stack gives it
    return AwsDeps(ReviewApiSettings.model_validate(aws)).review()


def cognito_event(method: str, path: str, body: Any = None, claims: dict[str, str] = ALICE) -> dict[str, Any]:
    """As API Gateway sends a request its Cognito authorizer let through: claims, no IAM identity."""
    event = api_event(method, path, body, user=None)
    event["requestContext"]["authorizer"] = {"claims": dict(claims)}
    return event


def call(deps: ReviewDeps, event: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
    response = review_lambda(event, FakeContext(), deps=deps)
    headers = {k: v[-1] for k, v in (response.get("multiValueHeaders") or {}).items()}
    return response["statusCode"], json.loads(response["body"]), headers


def settled(deps: ReviewDeps, scan_id: str) -> dict[str, Any]:
    for _ in range(100):  # moto runs the execution in a thread
        status, body, _ = call(deps, api_event("GET", f"/scans/{scan_id}"))
        assert status == 200
        if body["status"] != "running":
            return body  # type: ignore[no-any-return]
        time.sleep(0.05)
    raise AssertionError("the scan never finished")


def test_scan_now_starts_the_scan_workflow_and_reports_its_figures(aws: dict[str, str], review: ReviewDeps):
    # When a reviewer signed in with Cognito asks for a contact scan
    status, body, headers = call(review, cognito_event("POST", "/scans", {"object_types": ["contact"]}))
    # Then 202 with the scan, and where to follow it
    assert status == 202, body
    assert body["status"] == "running" and body["object_types"] == ["contact"]
    assert body["requested_by"] == "alice@example.com" and body["trigger"] == "manual"
    assert headers["Location"] == f"/scans/{body['scan_id']}"
    # and the scan workflow runs with the schedule's input shape, named by the run id
    sfn = boto3.client("stepfunctions")
    [execution] = sfn.list_executions(stateMachineArn=aws["SCAN_WORKFLOW_ARN"])["executions"]
    assert execution["name"] == body["scan_id"]
    started = json.loads(sfn.describe_execution(executionArn=execution["executionArn"])["input"])
    assert started == {"object_types": ["contact"], "trigger": "manual", "requested_by": "alice@example.com"}
    # When it finished, its progress holds the stop time and Finalize's figures
    done = settled(review, body["scan_id"])
    assert done["status"] == "succeeded" and done["stopped_at"] >= done["started_at"]
    assert done["objects"] == SCAN_SUMMARY["objects"]


def test_an_empty_body_scans_every_object_type(aws: dict[str, str], review: ReviewDeps):
    status, body, _ = call(review, api_event("POST", "/scans", {}))
    assert status == 202
    # a body is required, if only {} (a list, null or nothing is not a request)
    for bad in (None, "[null, null]", "null"):
        status, refused, _ = call(review, api_event("POST", "/scans", bad))
        assert (status, refused["code"]) == (422, "validation_error"), bad
    assert body["object_types"] == ["contact", "company", "deal"]
    assert body["requested_by"] == "arn:aws:iam::123456789012:user/reviewer"  # a machine, through IAM


def test_a_scan_that_never_ran_is_404_and_a_bad_body_422(aws: dict[str, str], review: ReviewDeps):
    status, body, _ = call(review, api_event("GET", "/scans/20261207T000000-deadbeef"))
    assert (status, body["code"]) == (404, "not_found")
    status, body, _ = call(review, api_event("POST", "/scans", {"object_types": ["lead"]}))
    assert (status, body["code"]) == (422, "validation_error")
    status, body, _ = call(review, api_event("POST", "/scans", {"object_types": []}))
    assert (status, body["code"]) == (422, "validation_error")


def test_the_runner_reads_every_execution_status_and_starting_twice_is_one_scan(aws: dict[str, str]):
    sfn = boto3.client("stepfunctions")
    runner = StepFunctionsScanRunner(sfn, aws["SCAN_WORKFLOW_ARN"])
    first = runner.start(
        "20261207T101010-aaaa0001", ScanWorkflowInput(object_types=["deal"], requested_by="bob")
    )
    again = runner.start(
        "20261207T101010-aaaa0001", ScanWorkflowInput(object_types=["deal"], requested_by="bob")
    )
    assert again.scan_id == first.scan_id and again.object_types == ["deal"]
    assert len(sfn.list_executions(stateMachineArn=aws["SCAN_WORKFLOW_ARN"])["executions"]) == 1
    with pytest.raises(NotFound):
        runner.get("never-ran")


def test_health_history_is_the_newest_runs_oldest_first(aws: dict[str, str], review: ReviewDeps):
    # Given four weekly runs of contacts and one of companies in the health table
    monday = datetime(2026, 11, 2, 6, tzinfo=UTC)
    for week in range(4):
        review.health.put_history(HealthPoint(run_id=f"run-{week}", at=monday + timedelta(weeks=week),
                                              object_type="contact", health=60.0 + week, records=100 + week,
                                              queue_volume=40 - week))  # fmt: skip
    review.health.put_history(HealthPoint(run_id="run-2", at=monday + timedelta(weeks=2), object_type="company",
                                          health=80.0, records=10, queue_volume=1))  # fmt: skip
    # When the console asks for the last three contact runs
    status, body, _ = call(
        review, api_event("GET", "/health/history", query={"object_type": "contact", "limit": "3"})
    )
    # Then the newest three, oldest first, in the contract's shape
    assert status == 200
    assert [r["run_id"] for r in body["runs"]] == ["run-1", "run-2", "run-3"]
    assert body["runs"][0] == {"run_id": "run-1", "at": "2026-11-09T06:00:00Z", "object_type": "contact",
                               "health": 61.0, "records": 101, "queue_volume": 39}  # fmt: skip
    # and without a type, every type's points in time order
    status, body, _ = call(review, api_event("GET", "/health/history"))
    assert [(r["run_id"], r["object_type"]) for r in body["runs"]] == [
        ("run-0", "contact"), ("run-1", "contact"), ("run-2", "company"), ("run-2", "contact"), ("run-3", "contact")
    ]  # fmt: skip
    # and the same point written again (a retried finalize) is still one point
    review.health.put_history(HealthPoint(run_id="run-3", at=monday + timedelta(weeks=3), object_type="contact",
                                          health=63.0, records=103, queue_volume=37))  # fmt: skip
    assert len(review.health.history("contact", 50)) == 4


def test_a_cognito_reviewer_is_the_reviewer_of_every_audit_entry_of_their_decision(
    aws: dict[str, str], review: ReviewDeps
):
    # Given a queued finding on a record of the CRM
    review.crm.put_records([Record(object_type="contact", record_id="c1", source="internal",  # type: ignore[attr-defined]
                                   fields={"record_id": "c1", "first_name": "Ada", "email": ""})])  # fmt: skip
    review.queue.put_new([ReviewItem.model_validate({
        "review_id": "missing-email", "run_id": "run-1", "kind": "missing_critical", "change_kind": "flag",
        "object_type": "contact", "record_id": "c1", "field": "email", "current_value": "", "suggested_value": "",
        "evidence": "critical field is empty", "confidence": 1.0, "protected": False, "decision": "review",
        "status": "queued", "source": "contact.critical"})])  # fmt: skip
    # When Alice (signed in through the hosted UI: only her ID token's claims reach the function) edits it
    status, body, _ = call(review, cognito_event("POST", "/reviews/missing-email/decision",
                                                 {"decision": "edit_and_approve", "value": "ada.lovelace@analytical-engines.co.uk"}))  # fmt: skip
    assert status == 200, body
    # Then every audit entry the decision wrote names her, by her verified e-mail
    entries = review.audit.by_change("missing-email")
    assert entries and {e.reviewer for e in entries} == {"alice@example.com"}


def test_an_unverified_email_claim_never_names_the_reviewer(aws: dict[str, str], review: ReviewDeps):
    # Anyone can type an e-mail; an unverified one is not who they are: the user name is
    unverified = {**ALICE, "email": "boss@example.com", "email_verified": "false"}
    status, body, _ = call(review, cognito_event("POST", "/scans", {}, claims=unverified))
    assert status == 202 and body["requested_by"] == "5f1c-uuid"


def test_machines_reach_the_same_routes_under_iam(aws: dict[str, str], review: ReviewDeps):
    # /iam/<route> is the stack's SigV4 tree when the console signs in with Cognito
    plain = call(review, api_event("GET", "/health/history"))
    prefixed = call(review, api_event("GET", "/iam/health/history"))
    assert plain[:2] == prefixed[:2] == (200, {"runs": []})
    status, body, _ = call(review, api_event("POST", "/iam/scans", {"object_types": ["company"]}))
    assert status == 202 and body["object_types"] == ["company"]


def test_auth_config_tells_the_console_how_to_sign_in(aws: dict[str, str], review: ReviewDeps, monkeypatch):
    # Without Cognito (locally; IAM): nothing to do
    clear_settings()
    status, body, _ = call(review, api_event("GET", "/auth/config", user=None))
    assert (status, body["mode"]) == (200, "none")
    # With it: the hosted UI's endpoints, the public client and where to come back
    monkeypatch.setenv("COGNITO_DOMAIN_URL", "https://crm-hygiene-prod-1.auth.eu-west-1.amazoncognito.com")
    monkeypatch.setenv("COGNITO_CLIENT_ID", "4pq1client")
    monkeypatch.setenv("CONSOLE_REDIRECT_URL", "https://abc.execute-api.eu-west-1.amazonaws.com/v1/")
    clear_settings()
    status, body, _ = call(review, api_event("GET", "/auth/config", user=None))
    clear_settings()
    assert status == 200 and body == {
        "mode": "cognito", "client_id": "4pq1client",
        "authorize_url": "https://crm-hygiene-prod-1.auth.eu-west-1.amazoncognito.com/oauth2/authorize",
        "token_url": "https://crm-hygiene-prod-1.auth.eu-west-1.amazoncognito.com/oauth2/token",
        "logout_url": "https://crm-hygiene-prod-1.auth.eu-west-1.amazoncognito.com/logout",
        "redirect_uri": "https://abc.execute-api.eu-west-1.amazonaws.com/v1/",
        "scopes": ["openid", "email", "profile"],
    }  # fmt: skip


def test_the_cli_starts_a_scan_of_a_stack_and_waits_for_its_figures(aws: dict[str, str], capsys, monkeypatch):
    from crm_hygiene.cli import main

    # Given a stack whose outputs name its scan workflow (as infra/stack.py's do)
    template = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
                "Outputs": {"ScanWorkflowArn": {"Value": aws["SCAN_WORKFLOW_ARN"]}}}  # fmt: skip
    boto3.client("cloudformation").create_stack(
        StackName="crm-hygiene-test", TemplateBody=json.dumps(template)
    )
    # When an operator scans contacts now and waits
    code = main(
        [
            "scan-now",
            "--stack",
            "crm-hygiene-test",
            "--object-type",
            "contact",
            "--wait",
            "--interval",
            "0.05",
        ]
    )
    # Then it started the workflow as the caller, followed it to the end, and printed its figures
    out = capsys.readouterr().out
    assert code == 0, out
    assert "started: contact" in out and "contact: 3 records, health 71.5, 2 queued" in out
    [execution] = boto3.client("stepfunctions").list_executions(stateMachineArn=aws["SCAN_WORKFLOW_ARN"])[
        "executions"
    ]
    described = boto3.client("stepfunctions").describe_execution(executionArn=execution["executionArn"])
    assert json.loads(described["input"])["requested_by"].startswith("arn:aws:")
    # and without a stack or a state machine it says what it needs (exit 2)
    monkeypatch.delenv("SCAN_WORKFLOW_ARN")
    assert main(["scan-now"]) == 2
    assert "needs --stack or --state-machine" in capsys.readouterr().err
