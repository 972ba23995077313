"""One contract for every ``JobStore`` (STYLE point 22): in memory, and DynamoDB on moto with the
stack's own table definition, so the fake the unit tests use cannot drift from the adapter."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import boto3
import pytest
from moto import mock_aws

from crm_hygiene.adapters.aws.job_store import DynamoJobStore
from crm_hygiene.errors import Conflict, NotFound
from crm_hygiene.memory import InMemoryJobStore
from crm_hygiene.models.jobs import Job, JobItemResult, JobTask
from crm_hygiene.models.review import Approve, EditAndApprove
from crm_hygiene.ports import JobStore
from infra import names
from infra.tables import TABLES, create_table


def _dynamo() -> Iterator[JobStore]:
    with mock_aws():
        create_table(boto3.client("dynamodb"), "jobs", TABLES[names.JOBS_TABLE])
        yield DynamoJobStore(boto3.resource("dynamodb").Table("jobs"))


def _memory() -> Iterator[JobStore]:
    yield InMemoryJobStore()


BUILDERS: dict[str, Callable[[], Iterator[JobStore]]] = {"memory": _memory, "dynamodb": _dynamo}


@pytest.fixture(params=list(BUILDERS))
def store(request: pytest.FixtureRequest) -> Iterator[JobStore]:
    yield from BUILDERS[request.param]()


NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)


def _job(job_id: str = "job-1", subject: str = "run-1") -> Job:
    return Job(job_id=job_id, kind="rollback_run", subject=subject, status="queued", requested_by="ana",
               created_at=NOW, updated_at=NOW, chunk_size=2)  # fmt: skip


PLAN = [
    [JobTask(review_id="a", decision=Approve(decision="approve")),
     JobTask(review_id="b", decision=EditAndApprove(decision="edit_and_approve", value="X"))],
    [JobTask(review_id="c")],
]  # fmt: skip


def test_a_created_job_is_its_subjects_current_job(store: JobStore) -> None:
    assert store.current("rollback_run", "run-1") is None
    created = store.create(_job(), replaces=None, plan=None)
    assert store.get("job-1") == created and store.current("rollback_run", "run-1") == created
    assert store.current("bulk_decisions", "run-1") is None
    with pytest.raises(NotFound):
        store.get("job-2")


def test_only_one_request_creates_the_subjects_job(store: JobStore) -> None:
    store.create(_job(), replaces=None, plan=None)
    with pytest.raises(Conflict):
        store.create(_job("job-2"), replaces=None, plan=None)
    with pytest.raises(Conflict):  # replacing a job that is no longer the current one
        store.create(_job("job-2"), replaces="job-0", plan=None)
    replacing = store.create(_job("job-2"), replaces="job-1", plan=None)
    assert store.current("rollback_run", "run-1") == replacing
    assert store.get("job-1").job_id == "job-1"  # the older job stays readable


def test_a_plan_is_stored_in_chunks_with_the_job_or_later(store: JobStore) -> None:
    with_plan = store.create(_job(), replaces=None, plan=PLAN)
    assert (with_plan.total, with_plan.chunks) == (3, 2) and store.get("job-1") == with_plan
    assert store.chunk("job-1", 0) == PLAN[0] and store.chunk("job-1", 1) == PLAN[1]
    with pytest.raises(NotFound):
        store.chunk("job-1", 2)
    later = store.create(_job("job-2", "run-2"), replaces=None, plan=None)
    planned = store.put_plan(later, PLAN)
    assert (planned.total, planned.chunks, planned.version) == (3, 2, 1) and store.get("job-2") == planned


def test_updates_are_version_checked(store: JobStore) -> None:
    job = store.create(_job(), replaces=None, plan=None)
    running = store.update(job, status="running", started_at=NOW)
    assert running.version == 1 and store.get("job-1") == running
    with pytest.raises(Conflict):
        store.update(job, status="failed")  # written by someone else since
    with pytest.raises(NotFound):
        store.update(_job("job-9"), status="running")


def test_a_chunks_results_and_the_checkpoint_are_stored_together(store: JobStore) -> None:
    job = store.create(_job(), replaces=None, plan=PLAN)
    results = [JobItemResult(review_id="a", outcome="done", status="approved"),
               JobItemResult(review_id="b", outcome="error", status="queued", reason="conflict", message="m")]  # fmt: skip
    after = store.complete_chunk(job, 0, results, updated_at=NOW)
    assert (after.next_chunk, after.done, after.errors, after.processed) == (1, 1, 1, 2)
    assert store.get("job-1") == after and store.results("job-1", 0, 5) == [results]
    # a stale writer (the header moved on) stores neither the results nor the checkpoint
    with pytest.raises(Conflict):
        store.complete_chunk(job, 0, results)
    with pytest.raises(Conflict):
        store.complete_chunk(after, 0, results)  # not the checkpoint
    last = store.complete_chunk(after, 1, [JobItemResult(review_id="c", outcome="done", already=True)])
    assert store.results("job-1", 1, 1) == [[JobItemResult(review_id="c", outcome="done", already=True)]]
    assert len(store.results("job-1", 0, 2)) == 2 and (last.next_chunk, last.done) == (2, 2)
