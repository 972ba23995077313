"""Review jobs over in-memory ports: a run's rollback and bulk decisions, chunked, checkpointed,
resumable; a crash at any point neither repeats nor skips a change."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from crm_hygiene.memory import (
    InMemoryAuditLog,
    InMemoryChangeQueue,
    InMemoryCrmStore,
    InMemoryDecisionMemory,
    InMemoryHealthStore,
    InMemoryJobStore,
    InMemoryWorkflow,
    ListJobRunner,
    ListWorkQueue,
)
from crm_hygiene.models.crm import FieldWrite, WriteResult
from crm_hygiene.models.jobs import Job, JobItemResult
from crm_hygiene.models.record import Record
from crm_hygiene.models.review import Approve, Reject
from crm_hygiene.services.apply.core import apply_changes
from crm_hygiene.services.review import jobs
from crm_hygiene.services.review.core import ReviewDeps
from crm_hygiene.services.review.jobs import JobDeps
from crm_hygiene.types import JOB_ITEM_REASONS, JOB_KINDS, JOB_STATUSES, ObjectType
from tests.fakes.applied import change, changes_for

RUN = "run-7"
FOREVER = lambda: 1e9  # noqa: E731 - the worker's time budget: never short


class Crash(Exception):
    """A worker dying mid-chunk (Lambda timeout, out of memory): not a domain error."""


class CrashingCrm(InMemoryCrmStore):
    """Crashes on the ``crash_at``-th rollback write, after the write took effect (the worst moment)."""

    crash_at: int | None = None
    rollback_writes: Counter[str]

    def write_fields(self, object_type: ObjectType, writes: Sequence[FieldWrite]) -> list[WriteResult]:
        results = super().write_fields(object_type, writes)
        for w, r in zip(writes, results, strict=True):
            if w.change_id.startswith("rollback:") and r.status == "applied" and r.detail == "":
                self.rollback_writes[w.change_id] += 1
                if self.crash_at is not None and sum(self.rollback_writes.values()) == self.crash_at:
                    self.crash_at = None
                    raise Crash("worker died after the CRM write")
        return results


def _records(n: int) -> list[Record]:
    return [
        Record(object_type="contact", record_id=str(100000 + i), source="internal",
               fields={"record_id": str(100000 + i), "job_title": f"Title {i}", "city": f"City {i}",
                       "company": f"Co {i}", "postal_code": f"{10000 + i}"})
        for i in range(n)
    ]  # fmt: skip


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 7, 12, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=1)
        return self.now


@pytest.fixture
def deps() -> JobDeps:
    crm = CrashingCrm()
    crm.rollback_writes = Counter()
    review = ReviewDeps(queue=InMemoryChangeQueue(), audit=InMemoryAuditLog(), memory=InMemoryDecisionMemory(),
                        apply_queue=ListWorkQueue(), workflow=InMemoryWorkflow(), crm=crm,
                        health=InMemoryHealthStore())  # fmt: skip
    return JobDeps(
        review=review, jobs=InMemoryJobStore(), runner=ListJobRunner(), clock=Clock(), chunk_size=10
    )


def _apply(deps: JobDeps, records: list[Record], count: int, run_id: str = RUN) -> list[str]:
    assert isinstance(deps.review.crm, InMemoryCrmStore)
    deps.review.crm.add(records)
    items = changes_for(records, count, run_id)
    deps.review.queue.put_new(items)
    report = apply_changes([i.review_id for i in items], queue=deps.review.queue, crm=deps.review.crm,
                           audit=deps.review.audit)  # fmt: skip
    assert set(report.outcomes.values()) == {"applied"}
    return [i.review_id for i in items]


def _values(deps: JobDeps) -> dict[str, dict[str, str]]:
    assert isinstance(deps.review.crm, InMemoryCrmStore)
    return {r.record_id: dict(r.fields) for r in deps.review.crm.records.values()}


def _run_to_end(deps: JobDeps, job: Job) -> Job:
    while not (job := jobs.run_job(deps, job.job_id, job.attempt, FOREVER)).finished:
        pass
    return job


def _started(deps: JobDeps) -> list[tuple[str, int]]:
    assert isinstance(deps.runner, ListJobRunner)
    return deps.runner.started


def _budget(chunks: int) -> Any:
    """A worker's remaining time (seconds): room for ``chunks`` chunks (3 readings each), then too little."""
    readings = iter([100.0] * 3 * chunks)
    return lambda: next(readings, 10.0)


