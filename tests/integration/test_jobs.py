"""Run rollback and large bulk decisions as jobs: review API → jobs table → the jobs state machine's
execution → the jobs function, on moto (the state machine's Lambda task is driven by the test with
each execution's input, as Step Functions would)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import boto3
import pytest
from jobs_handler import lambda_handler as jobs_lambda
from review_api_handler import lambda_handler as review_lambda

from crm_hygiene.adapters.aws.crm_store import DynamoCrmStore
from crm_hygiene.csvio.records import read_records
from crm_hygiene.local.sample import generate_sample
from crm_hygiene.models.messages import ApplyMessage
from crm_hygiene.models.record import Record
from crm_hygiene.services.review.jobs import JobDeps
from crm_hygiene.wiring.aws import AwsDeps
from tests.events.factory import FakeContext, api_event
from tests.fakes.applied import changes_for
from tests.integration.conftest import drain
from tests.integration.test_pipeline_handlers import apply_all

RUN = "run-jobs"


class Crash(Exception):
    """The worker dies (Lambda timeout, out of memory): Step Functions retries the task."""


@pytest.fixture
def records(deps: AwsDeps, tmp_path: Path) -> list[Record]:
    generate_sample(tmp_path, contacts=60, seed=4)
    seeded = list(read_records(tmp_path / "contacts.csv"))
    assert isinstance(deps.crm, DynamoCrmStore)
    deps.crm.put_records(seeded)
    return seeded


@pytest.fixture
def job_deps(deps: AwsDeps) -> JobDeps:
    return deps.jobs()


def call(job_deps: JobDeps, method: str, path: str, body: object = None) -> tuple[int, dict[str, Any], Any]:
    response = review_lambda(api_event(method, path, body), FakeContext(), jobs=job_deps)
    payload = response["body"]
    headers = {k: v[-1] for k, v in (response.get("multiValueHeaders") or {}).items()}
    return response["statusCode"], headers, json.loads(payload) if payload else None


def _executions(env: dict[str, str]) -> list[dict[str, Any]]:
    sfn = boto3.client("stepfunctions")
    listed = sfn.list_executions(stateMachineArn=env["JOBS_WORKFLOW_ARN"])["executions"]
    return [json.loads(sfn.describe_execution(executionArn=e["executionArn"])["input"]) for e in listed]


def _run_worker(job_deps: JobDeps, execution: dict[str, Any], seconds: float = 600) -> dict[str, Any]:
    """What the jobs state machine does with one execution: RunJob until done."""
    step = {"action": "run", **execution}
    while True:
        result = jobs_lambda(step, FakeContext(remaining_seconds=seconds), deps=job_deps)
        if result["done"]:
            return dict(result)
        step = {"action": "run", "job_id": result["job_id"], "attempt": result["attempt"]}


def _applied_run(deps: AwsDeps, env: dict[str, str], records: list[Record], count: int) -> list[str]:
    items = changes_for(records, count, RUN)
    deps.queue.put_new(items)
    deps.apply_queue.send([ApplyMessage(review_id=i.review_id, run_id=RUN) for i in items])
    apply_all(deps, env)
    assert {deps.queue.get(i.review_id).status for i in items} == {"applied"}
    return [i.review_id for i in items]


def test_run_rollback_answers_202_with_a_job_reported_at_get_jobs(
    aws: dict[str, str], deps: AwsDeps, job_deps: JobDeps, records: list[Record]
) -> None:
    # Given a run that applied 120 changes through the apply function
    before = {r.record_id: dict(r.fields) for r in records}
    ids = _applied_run(deps, aws, records, 120)
    # When a reviewer asks for the run's rollback
    status, headers, job = call(job_deps, "POST", f"/runs/{RUN}/rollback")
    # Then the answer is 202 with the queued job, and one jobs-workflow execution is started for it
    assert status == 202 and job["status"] == "queued" and headers["Location"] == f"/jobs/{job['job_id']}"
    assert job["requested_by"] == "arn:aws:iam::123456789012:user/reviewer"
    assert _executions(aws) == [{"job_id": job["job_id"], "attempt": 1}]
    # and asking again while it runs returns the same job, starting nothing more
    again = call(job_deps, "POST", f"/runs/{RUN}/rollback")
    assert again[0] == 202 and again[2]["job_id"] == job["job_id"] and len(_executions(aws)) == 1
    assert {deps.queue.get(i).status for i in ids} == {"applied"}
    # When the workflow runs the worker
    result = _run_worker(job_deps, _executions(aws)[0])
    # Then GET /jobs/{id} reports it finished, in 3 chunks, and every value is back
    status, _, done = call(job_deps, "GET", f"/jobs/{job['job_id']}")
    assert result == {"job_id": job["job_id"], "attempt": 1, "status": "succeeded", "done": True}
    assert status == 200 and (done["status"], done["total"], done["chunks"], done["done"], done["errors"]) == (
        "succeeded", 120, 3, 120, 0)  # fmt: skip
    assert done["started_at"] and done["finished_at"] and done["processed"] == 120
    for record_id, fields in before.items():
        [record] = deps.crm.get_records("contact", [record_id])
        assert {k: record.get(k) for k in fields if k != "updated_at"} == {
            k: v for k, v in fields.items() if k != "updated_at"
        }
    results, cursor = [], None
    while True:
        status, _, page = call(
            job_deps, "GET", f"/jobs/{job['job_id']}/results" + (f"?cursor={cursor}" if cursor else "")
        )
        results.extend(page["results"])
        if not (cursor := page["next_cursor"]):
            break
    assert len(results) == 120 and {r["review_id"] for r in results} == set(ids)
    assert call(job_deps, "GET", "/jobs/job-nope")[0] == 404


def test_a_crashed_worker_is_retried_from_its_checkpoint_and_rolls_back_each_change_once(
    aws: dict[str, str],
    deps: AwsDeps,
    job_deps: JobDeps,
    records: list[Record],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a run of 120 applied changes, and a CRM write that dies on its 75th call, after its effect
    ids = _applied_run(deps, aws, records, 120)
    crm = job_deps.review.crm
    original = crm.write_fields
    writes: Counter[str] = Counter()

    def dying(object_type: Any, batch: Any) -> Any:
        results = original(object_type, batch)
        # what took effect: a replayed write the CRM already holds is answered without writing
        writes.update(
            w.change_id
            for w, r in zip(batch, results, strict=True)
            if r.detail != "already held the new value"
        )
        if sum(writes.values()) == 75 and not getattr(dying, "crashed", False):
            dying.crashed = True  # type: ignore[attr-defined]
            raise Crash("the worker died after a CRM write")
        return results

    monkeypatch.setattr(crm, "write_fields", dying)
    _, _, job = call(job_deps, "POST", f"/runs/{RUN}/rollback")
    [execution] = _executions(aws)
    # When the first RunJob crashes and Step Functions retries it
    with pytest.raises(Crash):
        jobs_lambda({"action": "run", **execution}, FakeContext(), deps=job_deps)
    _, _, halfway = call(job_deps, "GET", f"/jobs/{job['job_id']}")
    assert (halfway["status"], halfway["next_chunk"], halfway["processed"]) == ("running", 1, 50)
    _run_worker(job_deps, execution)
    # Then every change was rolled back exactly once, none skipped, each with one audit entry
    _, _, done = call(job_deps, "GET", f"/jobs/{job['job_id']}")
    assert (done["status"], done["done"], done["errors"]) == ("succeeded", 120, 0)
    assert writes == Counter({f"rollback:{i}": 1 for i in ids})
    audited = Counter(e.change_id for e in deps.audit.by_run(RUN) if e.action == "rolled_back")
    assert audited == Counter(dict.fromkeys(ids, 1))


def test_a_worker_that_gave_up_is_resumed_by_the_next_request(
    aws: dict[str, str], deps: AwsDeps, job_deps: JobDeps, records: list[Record]
) -> None:
    _applied_run(deps, aws, records, 60)
    _, _, job = call(job_deps, "POST", f"/runs/{RUN}/rollback")
    [execution] = _executions(aws)
    # When the state machine's retries are exhausted: MarkFailed
    jobs_lambda({"action": "fail", **execution, "error": "States.Timeout"}, FakeContext(), deps=job_deps)
    _, _, failed = call(job_deps, "GET", f"/jobs/{job['job_id']}")
    assert (failed["status"], failed["failure"]) == ("failed", "States.Timeout")
    # Then the next request resumes the same job as attempt 2 (a new execution), which finishes it
    status, _, resumed = call(job_deps, "POST", f"/runs/{RUN}/rollback")
    assert status == 202 and resumed["job_id"] == job["job_id"] and resumed["attempt"] == 2
    assert {"job_id": job["job_id"], "attempt": 2} in _executions(aws)
    assert _run_worker(job_deps, {"job_id": job["job_id"], "attempt": 2})["status"] == "succeeded"


def test_bulk_decisions_over_200_items_become_a_job_and_at_most_200_stay_synchronous(
    aws: dict[str, str], deps: AwsDeps, job_deps: JobDeps, records: list[Record]
) -> None:
    # Given 230 queued changes
    items = [
        i.model_copy(update={"status": "queued", "decision": "review"})
        for i in changes_for(records, 230, RUN)
    ]
    deps.queue.put_new(items)
    decisions = [{"review_id": i.review_id, "decision": {"decision": "approve"}} for i in items]
    # When 200 are decided: in the request, one result each
    status, _, body = call(job_deps, "POST", "/reviews/decisions", {"decisions": decisions[:200]})
    assert status == 200 and [r["status"] for r in body["results"]] == ["approved"] * 200
    # When 230 are sent (200 of them decided already): a job, the same one if sent twice
    status, headers, job = call(job_deps, "POST", "/reviews/decisions", {"decisions": decisions})
    assert status == 202 and job["kind"] == "bulk_decisions" and job["total"] == 230
    assert (
        call(job_deps, "POST", "/reviews/decisions", {"decisions": decisions})[2]["job_id"] == job["job_id"]
    )
    drain(aws["APPLY_QUEUE_URL"])
    _run_worker(job_deps, _executions(aws)[0])
    # Then the 30 undecided items are approved and sent to apply once each; the 200 decided in the
    # request by the same reviewer count as done, not decided again
    _, _, done = call(job_deps, "GET", f"/jobs/{job['job_id']}")
    assert (done["status"], done["done"], done["errors"]) == ("succeeded", 230, 0)
    sent = Counter(json.loads(b)["review_id"] for b in drain(aws["APPLY_QUEUE_URL"]))
    assert set(sent) == {i.review_id for i in items[200:]} and set(sent.values()) == {1}
    assert {deps.queue.get(i.review_id).status for i in items} == {"approved"}
    # and more than the bulk limit is refused before anything happens
    too_many = decisions * 44
    assert call(job_deps, "POST", "/reviews/decisions", {"decisions": too_many})[0] == 422
