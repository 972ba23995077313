"""Review work too large for one request, as background jobs: a run's rollback, bulk decisions over
``SYNC_LIMIT`` items.

A request starts a job (``start_run_rollback``, ``start_bulk_decisions``, ``start_filter_decisions``)
and answers at once with it;
a worker (``run_job``, driven by the jobs state machine) works through the job's plan chunk by chunk,
storing each chunk's results together with the checkpoint past it. Each task goes through the one
core of its use case (``core.rollback_change``, ``core.decide``), which refuses to act twice on an
item; a task whose item is already in the state the task leads to counts as done (``already``),
so a chunk replayed after a crash neither repeats a change nor skips one.

One active job per kind and subject: a second request for the same run (or the same decisions, by
the same reviewer) gets the running job back; a job whose worker stopped (``failed``) or went
silent for ``STALE_AFTER`` is resumed at its checkpoint by the next request.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from crm_hygiene.errors import (
    Conflict,
    Gone,
    HygieneError,
    InvalidDecision,
    InvalidRequest,
    NotFound,
    Throttled,
)
from crm_hygiene.models.jobs import FilterSelection, Job, JobItemResult, JobResults, JobTask
from crm_hygiene.models.review import ReviewDecision, ReviewItem
from crm_hygiene.ports import JobRunner, JobStore
from crm_hygiene.services.review.core import DECIDABLE, ReviewDeps, decide, rollback_change
from crm_hygiene.types import ChangeStatus, JobItemReason, JobKind

CHUNK_SIZE = 50
"""Tasks per chunk: one checkpoint each. ~6 DynamoDB/CRM calls a task; 50 fit a worker's minute."""
SYNC_LIMIT = 200
"""Bulk decisions at or under this many are decided within the request; more become a job."""
BULK_LIMIT = 10_000
"""The most decisions one bulk request may carry."""
STALE_AFTER = timedelta(minutes=30)
"""An active job not written for this long has lost its worker (longer than a worker's retries)."""
# (error type, reason): the first that matches names why a task failed; order matters (subclasses first)
_REASONS: tuple[tuple[type[Exception], JobItemReason], ...] = (
    (NotFound, "not_found"),
    (Gone, "gone"),
    (InvalidDecision, "invalid"),
    (Conflict, "conflict"),
    (ValueError, "invalid"),
    (HygieneError, "error"),
)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class JobDeps:
    """What jobs need: the review use case's ports, where jobs are kept, and how a worker starts."""

    review: ReviewDeps
    jobs: JobStore
    runner: JobRunner | None  # None in the worker: it runs jobs, it starts none
    clock: Callable[[], datetime] = field(default=_now)
    chunk_size: int = CHUNK_SIZE


def start_run_rollback(deps: JobDeps, run_id: str, reviewer: str) -> tuple[Job, bool]:
    """Starts rolling back every applied change of ``run_id`` (planned when the worker starts).

    Returns:
        The job, and whether this request started (or resumed) it; False: it was already running.
    """
    return _submit(deps, "rollback_run", run_id, reviewer, None)


def start_bulk_decisions(
    deps: JobDeps, decisions: Sequence[tuple[str, ReviewDecision]], reviewer: str
) -> tuple[Job, bool]:
    """Starts deciding ``decisions`` in the background (the same request twice gets one job)."""
    tasks = [JobTask(review_id=review_id, decision=decision) for review_id, decision in decisions]
    canonical = json.dumps([reviewer, [t.model_dump(mode="json") for t in tasks]], sort_keys=True)
    subject = hashlib.sha256(canonical.encode()).hexdigest()[:32]
    return _submit(deps, "bulk_decisions", subject, reviewer, tasks)


def start_filter_decisions(deps: JobDeps, selection: FilterSelection, reviewer: str) -> tuple[Job, bool]:
    """Starts deciding every decidable item matching a queue filter (``POST /reviews/decisions/by-filter``).
    The worker resolves the filter to ids, page by page, when it starts (``_filter_plan``); each item
    is then decided like any other (``core.decide``: validation, audit before effect), its error in
    the job's results. The same filter and decision from the same reviewer get one job.

    Raises:
        InvalidRequest: the filter names a status no decision applies to, or matches more than
            ``BULK_LIMIT`` decidable items (narrow it).
    """
    where = selection.filter
    if where.status is not None and where.status not in DECIDABLE:
        raise InvalidRequest(
            f"items that are {where.status} are not awaiting a decision; "
            f"filter on one of: {', '.join(sorted(DECIDABLE))}"
        )
    counts = deps.review.queue.counts(where)
    matching = sum(n for status, n in counts.by_status.items() if status in DECIDABLE)
    if matching > BULK_LIMIT:
        raise InvalidRequest(
            f"the filter matches {matching} items awaiting a decision; one job decides at most "
            f"{BULK_LIMIT}: narrow the filter"
        )
    canonical = json.dumps([reviewer, selection.model_dump(mode="json")], sort_keys=True)
    subject = hashlib.sha256(canonical.encode()).hexdigest()[:32]
    return _submit(deps, "filter_decisions", subject, reviewer, None, selection)


