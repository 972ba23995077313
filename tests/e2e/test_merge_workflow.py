"""The merge workflow on the local stack: nothing merges until a reviewer approves through the API;
a rejection is remembered and merges nothing."""

from __future__ import annotations

import os
import time
from typing import Any

import boto3
import httpx

from crm_hygiene.local import demo
from crm_hygiene.models.merge import pair_key


def _proposal(a: str, b: str) -> dict[str, Any]:
    return {"object_type": "contact", "members": [a, b], "suggested_primary": a, "match_probability": 0.99,
            "field_winners": {}, "evidence_summary": "e2e: same person"}  # fmt: skip


def _wait_for_token(run: demo.DemoRun, review_id: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if run.deps.queue.get(review_id).task_token:
                return
        except Exception:  # noqa: BLE001 - not queued yet
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{review_id} never reached the review queue")


def _execution(name: str) -> str:
    pages = boto3.client("stepfunctions").get_paginator("list_executions")
    for page in pages.paginate(stateMachineArn=os.environ["MERGE_WORKFLOW_ARN"]):
        for execution in page["executions"]:
            if execution["name"] == name:
                return str(execution["executionArn"])
    names = [e["name"] for p in pages.paginate(stateMachineArn=os.environ["MERGE_WORKFLOW_ARN"])
             for e in p["executions"]]  # fmt: skip
    raise LookupError(f"no execution {name} among {names}")


def _two_contacts(run: demo.DemoRun, skip: int) -> tuple[str, str]:
    records = run.deps.crm.list_records("contact", limit=20).records
    return records[skip].record_id, records[skip + 1].record_id


def test_a_merge_waits_for_approval_then_goes_through_the_crm(local_stack: demo.DemoRun) -> None:
    run = local_stack
    api = demo.serve(run)
    a, b = _two_contacts(run, 0)
    run.deps.workflow.start_merge({"review_id": "merge-e2e-1", "run_id": "e2e", "auto": False,
                                   "proposal": _proposal(a, b)}, name="merge-e2e-1")  # fmt: skip
    _wait_for_token(run, "merge-e2e-1")
    # Given the workflow waits: both records are still there
    assert {r.record_id for r in run.deps.crm.get_records("contact", [a, b])} == {a, b}
    view = httpx.get(f"{api.url}/reviews/merge-e2e-1", timeout=30).json()
    assert view["item"]["change_kind"] == "merge" and "task_token" not in view["item"]
    # When a reviewer approves through the API
    answer = httpx.post(f"{api.url}/reviews/merge-e2e-1/decision", json={"decision": "approve"},
                        headers={"X-Reviewer": "ana"}, timeout=60)  # fmt: skip
    assert answer.status_code == 200
    output = demo.wait_for(_execution("merge-e2e-1"))
    # Then the CRM merged b into a (b is kept, marked merged), the merge is audited and settled
    assert output["merge"]["surviving_id"] == a and output["merge"]["merged_ids"] == [b]
    assert run.deps.crm.get_records("contact", [b]) == []
    assert any(e.action == "merged" for e in run.deps.audit.history("contact", b))
    assert run.deps.queue.get("merge-e2e-1").status == "applied"
    # And deciding again is refused: the workflow no longer waits
    again = httpx.post(f"{api.url}/reviews/merge-e2e-1/decision", json={"decision": "approve"}, timeout=60)
    assert again.status_code == 409


def test_a_rejected_merge_merges_nothing_and_is_remembered(local_stack: demo.DemoRun) -> None:
    run = local_stack
    api = demo.serve(run)
    a, b = _two_contacts(run, 4)
    run.deps.workflow.start_merge({"review_id": "merge-e2e-2", "run_id": "e2e", "auto": False,
                                   "proposal": _proposal(a, b)}, name="merge-e2e-2")  # fmt: skip
    _wait_for_token(run, "merge-e2e-2")
    answer = httpx.post(f"{api.url}/reviews/merge-e2e-2/decision", json={"decision": "reject", "note": "twins"},
                        headers={"X-Reviewer": "ana"}, timeout=60)  # fmt: skip
    assert answer.status_code == 200
    demo.wait_for(_execution("merge-e2e-2"))
    assert {r.record_id for r in run.deps.crm.get_records("contact", [a, b])} == {a, b}
    assert run.deps.memory.was_rejected("merge-e2e-2")
    assert run.deps.queue.get("merge-e2e-2").status == "rejected"
    # by the pair too: what the next scan and the entry check consult before proposing it again
    assert run.deps.memory.was_rejected(pair_key("contact", a, b))
