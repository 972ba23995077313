"""A run's rollback on the local stack: the review API answers 202 at once, the jobs state machine
runs the jobs function chunk by chunk, and GET /jobs/{id} reports progress until every value is back.

Before jobs, the same request rolled back in the request itself: API Gateway answers 504 after 29 s
and the function finished unseen (issue 10, "Run rollback"). The figures it prints (answer time, job
time, chunks, worker invocations) are the ones docs/pipeline.md quotes; nothing asserts a time.
"""

from __future__ import annotations

import time
from collections import Counter

import boto3
import httpx

from crm_hygiene.local import demo
from crm_hygiene.models.messages import ApplyMessage
from crm_hygiene.ports import every_record
from tests.fakes.applied import changes_for

RUN = "e2e-rollback"
CHANGES = 500


def test_a_run_rollback_of_500_applied_changes_is_a_job_on_the_local_stack(local_stack: demo.DemoRun) -> None:
    run, deps = local_stack, local_stack.deps
    # Given a run that applied 500 changes through the apply queue and function
    records = list(every_record(deps.crm, "contact"))
    before = {r.record_id: dict(r.fields) for r in records}
    items = changes_for(records, CHANGES, RUN)
    deps.queue.put_new(items)
    deps.apply_queue.send([ApplyMessage(review_id=i.review_id, run_id=RUN) for i in items])
    demo.settle(deps)
    assert Counter(deps.queue.get(i.review_id).status for i in items) == Counter(applied=CHANGES)
    api = demo.serve(run)
    with httpx.Client(base_url=api.url, headers={"X-Reviewer": "e2e-reviewer"}, timeout=60) as client:
        # When a reviewer asks for the run's rollback
        began = time.perf_counter()
        answer = client.post(f"/runs/{RUN}/rollback")
        answered = time.perf_counter() - began
        # Then the API answers 202 with the job, before the job has done its work
        assert answer.status_code == 202, answer.text
        job = answer.json()
        assert job["status"] in ("queued", "running") and job["requested_by"] == "local:e2e-reviewer"
        assert answer.headers["Location"] == f"/jobs/{job['job_id']}"
        # and a second request while it runs gets the same job
        again = client.post(f"/runs/{RUN}/rollback").json()
        assert again["job_id"] == job["job_id"]
        # When we follow it at GET /jobs/{id}
        seen: list[int] = []
        while True:
            state = client.get(f"/jobs/{job['job_id']}").json()
            seen.append(state["processed"])
            if state["status"] not in ("queued", "running"):
                break
            assert time.perf_counter() - began < 900, state
            time.sleep(0.5)
        took = time.perf_counter() - began
    # Then every change was rolled back once, newest first, in 10 chunks of 50, and every value is back
    assert (state["status"], state["total"], state["done"], state["errors"], state["chunks"]) == (
        "succeeded", CHANGES, CHANGES, 0, 10)  # fmt: skip
    assert seen == sorted(seen)
    assert Counter(deps.queue.get(i.review_id).status for i in items) == Counter(rolled_back=CHANGES)
    after = {r.record_id: dict(r.fields) for r in every_record(deps.crm, "contact")}
    assert {k: {f: v for f, v in fields.items() if f != "updated_at"} for k, fields in after.items()} == {
        k: {f: v for f, v in fields.items() if f != "updated_at"} for k, fields in before.items()
    }
    audited = Counter(e.change_id for e in deps.audit.by_run(RUN) if e.action == "rolled_back")
    assert audited == Counter({i.review_id: 1 for i in items})
    sfn = boto3.client("stepfunctions")
    executions = sfn.list_executions(stateMachineArn=run.stack.outputs["JobsWorkflowArn"])["executions"]
    assert [e["name"] for e in executions] == [f"{job['job_id']}-1"]
    history = sfn.get_execution_history(executionArn=executions[0]["executionArn"], maxResults=1000)["events"]
    invocations = sum(e["type"] == "LambdaFunctionScheduled" for e in history)
    assert invocations >= 1
    print(  # noqa: T201 - the figures docs/pipeline.md quotes
        f"\nrun rollback of {CHANGES} changes on the local stack: answered 202 in "
        f"{answered:.2f} s, job done in {took:.1f} s, {state['chunks']} chunks in {invocations} worker "
        f"invocation(s), "
        f"progress samples {sorted(set(seen))}"
    )