def _submit(
    deps: JobDeps,
    kind: JobKind,
    subject: str,
    reviewer: str,
    tasks: list[JobTask] | None,
    selection: FilterSelection | None = None,
) -> tuple[Job, bool]:
    now = deps.clock()
    current = deps.jobs.current(kind, subject)
    if current is not None and (current.active or current.status == "failed"):
        if current.active and now - current.updated_at < STALE_AFTER:
            return current, False
        try:  # stopped or silent: the next attempt resumes at the checkpoint
            resumed = deps.jobs.update(
                current, status="queued", attempt=current.attempt + 1, failure=None, updated_at=now
            )
        except Conflict:
            return deps.jobs.get(current.job_id), False
        return _start(deps, resumed), True
    job = Job(
        job_id=f"job-{now:%Y%m%d%H%M%S}-{uuid.uuid4().hex[:12]}",
        kind=kind,
        subject=subject,
        status="queued",
        requested_by=reviewer,
        created_at=now,
        updated_at=now,
        chunk_size=deps.chunk_size,
        selection=selection,
    )
    plan = _chunks(tasks, deps.chunk_size) if tasks is not None else None
    try:
        job = deps.jobs.create(job, replaces=current.job_id if current else None, plan=plan)
    except Conflict:
        winner = deps.jobs.current(kind, subject)
        if winner is None:
            raise
        return winner, False
    return _start(deps, job), True


def _start(deps: JobDeps, job: Job) -> Job:
    try:
        if deps.runner is None:
            raise HygieneError("no job runner: these deps cannot start jobs")
        deps.runner.start(job.job_id, job.attempt)
    except HygieneError as exc:
        # the job stays resumable: the next request for the same subject starts it again
        deps.jobs.update(job, status="failed", failure=f"not started: {type(exc).__name__}",
                         updated_at=deps.clock())  # fmt: skip
        raise
    return job


def _chunks(tasks: Sequence[JobTask], size: int) -> list[list[JobTask]]:
    return [list(tasks[i : i + size]) for i in range(0, len(tasks), size)]


def get_job(deps: JobDeps, job_id: str) -> Job:
    """The job's header (status, counts, checkpoint, timestamps); raises ``NotFound``."""
    return deps.jobs.get(job_id)


def job_results(deps: JobDeps, job_id: str, cursor: str | None = None, chunks: int = 4) -> JobResults:
    """Per-item results of the chunks done so far, ``chunks`` chunks a page, in plan order."""
    job = deps.jobs.get(job_id)
    try:
        first = int(cursor or 0)
    except ValueError:
        raise InvalidRequest("invalid cursor: pass the next_cursor of the page before") from None
    pages = deps.jobs.results(job_id, first, chunks)
    following = first + chunks
    more = following < job.next_chunk
    return JobResults(
        job_id=job_id,
        results=[r for page in pages for r in page],
        next_cursor=str(following) if more else None,
    )


def run_job(deps: JobDeps, job_id: str, attempt: int, time_left: Callable[[], float]) -> Job:
    """The worker: plans the job if needed, then works through chunks from its checkpoint while
    ``time_left()`` (seconds) leaves room for another; each chunk's results and the checkpoint past
    it are stored together. Returns the job: finished, or to be continued by the next call.

    A call for an older attempt than the job's (a superseded worker) returns without touching it.
    """
    job = deps.jobs.get(job_id)
    if job.finished or job.attempt != attempt:
        return job
    if job.status != "running":
        now = deps.clock()
        job = deps.jobs.update(job, status="running", started_at=job.started_at or now, updated_at=now)
    if not job.planned:
        tasks = _filter_plan(deps.review, job) if job.kind == "filter_decisions" else None
        tasks = tasks if tasks is not None else _rollback_plan(deps.review, job.subject)
        job = deps.jobs.put_plan(job, _chunks(tasks, job.chunk_size))
    longest = 0.0
    while job.next_chunk < (job.chunks or 0):
        if time_left() < max(30.0, 2 * longest):
            return job
        began = time_left()
        tasks = deps.jobs.chunk(job_id, job.next_chunk)
        results = [_run_task(deps, job, task) for task in tasks]
        job = deps.jobs.complete_chunk(job, job.next_chunk, results, updated_at=deps.clock())
        longest = max(longest, began - time_left())
    now = deps.clock()
    status = "succeeded" if job.errors == 0 else "partly_failed"
    return deps.jobs.update(job, status=status, finished_at=now, updated_at=now)


