"""The merge use case: a proposal through review to the CRM, with the reviewer's choice of primary."""

from __future__ import annotations

import json
from typing import Any

import pytest

from crm_hygiene.errors import InvalidDecision
from crm_hygiene.memory import (
    InMemoryAuditLog,
    InMemoryChangeQueue,
    InMemoryCrmStore,
    InMemoryDecisionMemory,
    InMemoryHealthStore,
    InMemoryWorkflow,
    ListWorkQueue,
)
from crm_hygiene.models.merge import MergeProposal
from crm_hygiene.models.messages import MergeTask
from crm_hygiene.models.record import Record
from crm_hygiene.models.review import Approve
from crm_hygiene.services.dedup.core import queue_row
from crm_hygiene.services.dedup.entry import build_index, entry_proposal
from crm_hygiene.services.merge.core import perform_merge, register_review, start_merge_workflow
from crm_hygiene.services.review.core import ReviewDeps, decide, decide_many
from crm_hygiene.standard.loader import default_standard


def _contact(record_id: str, **fields: str) -> Record:
    return Record(object_type="contact", record_id=record_id, source="hubspot",
                  fields={"record_id": record_id, **fields})  # fmt: skip


# A has an owner and the latest activity: the rules suggest A. B is the same person, owned by another rep.
A = _contact("100201", first_name="Ada", last_name="Example", email="ada@example.com", phone="+14155550101",
             company="Example Labs", owner="owner-a", lifecycle_stage="customer", lead_status="",
             created_at="2025-01-10T09:00:00Z", last_activity_at="2026-11-20T10:00:00Z")  # fmt: skip
B = _contact("100202", first_name="ADA", last_name="Example", email="ada@EXAMPLE.COM", phone="",
             company="Example Labs Inc", owner="owner-b", lifecycle_stage="lead", lead_status="open",
             created_at="2024-03-02T09:00:00Z", last_activity_at="2026-10-01T10:00:00Z")  # fmt: skip


@pytest.fixture
def deps() -> ReviewDeps:
    crm = InMemoryCrmStore()
    crm.add([A, B])
    return ReviewDeps(queue=InMemoryChangeQueue(), audit=InMemoryAuditLog(), memory=InMemoryDecisionMemory(),
                      apply_queue=ListWorkQueue(), workflow=InMemoryWorkflow(), crm=crm,
                      health=InMemoryHealthStore())  # fmt: skip


def _proposal(deps: ReviewDeps) -> MergeProposal:
    index = build_index(deps.crm, "contact")
    assert index is not None
    proposal = entry_proposal(B, index, deps.crm, default_standard())
    assert proposal is not None and proposal.suggested_primary == A.record_id
    return proposal


def _waiting(deps: ReviewDeps) -> dict[str, Any]:
    """Starts the workflow and registers its review as AwaitReview does; returns the execution input."""
    workflow = deps.workflow
    assert isinstance(workflow, InMemoryWorkflow)
    review_id = start_merge_workflow(workflow, _proposal(deps), "run-1")
    execution: dict[str, Any] = json.loads(
        json.dumps(workflow.started[review_id])
    )  # what Step Functions holds
    register = {k: execution[k] for k in ("review_id", "run_id", "proposal")}
    task = MergeTask.model_validate({**register, "task_token": "token-1", "action": "register"})
    register_review(task, queue=deps.queue, audit=deps.audit)
    return execution


def _merge(deps: ReviewDeps, execution: dict[str, Any]) -> MergeTask:
    """The Merge step's payload: the execution input and the decision the review API sent."""
    workflow = deps.workflow
    assert isinstance(workflow, InMemoryWorkflow)
    [(token, kind, decision)] = workflow.answers
    assert (token, kind) == ("token-1", "success")
    payload = {"action": "merge", **{k: execution[k] for k in ("review_id", "run_id", "proposal")},
               "decision": json.loads(json.dumps(decision))}  # fmt: skip
    return MergeTask.model_validate(payload)