def _all_results(deps: JobDeps, job_id: str) -> list[JobItemResult]:
    out: list[JobItemResult] = []
    cursor: str | None = None
    while True:
        page = jobs.job_results(deps, job_id, cursor)
        out.extend(page.results)
        if (cursor := page.next_cursor) is None:
            return out


def test_run_rollback_is_a_job_that_restores_every_applied_value(deps: JobDeps) -> None:
    # Given a run that applied 45 changes
    records = _records(20)
    before = {r.record_id: dict(r.fields) for r in records}
    ids = _apply(deps, records, 45)
    # When a reviewer asks for the run's rollback
    job, started = jobs.start_run_rollback(deps, RUN, "ana")
    # Then the request only queues a job and starts its worker: nothing is rolled back yet
    assert started and job.status == "queued" and job.requested_by == "ana" and job.total is None
    assert _started(deps) == [(job.job_id, 1)]
    assert {deps.review.queue.get(i).status for i in ids} == {"applied"}
    # When the worker runs
    job = _run_to_end(deps, job)
    # Then every change is rolled back, in 5 chunks, each value restored exactly, each audited once
    assert (job.status, job.total, job.chunks, job.done, job.errors) == ("succeeded", 45, 5, 45, 0)
    assert job.started_at and job.finished_at and job.started_at <= job.finished_at
    assert _values(deps) == before
    assert {deps.review.queue.get(i).status for i in ids} == {"rolled_back"}
    audited = Counter(e.change_id for e in deps.review.audit.by_run(RUN) if e.action == "rolled_back")
    assert audited == Counter(dict.fromkeys(ids, 1))
    results = _all_results(deps, job.job_id)
    assert [r.outcome for r in results] == ["done"] * 45 and {r.review_id for r in results} == set(ids)


def test_rollback_undoes_the_newest_change_of_a_field_first(deps: JobDeps) -> None:
    # Given two applied changes of one field: Title 0 -> A, then A -> B
    [record] = _records(1)
    assert isinstance(deps.review.crm, InMemoryCrmStore)
    deps.review.crm.add([record])
    for n, (old, new) in enumerate((("Title 0", "A"), ("A", "B"))):
        item = change(record, "job_title", old, new, RUN, n)
        deps.review.queue.put_new([item])
        apply_changes([item.review_id], queue=deps.review.queue, crm=deps.review.crm, audit=deps.review.audit)
    # When the run is rolled back
    job = _run_to_end(deps, jobs.start_run_rollback(deps, RUN, "ana")[0])
    # Then both are undone (B first, or A's restore would find B and refuse) and the title is back
    assert (job.status, job.done) == ("succeeded", 2)
    assert _values(deps)[record.record_id]["job_title"] == "Title 0"


def test_a_second_request_while_the_job_runs_gets_the_same_job(deps: JobDeps) -> None:
    _apply(deps, _records(5), 5)
    first, started = jobs.start_run_rollback(deps, RUN, "ana")
    again, started_again = jobs.start_run_rollback(deps, RUN, "bob")
    assert started and not started_again and again.job_id == first.job_id
    assert len(_started(deps)) == 1
    # once it finished, a new request is a new job (over what is still applied: nothing)
    _run_to_end(deps, first)
    later, started_later = jobs.start_run_rollback(deps, RUN, "ana")
    assert started_later and later.job_id != first.job_id
    assert _run_to_end(deps, later).total == 0


@pytest.mark.parametrize("crash_at", [1, 10, 11, 23, 45])
def test_a_worker_crash_mid_chunk_resumes_without_repeating_or_skipping(deps: JobDeps, crash_at: int) -> None:
    # Given a run of 45 applied changes, and a worker that dies right after its n-th CRM write
    records = _records(20)
    before = {r.record_id: dict(r.fields) for r in records}
    ids = _apply(deps, records, 45)
    crm = deps.review.crm
    assert isinstance(crm, CrashingCrm)
    crm.crash_at = crash_at
    job, _ = jobs.start_run_rollback(deps, RUN, "ana")
    # When the worker crashes, and Step Functions retries it (same attempt)
    with pytest.raises(Crash):
        jobs.run_job(deps, job.job_id, 1, FOREVER)
    checkpoint = deps.jobs.get(job.job_id)
    assert checkpoint.status == "running" and checkpoint.next_chunk == (crash_at - 1) // 10
    job = _run_to_end(deps, checkpoint)
    # Then every change was written back exactly once, none skipped, each audited once
    assert (job.status, job.done, job.errors) == ("succeeded", 45, 0)
    assert crm.rollback_writes == Counter({f"rollback:{i}": 1 for i in ids})
    assert _values(deps) == before
    audited = Counter(e.change_id for e in deps.review.audit.by_run(RUN) if e.action == "rolled_back")
    assert audited == Counter(dict.fromkeys(ids, 1))
    results = _all_results(deps, job.job_id)
    assert len(results) == 45 and {r.review_id for r in results} == set(ids)
    # the items the crashed attempt had already finished in the replayed chunk are reported as such
    assert sum(r.already for r in results) == (crash_at - 1) % 10


