"""Ports: what the domain needs from the outside world, as ``typing.Protocol``s.

Adapters in ``crm_hygiene/adapters`` implement them (DynamoDB, S3, SNS, Step Functions, HubSpot,
CSV); in-memory implementations for tests and local runs live in ``crm_hygiene/memory.py``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pydantic import BaseModel

from crm_hygiene.audit.verify import DigestListing
from crm_hygiene.models.alerts import Alert
from crm_hygiene.models.audit import AuditDraft, AuditEntry
from crm_hygiene.models.crm import FieldInfo, FieldWrite, MergeResult, RecordPage, WriteResult
from crm_hygiene.models.health import HealthPoint, HealthScore
from crm_hygiene.models.jobs import Job, JobItemResult, JobTask
from crm_hygiene.models.merge import MatchCandidate
from crm_hygiene.models.messages import Partition
from crm_hygiene.models.record import Record
from crm_hygiene.models.review import ReviewItem
from crm_hygiene.models.review_query import ReviewCounts, ReviewFilter
from crm_hygiene.models.scans import ScanRun, ScanWorkflowInput
from crm_hygiene.models.signals import Signal
from crm_hygiene.models.unmerge import RecordImage
from crm_hygiene.types import ChangeStatus, FieldName, JobKind, ObjectType, RecordId, ReviewSort

if TYPE_CHECKING:  # numpy: only where matching runs
    from crm_hygiene.dedup.snapshot import MatchSnapshot


class DecisionMemory(Protocol):
    """Remembers what reviewers rejected, so the same proposal is not raised again."""

    def was_rejected(self, key: str) -> bool:
        """Whether a change (by ``change_id``) or a pair (by its pair key) was rejected."""
        ...

    def remember_rejection(self, key: str, reason: str, reviewer: str) -> None:
        """Records a rejection."""
        ...


class CrmStore(Protocol):
    """A CRM seen through canonical field names (HubSpot, Salesforce, the internal table, an export).

    Writes are optimistic: each ``FieldWrite`` names the value it expects; a record that no longer
    holds it is a ``conflict``, never overwritten. Nothing here deletes.
    """

    def list_records(
        self, object_type: ObjectType, *, cursor: str | None = None, limit: int = 100
    ) -> RecordPage:
        """One page of records in a stable order; pass ``next_cursor`` back for the next page."""
        ...

    def changed_since(self, object_type: ObjectType, since: datetime) -> Iterator[Record]:
        """Records modified at or after ``since`` (incremental scans)."""
        ...

    def get_records(self, object_type: ObjectType, record_ids: Sequence[RecordId]) -> list[Record]:
        """The records that exist among ``record_ids`` (missing ones are left out).

        A merged-away id is never answered under its own id: it is left out (the internal table), or,
        where the CRM follows merges (HubSpot), answered with the survivor, once.
        tests/contract/test_crm_store.py holds every implementation to this port."""
        ...

    def write_fields(self, object_type: ObjectType, writes: Sequence[FieldWrite]) -> list[WriteResult]:
        """Applies writes whose expected old value still holds; one result per write, same order."""
        ...

    def merge(self, object_type: ObjectType, primary_id: RecordId, secondary_id: RecordId) -> MergeResult:
        """Merges ``secondary_id`` into ``primary_id`` through the CRM's own merge."""
        ...

    def field_info(self, object_type: ObjectType) -> dict[FieldName, FieldInfo]:
        """Which canonical fields exist and can be written (read-only/calculated are never proposed)."""
        ...

    def snapshot(self, object_type: ObjectType, record_ids: Sequence[RecordId]) -> list[RecordImage]:
        """The whole state of the live records among ``record_ids`` (every property, association and
        label the CRM keeps), as a merge stores it before merging; missing ids are left out."""
        ...

    def restore_merged(self, object_type: ObjectType, image: RecordImage, survivor_id: RecordId) -> RecordId:
        """Brings back a record merged into ``survivor_id`` as ``image`` shows it; returns its id now.

        The internal table reinstates it under its own id; HubSpot, whose merges cannot be undone,
        creates a new record from the image, re-associates it and notes ``merged_from`` on both.
        Idempotent: a record already brought back is found and its id returned.

        Raises:
            Conflict: the record is neither merged into ``survivor_id`` nor brought back.
        """
        ...