def test_a_reviewers_primary_keeps_its_own_protected_values(deps: ReviewDeps) -> None:
    # Given a merge of A and B waiting for review, A suggested
    execution = _waiting(deps)
    review_id = execution["review_id"]
    # When the reviewer approves it keeping B, and the workflow merges
    decide(deps, review_id, Approve(decision="approve", primary_id=B.record_id), "ana")
    task = _merge(deps, execution)
    outcome = perform_merge(
        task, queue=deps.queue, crm=deps.crm, audit=deps.audit, standard=default_standard()
    )
    # Then A merged into B, and B keeps its owner, lifecycle stage and lead status (A's do not land on it)
    assert (outcome.surviving_id, outcome.merged_ids) == (B.record_id, [A.record_id])
    [survivor] = deps.crm.get_records("contact", [B.record_id])
    assert (survivor.get("owner"), survivor.get("lifecycle_stage"), survivor.get("lead_status")) == (
        "owner-b",
        "lead",
        "open",
    )
    # And the rules fill around B: its own values first, A's phone where B had none
    assert survivor.get("company") == "Example Labs Inc" and survivor.get("phone") == A.get("phone")
    written = {e.field for e in deps.audit.history("contact", B.record_id) if e.action == "applied"}
    assert written == {"phone"}
    assert deps.queue.get(review_id).status == "applied"


def test_the_suggested_primary_keeps_the_proposals_winners(deps: ReviewDeps) -> None:
    execution = _waiting(deps)
    decide(deps, execution["review_id"], Approve(decision="approve"), "ana")
    task = _merge(deps, execution)
    assert task.decision is not None and task.decision.primary_id is None and task.primary == A.record_id
    outcome = perform_merge(
        task, queue=deps.queue, crm=deps.crm, audit=deps.audit, standard=default_standard()
    )
    assert (outcome.surviving_id, outcome.merged_ids) == (A.record_id, [B.record_id])
    [survivor] = deps.crm.get_records("contact", [A.record_id])
    assert (survivor.get("owner"), survivor.get("lifecycle_stage")) == ("owner-a", "customer")
    assert survivor.get("lead_status") == "open"  # A had none: B's, as the proposal chose


def test_a_primary_outside_the_merge_is_refused_before_the_workflow_resumes(deps: ReviewDeps) -> None:
    # Given a merge of A and B waiting for review
    execution = _waiting(deps)
    review_id = execution["review_id"]
    # When a reviewer approves it keeping a record that is not in it
    with pytest.raises(InvalidDecision, match=r"primary_id 999 is not one of the records this merge joins"):
        decide(deps, review_id, Approve(decision="approve", primary_id="999"), "ana")
    # Then nothing went to the workflow, the item still waits, nothing was audited as decided
    assert isinstance(deps.workflow, InMemoryWorkflow) and deps.workflow.answers == []
    assert deps.queue.get(review_id).status == "queued"
    assert all(e.actor != "user:ana" for e in deps.audit.history("contact", A.record_id))
    # And in a bulk decision it is that item's error, not the batch's
    [result] = decide_many(deps, [(review_id, Approve(decision="approve", primary_id="999"))], "ana")
    assert (
        result.status == "error" and result.error is not None and result.error.startswith("InvalidDecision")
    )


def test_a_merge_task_whose_primary_is_not_a_member_does_not_parse(deps: ReviewDeps) -> None:
    proposal = _proposal(deps).model_dump(mode="json")
    decision = {"decision": "approve", "reviewer": "ana", "primary_id": "999"}
    with pytest.raises(ValueError, match="not one of its members"):
        MergeTask.model_validate({"review_id": "merge-1", "proposal": proposal, "decision": decision})


def test_the_review_queue_and_the_export_show_a_merge_alike(deps: ReviewDeps) -> None:
    # Given a merge whose members disagree on protected fields (owner, lifecycle stage)
    proposal = _proposal(deps)
    assert proposal.protected_conflicts
    # When the pipeline queues it for review, and the export writes it to queue.csv
    execution = _waiting(deps)
    item = deps.queue.get(execution["review_id"])
    row = queue_row(proposal)
    # Then both say the same thing about it: the review item was marked unprotected before
    assert (item.record_id, item.suggested_value, item.protected) == (
        row.record_id,
        row.suggested_value,
        row.protected,
    )
    assert item.protected is True and item.status == "queued" and item.decision == row.decision == "review"