def test_a_lost_checkpoint_replays_the_chunk_harmlessly(
    deps: JobDeps, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a worker that dies while storing its second chunk's checkpoint (every item of it done)
    ids = _apply(deps, _records(20), 30)
    job, _ = jobs.start_run_rollback(deps, RUN, "ana")
    store = deps.jobs
    assert isinstance(store, InMemoryJobStore)
    original = store.complete_chunk
    calls = Counter[str]()

    def dying(job: Job, index: int, results: Sequence[JobItemResult], **changes: Any) -> Job:
        calls["n"] += 1
        if calls["n"] == 2:
            raise Crash("lost the checkpoint")
        return original(job, index, results, **changes)

    monkeypatch.setattr(store, "complete_chunk", dying)
    with pytest.raises(Crash):
        jobs.run_job(deps, job.job_id, 1, FOREVER)
    # When the worker is run again
    job = _run_to_end(deps, deps.jobs.get(job.job_id))
    # Then chunk 2 is replayed: its items count as done (already), nothing is written twice
    assert (job.status, job.done, job.errors) == ("succeeded", 30, 0)
    crm = deps.review.crm
    assert isinstance(crm, CrashingCrm) and set(crm.rollback_writes.values()) == {1}
    results = _all_results(deps, job.job_id)
    assert [r.already for r in results] == [False] * 10 + [True] * 10 + [False] * 10
    assert {deps.review.queue.get(i).status for i in ids} == {"rolled_back"}


def test_the_worker_stops_when_time_is_short_and_the_next_call_continues(deps: JobDeps) -> None:
    _apply(deps, _records(20), 45)
    job, _ = jobs.start_run_rollback(deps, RUN, "ana")
    job = jobs.run_job(deps, job.job_id, 1, _budget(chunks=1))
    assert (job.status, job.next_chunk, job.chunks) == ("running", 1, 5)
    assert jobs.get_job(deps, job.job_id).processed == 10
    job = _run_to_end(deps, job)
    assert (job.status, job.done) == ("succeeded", 45)


def test_items_that_cannot_be_rolled_back_are_reported_with_a_typed_reason(deps: JobDeps) -> None:
    # Given a run whose changes were edited in the CRM by a person meanwhile (one of them)
    records = _records(5)
    ids = _apply(deps, records, 5)
    crm = deps.review.crm
    assert isinstance(crm, InMemoryCrmStore)
    item = deps.review.queue.get(ids[2])
    crm.write_fields("contact", [FieldWrite(record_id=item.record_id, field=item.field,
                                            expected_old=item.suggested_value, new_value="By hand",
                                            change_id="person")])  # fmt: skip
    job = _run_to_end(deps, jobs.start_run_rollback(deps, RUN, "ana")[0])
    # Then the job finishes partly failed: the person's value stays, the reason says why
    assert (job.status, job.done, job.errors) == ("partly_failed", 4, 1)
    [error] = [r for r in _all_results(deps, job.job_id) if r.outcome == "error"]
    assert (error.review_id, error.reason, error.status) == (ids[2], "conflict", "applied")
    assert crm.records[f"contact#{item.record_id}"].get(item.field) == "By hand"


def test_a_failed_worker_is_resumed_by_the_next_request_at_its_checkpoint(deps: JobDeps) -> None:
    _apply(deps, _records(20), 30)
    job, _ = jobs.start_run_rollback(deps, RUN, "ana")
    job = jobs.run_job(deps, job.job_id, 1, _budget(chunks=1))
    # When the workflow gives up on the worker (retries exhausted)
    failed = jobs.fail_job(deps, job.job_id, 1, "States.Timeout")
    assert (failed.status, failed.failure, failed.next_chunk) == ("failed", "States.Timeout", 1)
    # Then the next request resumes it (attempt 2) instead of starting over
    resumed, started = jobs.start_run_rollback(deps, RUN, "ana")
    assert started and resumed.job_id == job.job_id and resumed.attempt == 2 and resumed.status == "queued"
    assert _started(deps)[-1] == (job.job_id, 2)
    # a late worker of attempt 1 does nothing
    assert jobs.run_job(deps, job.job_id, 1, FOREVER).next_chunk == 1
    done = _run_to_end(deps, resumed)
    assert (done.status, done.done, done.errors) == ("succeeded", 30, 0)


def test_a_job_silent_for_too_long_is_resumed(deps: JobDeps) -> None:
    _apply(deps, _records(5), 5)
    job, _ = jobs.start_run_rollback(deps, RUN, "ana")
    clock = deps.clock
    assert isinstance(clock, Clock)
    clock.now += jobs.STALE_AFTER + timedelta(seconds=1)
    again, started = jobs.start_run_rollback(deps, RUN, "ana")
    assert started and again.job_id == job.job_id and again.attempt == 2


def test_bulk_decisions_as_a_job_decide_each_item_once(deps: JobDeps) -> None:
    # Given 25 queued items and a reviewer's decisions on them plus one unknown id
    records = _records(25)
    assert isinstance(deps.review.crm, InMemoryCrmStore)
    deps.review.crm.add(records)
    items = [
        i.model_copy(update={"status": "queued", "decision": "review"}) for i in changes_for(records, 25, RUN)
    ]
    deps.review.queue.put_new(items)
    decisions = [(i.review_id, Approve(decision="approve") if n % 5 else Reject(decision="reject", note="no"))
                 for n, i in enumerate(items)]  # fmt: skip
    decisions.append(("missing", Approve(decision="approve")))
    job, started = jobs.start_bulk_decisions(deps, decisions, "ana")
    # the same request again while it runs is the same job; the plan was stored with the job
    assert started and jobs.start_bulk_decisions(deps, decisions, "ana")[0].job_id == job.job_id
    assert (job.total, job.chunks) == (26, 3)
    # When the worker crashes after its first chunk's decisions but before the checkpoint
    store = deps.jobs
    assert isinstance(store, InMemoryJobStore)
    original = store.complete_chunk
    store.complete_chunk = lambda *a, **k: (_ for _ in ()).throw(Crash("lost"))  # type: ignore[method-assign]
    with pytest.raises(Crash):
        jobs.run_job(deps, job.job_id, 1, FOREVER)
    store.complete_chunk = original  # type: ignore[method-assign]
    job = _run_to_end(deps, deps.jobs.get(job.job_id))
    # Then each item was decided once: 20 approvals sent to apply once each, 5 rejections remembered
    assert (job.status, job.done, job.errors) == ("partly_failed", 25, 1)
    apply_queue = deps.review.apply_queue
    assert isinstance(apply_queue, ListWorkQueue)
    sent = Counter(m.review_id for m in apply_queue.messages)  # type: ignore[attr-defined]
    assert len(sent) == 20 and set(sent.values()) == {1}
    statuses = Counter(deps.review.queue.get(i.review_id).status for i in items)
    assert statuses == Counter({"approved": 20, "rejected": 5})
    [missing] = [r for r in _all_results(deps, job.job_id) if r.outcome == "error"]
    assert (missing.review_id, missing.reason) == ("missing", "not_found")


def test_bulk_decisions_on_items_decided_by_someone_else_are_errors_not_redecisions(deps: JobDeps) -> None:
    records = _records(3)
    items = [i.model_copy(update={"status": "queued"}) for i in changes_for(records, 3, RUN)]
    deps.review.queue.put_new(items)
    deps.review.queue.transition(items[0], "rejected", reviewer="bob")
    job, _ = jobs.start_bulk_decisions(
        deps, [(i.review_id, Approve(decision="approve")) for i in items], "ana"
    )
    job = _run_to_end(deps, job)
    [error] = [r for r in _all_results(deps, job.job_id) if r.outcome == "error"]
    assert (error.review_id, error.reason, error.status) == (items[0].review_id, "not_applicable", "rejected")
    assert deps.review.queue.get(items[0].review_id).reviewer == "bob"


def test_job_vocabularies_have_meanings() -> None:
    assert set(JOB_KINDS) == {"rollback_run", "bulk_decisions", "filter_decisions"}
    assert [s for s, m in JOB_STATUSES.items() if m.active] == ["queued", "running"]
    assert [s for s, m in JOB_STATUSES.items() if m.finished] == ["succeeded", "partly_failed"]
    assert all(JOB_ITEM_REASONS.values())