class SecretStore(Protocol):
    """Where tokens and API keys come from (environment, AWS Secrets Manager)."""

    def get(self, name: str) -> str:
        """The secret's value; raises ``NotFound`` when there is none."""
        ...


class IdempotencyStore(Protocol):
    """Remembers which deliveries (webhook events, queue messages) were already taken, by key.

    ``claim`` must be atomic (a DynamoDB conditional put, a lock-guarded set): of two concurrent
    claims of one key exactly one wins. ``release`` undoes a claim whose work could not be handed on,
    so the sender's retry is processed instead of dropped as a duplicate.
    """

    def claim(self, key: str, *, ttl_seconds: int = 172_800) -> bool:
        """True the first time ``key`` is claimed (within ``ttl_seconds``), False for a repeat."""
        ...

    def release(self, key: str) -> None:
        """Forgets a claim (no error when there is none)."""
        ...


def every_record(crm: CrmStore, object_type: ObjectType, page: int = 500) -> Iterator[Record]:
    """Every live record of one type, page by page through ``list_records``."""
    cursor: str | None = None
    while True:
        result = crm.list_records(object_type, cursor=cursor, limit=page)
        yield from result.records
        cursor = result.next_cursor
        if cursor is None:
            return


@runtime_checkable
class PartitionedCrmStore(Protocol):
    """A CRM that can be read in parallel slices (the internal table: DynamoDB parallel scan)."""

    def list_partition(
        self,
        object_type: ObjectType,
        segment: int,
        total: int,
        *,
        cursor: str | None = None,
        limit: int = 100,
    ) -> RecordPage:
        """One page of slice ``segment`` of ``total``."""
        ...


class ChangeQueue(Protocol):
    """The review queue: every proposed change and merge, with its status."""

    def put_new(self, items: Sequence[ReviewItem]) -> list[ReviewItem]:
        """Adds the items not queued yet (idempotent by ``review_id``); returns those added."""
        ...

    def get(self, review_id: str) -> ReviewItem:
        """The item; raises ``NotFound``."""
        ...

    def list(
        self,
        *,
        status: ChangeStatus | None = None,
        kind: str | None = None,
        object_type: ObjectType | None = None,
        run_id: str | None = None,
        field: FieldName | None = None,
        q: str | None = None,
        sort: ReviewSort = "newest",
        limit: int = 50,
        cursor: str | None = None,
    ) -> tuple[list[ReviewItem], str | None]:
        """One page of the items matching the filter and search (``ReviewFilter``), in ``sort``
        order, and the next page's cursor (None after the last page).

        Every page holds ``limit`` items but the last: the filter is applied before the page is cut.
        A cursor is opaque and bound to the filter and sort it came with; any other cursor raises
        ``InvalidRequest``."""
        ...

    def counts(self, where: ReviewFilter) -> ReviewCounts:
        """How many items match ``where``, in all and per status, kind, field and object type."""
        ...

    def transition(self, item: ReviewItem, status: ChangeStatus, **changes: Any) -> ReviewItem:
        """Moves ``item`` to ``status`` (with other attribute changes) if nobody changed it since it
        was read (its ``version``); raises ``Conflict`` otherwise, ``ValueError`` for an illegal move."""
        ...

    def set_task_token(self, review_id: str, token: str) -> None:
        """Stores the merge workflow's task token on the item (never returned by the API)."""
        ...

    def oldest(self, status: ChangeStatus) -> ReviewItem | None:
        """The longest-waiting item in ``status`` (for the queue-age alarm)."""
        ...


class AuditLog(Protocol):
    """Append-only, per-record hash-chained trail of every transition."""

    def append(self, drafts: Sequence[AuditDraft]) -> list[AuditEntry]:
        """Appends entries (assigning seq and hashes); never updates or deletes."""
        ...

    def history(self, object_type: ObjectType, record_id: RecordId) -> list[AuditEntry]:
        """One record's entries in order."""
        ...

    def by_change(self, change_id: str) -> list[AuditEntry]:
        """Entries of one change, in time order."""
        ...

    def by_run(self, run_id: str) -> Iterator[AuditEntry]:
        """Entries of one run, in time order."""
        ...


class AuditEntries(Protocol):
    """Every audit entry, for verification and digests (``DynamoAuditLog``, ``InMemoryAuditLog``)."""

    def all_entries(self) -> Iterator[AuditEntry]:
        """Every entry of every record, in no particular order (a consistent scan)."""
        ...


