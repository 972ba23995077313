"""Items and audit entries persisted by version 1 still parse (STYLE point 14).

tests/data/compat/persisted.v1.json was written by the DynamoDB adapters of the first release. A model
change that cannot read it breaks the queue and the audit trail of every deployed stack: add a
migration, or keep the field optional, instead of editing the fixture.

tests/data/compat/merge_workflow.v1.json is what Step Functions holds for a merge execution written by
the version whose proposals and decisions were plain dicts (commit 1412954): two contacts, the
execution input of their merge (entry check, A suggested), the AwaitReview payload, the change-queue
item the merge-review function stored, and the Merge step's payloads: the reviewer keeping B (the
decision the review API sent) and the auto band's. Executions wait up to a week for a reviewer, across
deploys: the new code must still read and merge them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from crm_hygiene.adapters.aws.audit_log import _from_item as audit_from_item
from crm_hygiene.adapters.aws.change_queue import from_item, to_item
from crm_hygiene.memory import InMemoryAuditLog, InMemoryChangeQueue, InMemoryCrmStore
from crm_hygiene.models.audit import verify_chain
from crm_hygiene.models.messages import MergeTask
from crm_hygiene.models.record import Record
from crm_hygiene.services.merge.core import perform_merge
from crm_hygiene.standard.loader import default_standard

COMPAT = Path(__file__).resolve().parents[1] / "data" / "compat"
FIXTURE = COMPAT / "persisted.v1.json"
MERGE_FIXTURE = COMPAT / "merge_workflow.v1.json"


def test_version_1_queue_items_and_audit_entries_still_parse() -> None:
    data = json.loads(FIXTURE.read_text())
    items = [from_item(raw) for raw in data["change_queue_items"]]
    assert [i.status for i in items] == ["applied", "queued"]
    assert items[1].proposal is not None and items[1].proposal.members == ("100017", "100093")
    assert items[1].task_token == "AAAA-token" and "task_token" not in items[1].view().model_dump()
    entries = [audit_from_item(raw) for raw in data["audit_entries"]]
    assert verify_chain(entries) == []  # the hash still covers exactly the same fields


def _crm(data: dict[str, Any]) -> InMemoryCrmStore:
    crm = InMemoryCrmStore()
    crm.add([Record.model_validate(r) for r in data["records"]])
    return crm


def test_version_1_merge_workflow_payloads_still_parse() -> None:
    data = json.loads(MERGE_FIXTURE.read_text())
    register = MergeTask.model_validate({**data["register_task"], "action": "register"})
    merge = MergeTask.model_validate(data["merge_task_reviewer_primary"])
    stored = from_item(data["stored_review_item"])
    # the same proposal everywhere, typed, its id still derived from the members
    assert register.proposal == merge.proposal == stored.proposal
    assert merge.proposal.proposal_id == data["execution_input"]["proposal"]["proposal_id"]
    assert (merge.proposal.suggested_primary, merge.primary) == ("100201", "100202")
    assert register.primary == "100201" and register.task_token == "AAAA-token"
    assert stored.task_token == "AAAA-token" and stored.proposal is not None
    # and a stored item goes back to the same shape it came from (the proposal as a JSON string)
    assert json.loads(to_item(stored)["proposal"]) == json.loads(data["stored_review_item"]["proposal"])


def test_a_version_1_merge_keeping_the_reviewers_primary_merges_around_it() -> None:
    # Given the queued item and a Merge payload in which the reviewer kept B (100202) over A (100201)
    data = json.loads(MERGE_FIXTURE.read_text())
    crm, queue, audit = _crm(data), InMemoryChangeQueue(), InMemoryAuditLog()
    stored = from_item(data["stored_review_item"])
    queue.put_new([stored])
    queue.transition(stored, "approved", reviewer="reviewer-1")
    task = MergeTask.model_validate(data["merge_task_reviewer_primary"])
    # When the new code runs the Merge step
    outcome = perform_merge(task, queue=queue, crm=crm, audit=audit, standard=default_standard())
    # Then A merged into B and B keeps its own owner and lifecycle stage
    assert (outcome.surviving_id, outcome.merged_ids) == ("100202", ["100201"])
    [survivor] = crm.get_records("contact", ["100202"])
    assert (survivor.get("owner"), survivor.get("lifecycle_stage")) == ("owner-b", "lead")
    assert queue.get(stored.review_id).status == "applied"


def test_a_version_1_auto_merge_still_merges_into_the_suggested_primary() -> None:
    data = json.loads(MERGE_FIXTURE.read_text())
    crm, queue = _crm(data), InMemoryChangeQueue()
    task = MergeTask.model_validate(data["merge_task_auto"])
    outcome = perform_merge(task, queue=queue, crm=crm, audit=InMemoryAuditLog(), standard=default_standard())
    assert (outcome.surviving_id, outcome.merged_ids) == ("100201", ["100202"])
    [survivor] = crm.get_records("contact", ["100201"])
    assert (survivor.get("owner"), survivor.get("lifecycle_stage")) == ("owner-a", "customer")
    assert queue.get(task.review_id).status == "applied"