def fail_job(deps: JobDeps, job_id: str, attempt: int, failure: str) -> Job:
    """Records that the worker of ``attempt`` stopped (its retries exhausted): the job is ``failed``,
    and the next request for its subject resumes it at the checkpoint. ``failure`` is an error name."""
    job = deps.jobs.get(job_id)
    if job.finished or job.attempt != attempt:
        return job
    return deps.jobs.update(job, status="failed", failure=failure[:200], updated_at=deps.clock())


def _rollback_plan(review: ReviewDeps, run_id: str) -> list[JobTask]:
    """Every applied change of the run, newest first (a later change of the same field is undone
    before the earlier one, so each restore finds the value it expects)."""
    applied: list[ReviewItem] = []
    cursor: str | None = None
    while True:
        page, cursor = review.queue.list(run_id=run_id, status="applied", limit=200, cursor=cursor)
        applied.extend(page)
        if cursor is None:
            break
    applied.sort(key=lambda i: (i.updated_at, i.review_id), reverse=True)
    return [JobTask(review_id=i.review_id) for i in applied]


def _filter_plan(review: ReviewDeps, job: Job) -> list[JobTask]:
    """Every decidable item matching the job's filter, oldest first, resolved page by page before any
    is decided (deciding moves items out of the filter: paging while deciding would skip some); at
    most ``BULK_LIMIT`` (items queued after the request beyond that wait for another job)."""
    assert job.selection is not None, "a filter_decisions job carries its filter"
    where, decision = job.selection.filter, job.selection.decision
    statuses = [where.status] if where.status is not None else sorted(DECIDABLE)
    tasks: list[JobTask] = []
    for status in statuses:
        cursor: str | None = None
        while len(tasks) < BULK_LIMIT:
            query = where.model_copy(update={"status": status}).model_dump()
            page, cursor = review.queue.list(**query, sort="oldest", limit=500, cursor=cursor)
            tasks.extend(JobTask(review_id=i.review_id, decision=decision) for i in page)
            if cursor is None:
                break
    return tasks[:BULK_LIMIT]


def _run_task(deps: JobDeps, job: Job, task: JobTask) -> JobItemResult:
    try:
        item = deps.review.queue.get(task.review_id)
    except NotFound as exc:
        return _error(task.review_id, exc, None)
    try:
        if job.kind == "rollback_run":
            return _rollback_one(deps.review, job, item)
        assert task.decision is not None, "a bulk decision task carries its decision"
        return _decide_one(deps.review, job, item, task.decision)
    except Throttled:
        raise  # the CRM asks us to slow down: the chunk is retried later, not reported as an error
    except (HygieneError, ValueError) as exc:
        return _error(task.review_id, exc, _status_of(deps.review, task.review_id))


def _rollback_one(review: ReviewDeps, job: Job, item: ReviewItem) -> JobItemResult:
    if item.status == "rolled_back":
        return JobItemResult(review_id=item.review_id, outcome="done", status=item.status, already=True)
    if item.status != "applied":
        return _not_applicable(item, "only applied changes can be rolled back")
    updated = rollback_change(review, item.review_id, job.requested_by)
    return JobItemResult(review_id=item.review_id, outcome="done", status=updated.status)


# What a reviewer's decision makes of an item (``core.decide``): an item already there by the same
# reviewer's hand is not decided again.
_DECIDED_AS: dict[str, ChangeStatus] = {
    "approve": "approved",
    "reject": "rejected",
    "edit_and_approve": "edited",
}


def _decide_one(review: ReviewDeps, job: Job, item: ReviewItem, decision: ReviewDecision) -> JobItemResult:
    started = job.started_at or job.created_at
    by_this_reviewer = item.reviewer == job.requested_by
    outcome = _DECIDED_AS[decision.decision]
    if by_this_reviewer and (item.updated_at >= started or outcome in (item.status, item.decided_as)):
        # decided by this job before an interruption, or already as asked by the same reviewer: not again
        return JobItemResult(review_id=item.review_id, outcome="done", status=item.status, already=True)
    if item.status not in DECIDABLE:
        return _not_applicable(item, "the item is not awaiting a decision")
    updated = decide(review, item.review_id, decision, job.requested_by)
    return JobItemResult(review_id=item.review_id, outcome="done", status=updated.status)


def _status_of(review: ReviewDeps, review_id: str) -> ChangeStatus | None:
    try:
        return review.queue.get(review_id).status
    except NotFound:
        return None


def _not_applicable(item: ReviewItem, why: str) -> JobItemResult:
    return JobItemResult(review_id=item.review_id, outcome="error", status=item.status,
                         reason="not_applicable", message=f"{why} (it is {item.status})")  # fmt: skip


def _error(review_id: str, exc: Exception, status: ChangeStatus | None) -> JobItemResult:
    reason = next((r for kind, r in _REASONS if isinstance(exc, kind)), "error")
    return JobItemResult(review_id=review_id, outcome="error", status=status, reason=reason,
                         message=f"{type(exc).__name__}: {exc}"[:500])  # fmt: skip