class AuditKey(Protocol):
    """The audit MAC keyring: seals new entries under the current key, checks old ones by key id
    (``crm_hygiene.audit.keys.Keyring``; deployed: a Secrets Manager secret, never the table)."""

    @property
    def current_key_id(self) -> str: ...

    def mac(self, key_id: str, message: bytes) -> str:
        """HMAC-SHA256 hex of ``message`` under ``key_id`` (``UnknownKey`` when absent)."""
        ...

    def check(self, key_id: str, message: bytes, mac: str) -> bool:
        """Whether ``mac`` is right (``UnknownKey`` when absent)."""
        ...


class DigestSigner(Protocol):
    """Signs audit digests and verifies their signatures (KMS asymmetric key; HMAC in memory)."""

    @property
    def key_id(self) -> str: ...

    @property
    def algorithm(self) -> str: ...

    def sign(self, message: bytes) -> str:
        """The base64 signature of ``message``."""
        ...

    def verify(self, key_id: str, algorithm: str, message: bytes, signature: str) -> bool:
        """Whether ``signature`` is a signature of ``message`` by ``key_id`` with ``algorithm``."""
        ...


class DigestStore(Protocol):
    """Where digest files live (the Object-Locked archive bucket under ``audit-digests/``)."""

    def put(self, key: str, body: bytes) -> None:
        """Writes a digest file (a key is written once)."""
        ...

    def listing(self) -> list[DigestListing]:
        """Every digest file, deleted ones (a current delete marker) flagged."""
        ...

    def read(self, key: str) -> bytes | None:
        """A digest file's bytes (None when it cannot be read)."""
        ...


class SignalBus(Protocol):
    """Where signals go (SNS topics; a list in tests)."""

    def publish(self, signals: Sequence[Signal]) -> None: ...


class AlertSink(Protocol):
    """Where alerts go (the SNS alerts topic; a list in tests). Alerts carry ids, never PII."""

    def raise_alerts(self, alerts: Sequence[Alert]) -> None: ...


class FailureFigures(Protocol):
    """What failed and is still there to look at, read from where it lies (dead-letter queues, the
    merge workflow's failed executions): figures for the console, not a log of alerts."""

    def counts(self) -> dict[str, Any]:
        """``dead_letters`` (int), ``dead_letters_by_queue`` (name -> int), ``failed_merges`` (int);
        a figure the deployment cannot read is absent."""
        ...


class WorkQueue(Protocol):
    """A queue of work messages (SQS)."""

    def send(self, messages: Sequence[BaseModel]) -> None: ...


class Workflow(Protocol):
    """The merge workflow (Step Functions)."""

    def start_merge(self, payload: dict[str, Any], name: str) -> str:
        """Starts one execution (idempotent by ``name``); returns its id."""
        ...

    def resume(self, task_token: str, output: dict[str, Any]) -> None:
        """Continues a waiting execution; raises ``Gone`` if it timed out or no longer exists."""
        ...

    def fail(self, task_token: str, error: str, cause: str) -> None:
        """Fails a waiting execution's task (e.g. ``Rejected``); raises ``Gone`` like ``resume``."""
        ...


class HealthStore(Protocol):
    """Health scores per record and per run, and run figures collected across partitions."""

    def put_scores(self, scores: Sequence[HealthScore]) -> None: ...

    def put_partition_totals(self, run_id: str, partition: str, figures: dict[str, Any]) -> None: ...

    def partition_totals(self, run_id: str) -> list[dict[str, Any]]: ...

    def put_aggregate(self, object_type: ObjectType, figures: dict[str, Any]) -> None: ...

    def aggregate(self, object_type: ObjectType) -> dict[str, Any] | None: ...

    def put_history(self, point: HealthPoint) -> None:
        """Keeps one run's point of the health trend (the same run and type again: replaced)."""
        ...

    def history(self, object_type: ObjectType, limit: int) -> list[HealthPoint]:
        """The newest ``limit`` points of ``object_type``'s trend, oldest first."""
        ...


class ScanRunner(Protocol):
    """Runs the scan workflow on demand (Step Functions in AWS; the same one the schedule starts)."""

    def start(self, scan_id: str, request: ScanWorkflowInput) -> ScanRun:
        """Starts a scan named ``scan_id`` (its run id); starting the same id again is a no-op."""
        ...

    def get(self, scan_id: str) -> ScanRun:
        """Where the scan stands; raises ``NotFound`` for an id that never ran."""
        ...

    def running(self) -> list[ScanRun]:
        """The scans running now (scheduled or on demand), newest first."""
        ...


