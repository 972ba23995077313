"""Background jobs: a run's rollback or a large batch of decisions, processed in checkpointed chunks.

``Job`` is the job's header (what the API shows at ``GET /jobs/{id}``); its plan is a list of
``JobTask`` chunks, and each chunk, once done, holds one ``JobItemResult`` per task. Nothing here
carries record values: tasks name review items, results their status and a typed reason.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from crm_hygiene.models.review import ReviewDecision
from crm_hygiene.models.review_query import ReviewFilter
from crm_hygiene.types import JOB_STATUSES, ChangeStatus, JobItemReason, JobKind, JobStatus


class JobTask(BaseModel):
    """One item of a job's plan: the review item, and for bulk decisions the reviewer's decision."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    review_id: str
    decision: ReviewDecision | None = None


class JobItemResult(BaseModel):
    """What became of one task.

    Attributes:
        outcome: ``done`` (the item is rolled back / decided) or ``error``.
        status: The item's status after the task (None when the item does not exist).
        reason: Why it is an error (``JOB_ITEM_REASONS``).
        already: Done before this task reached it (an interrupted attempt of this job, or someone else):
            nothing was changed a second time.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    review_id: str
    outcome: Literal["done", "error"]
    status: ChangeStatus | None = None
    reason: JobItemReason | None = None
    message: str | None = None
    already: bool = False


class FilterSelection(BaseModel):
    """What a ``filter_decisions`` job decides: every decidable item matching ``filter`` (resolved to
    ids when its worker starts) gets ``decision``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    filter: ReviewFilter = Field(default_factory=ReviewFilter)
    decision: ReviewDecision


class Job(BaseModel):
    """A job's header: who asked for what, where it stands, and its checkpoint.

    Attributes:
        subject: What the job acts on: the run id (rollback) or a digest of the decisions (bulk);
            one active job per kind and subject.
        total / chunks: Tasks and chunks in the plan (None until planned: a rollback lists the run's
            applied changes when its worker starts).
        next_chunk: The checkpoint: chunks before it are done and their results stored.
        attempt: Bumped each time a stopped or stale job is resumed (the worker of an older attempt
            stops).
        failure: Why the worker stopped (an error name, never record data), for ``failed``.
        selection: For ``filter_decisions``: the filter and the decision (the plan is made from them).
        version: Bumped on every write (optimistic concurrency between workers and requests).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    job_id: str
    kind: JobKind
    subject: str
    status: JobStatus
    requested_by: str
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    chunk_size: int = Field(ge=1)
    total: int | None = None
    chunks: int | None = None
    next_chunk: int = 0
    done: int = 0
    errors: int = 0
    attempt: int = 1
    failure: str | None = None
    selection: FilterSelection | None = None
    version: int = 0

    @property
    def planned(self) -> bool:
        return self.chunks is not None

    @property
    def active(self) -> bool:
        return JOB_STATUSES[self.status].active

    @property
    def finished(self) -> bool:
        return JOB_STATUSES[self.status].finished

    @computed_field  # type: ignore[prop-decorator]
    @property
    def processed(self) -> int:
        """Tasks with a result so far (``done`` + ``errors``)."""
        return self.done + self.errors


class JobResults(BaseModel):
    """One page of a job's per-item results, in plan order; ``next_cursor`` pages on."""

    job_id: str
    results: list[JobItemResult]
    next_cursor: str | None = None


class JobStep(BaseModel):
    """A task of the jobs state machine for the jobs function: ``run`` (chunks from the checkpoint,
    while time allows) or ``fail`` (the worker's retries are exhausted; ``error`` is the error name)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    action: Literal["run", "fail"]
    job_id: str
    attempt: int = Field(ge=1)
    error: str | None = None


class JobStepResult(BaseModel):
    """What ``run`` returns to the state machine: the next call's input, and whether to stop looping."""

    job_id: str
    attempt: int
    status: JobStatus
    done: bool
