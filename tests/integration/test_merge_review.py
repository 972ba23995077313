"""A merge through its three functions on moto: AwaitReview registers it, the review API takes the
reviewer's primary (or refuses one outside the merge with 422), the Merge step merges around it."""

from __future__ import annotations

import json
from typing import Any

from apply_handler import lambda_handler as apply_lambda
from merge_review_handler import lambda_handler as register_lambda
from review_api_handler import lambda_handler as review_lambda

from crm_hygiene.adapters.aws.crm_store import DynamoCrmStore
from crm_hygiene.memory import InMemoryWorkflow
from crm_hygiene.models.record import Record
from crm_hygiene.services.dedup.entry import build_index, entry_proposal
from crm_hygiene.services.merge.core import start_merge_workflow
from crm_hygiene.services.review.core import ReviewDeps
from crm_hygiene.standard.loader import default_standard
from crm_hygiene.wiring.aws import AwsDeps
from tests.events.factory import FakeContext, api_event


def _contact(record_id: str, **fields: str) -> Record:
    return Record(object_type="contact", record_id=record_id, source="hubspot",
                  fields={"record_id": record_id, **fields})  # fmt: skip


A = _contact("200301", first_name="Ada", last_name="Example", email="ada@example.com", phone="+14155550101",
             owner="owner-a", lifecycle_stage="customer", last_activity_at="2026-11-20T10:00:00Z")  # fmt: skip
B = _contact("200302", first_name="Ada", last_name="Example", email="ada@example.com", phone="",
             owner="owner-b", lifecycle_stage="lead", last_activity_at="2026-10-01T10:00:00Z")  # fmt: skip


def _call(review: ReviewDeps, path: str, body: object) -> tuple[int, Any]:
    response = review_lambda(api_event("POST", path, body), FakeContext(), deps=review)
    return response["statusCode"], json.loads(response["body"])


def test_the_review_api_refuses_a_primary_outside_the_merge_then_merges_around_a_member(
    deps: AwsDeps,
) -> None:
    # Given two records in the CRM and their merge waiting for review (A suggested)
    assert isinstance(deps.crm, DynamoCrmStore)
    deps.crm.put_records([A, B])
    index = build_index(deps.crm, "contact")
    assert index is not None
    proposal = entry_proposal(B, index, deps.crm, default_standard())
    assert proposal is not None and proposal.suggested_primary == A.record_id
    started = InMemoryWorkflow()
    review_id = start_merge_workflow(started, proposal, "run-1")
    execution = json.loads(json.dumps(started.started[review_id]))
    await_review = {"task_token": "token-1", **{k: execution[k] for k in ("review_id", "run_id", "proposal")}}
    assert register_lambda(await_review, FakeContext(), deps=deps)["status"] == "queued"
    review = deps.review()
    workflow = review.workflow = InMemoryWorkflow()  # records what would go to Step Functions
    # When a reviewer names a primary that is not in the merge: 422, saying why, nothing sent
    status, body = _call(
        review, f"/reviews/{review_id}/decision", {"decision": "approve", "primary_id": "999"}
    )
    assert status == 422 and body["code"] == "invalid_decision"
    assert "999 is not one of the records this merge joins" in body["message"]
    assert workflow.answers == [] and deps.queue.get(review_id).status == "queued"
    # When the reviewer keeps B instead
    status, body = _call(
        review, f"/reviews/{review_id}/decision", {"decision": "approve", "primary_id": B.record_id}
    )
    assert status == 200 and body["status"] == "approved"
    [(_, _, decision)] = workflow.answers
    # Then the Merge step (the execution input plus that decision) merges A into B, B keeping its owner
    merge = {"action": "merge", **{k: execution[k] for k in ("review_id", "run_id", "proposal")},
             "decision": json.loads(json.dumps(decision))}  # fmt: skip
    outcome = apply_lambda(merge, FakeContext(), deps=deps)
    assert (outcome["surviving_id"], outcome["merged_ids"]) == (B.record_id, [A.record_id])
    [survivor] = deps.crm.get_records("contact", [B.record_id])
    assert (survivor.get("owner"), survivor.get("lifecycle_stage")) == ("owner-b", "lead")
    assert survivor.get("phone") == A.get("phone")
    assert deps.queue.get(review_id).status == "applied"