class MatchIndex(Protocol):
    """The blocking keys of existing records, for matching one new or changed record at entry time.

    ``crm_hygiene.dedup.index.InMemoryMatchIndex`` holds them in memory; a DynamoDB one serves the
    pipeline. Records are mappings of the columns the index was built with (canonical field names
    for CRM records).
    """

    def add(self, record_id: RecordId, record: Mapping[str, str]) -> None:
        """Indexes a record (replacing the one with the same id, if any)."""
        ...

    def remove(self, record_id: RecordId) -> None:
        """Forgets a record (merged away, or deleted in the CRM)."""
        ...

    def candidates(self, record: Mapping[str, str], *, limit: int = 10) -> list[MatchCandidate]:
        """Existing records the given one may duplicate, scored, best first."""
        ...


class MatchIndexStore(Protocol):
    """Where the match index of each object type lives between runs: the scan's Finalize, which reads
    every record anyway, saves it; the entry scan opens it instead of reading the CRM."""

    def save(
        self,
        object_type: ObjectType,
        snapshot: MatchSnapshot,
        records: Iterator[tuple[RecordId, Mapping[str, str], Sequence[str]]],
    ) -> dict[str, int]:
        """Stores the snapshot and every record's fields and keys (``MatchSnapshot.record_keys``
        form); returns figures (records written, unchanged, items written and deleted)."""
        ...

    def open(self, object_type: ObjectType) -> MatchIndex | None:
        """The stored index of that type, or None when no snapshot was saved yet."""
        ...

    def generation(self, object_type: ObjectType) -> str | None:
        """Which snapshot is stored (changes with every ``save``; None: none yet)."""
        ...


class PartitionManifest(Protocol):
    """Where a full scan's partitions are written for a Distributed Map to read (S3 in AWS)."""

    def write(self, run_id: str, partitions: Sequence[Partition]) -> str:
        """Stores the partitions of ``run_id``; returns the key the map reads them from."""
        ...

    def read(self, key: str) -> list[Partition]:
        """The partitions stored under ``key`` (what the map's item reader sees)."""
        ...


class JobStore(Protocol):
    """Background jobs (``services/review/jobs.py``): headers, plans in chunks, per-item results.

    Every write of a header is conditional on the ``version`` it was read at (``Conflict`` when
    another worker or request wrote it since); a chunk's results and the checkpoint past it are
    stored together or not at all. tests/contract/test_job_store.py holds every implementation to this.
    """

    def create(self, job: Job, *, replaces: str | None, plan: Sequence[Sequence[JobTask]] | None) -> Job:
        """Stores a new job (with its plan, if known) as the current job of its kind and subject.

        Raises:
            Conflict: the subject's current job is no longer ``replaces`` (None: it has none): another
                request started one meanwhile.
        """
        ...

    def current(self, kind: JobKind, subject: str) -> Job | None:
        """The latest job of ``kind`` on ``subject``, if any."""
        ...

    def get(self, job_id: str) -> Job:
        """The job; raises ``NotFound``."""
        ...

    def update(self, job: Job, **changes: Any) -> Job:
        """The job with ``changes`` and its version bumped, stored if still at ``job.version``."""
        ...

    def put_plan(self, job: Job, plan: Sequence[Sequence[JobTask]]) -> Job:
        """Stores the plan's chunks, then the header with ``total`` and ``chunks`` (version-checked)."""
        ...

    def chunk(self, job_id: str, index: int) -> list[JobTask]:
        """The tasks of chunk ``index``; raises ``NotFound``."""
        ...

    def complete_chunk(self, job: Job, index: int, results: Sequence[JobItemResult], **changes: Any) -> Job:
        """Stores chunk ``index``'s results and moves the checkpoint past it (counts added), atomically;
        ``Conflict`` if the header changed since ``job`` was read or ``index`` is not the checkpoint."""
        ...

    def results(self, job_id: str, first_chunk: int, chunks: int) -> list[list[JobItemResult]]:
        """The results of chunks ``first_chunk`` .. ``first_chunk + chunks - 1`` that are done."""
        ...


class JobRunner(Protocol):
    """Starts a job's background worker (the jobs state machine in AWS)."""

    def start(self, job_id: str, attempt: int) -> None:
        """Starts the worker for ``attempt`` of the job (idempotent per job and attempt)."""
        ...
