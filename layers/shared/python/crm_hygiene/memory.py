"""In-memory implementations of the ports, for tests, local runs and the CLI.

They honour the same contracts as the AWS adapters (idempotent enqueue, optimistic transitions,
append-only hash-chained audit, optimistic CRM writes, merges that never delete).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from crm_hygiene.audit.keys import Keyring
from crm_hygiene.audit.verify import DigestListing
from crm_hygiene.errors import Conflict, Gone, HygieneError, InvalidRequest, NotFound
from crm_hygiene.models.alerts import Alert
from crm_hygiene.models.audit import GENESIS, AuditDraft, AuditEntry, Sealer, record_key
from crm_hygiene.models.crm import FieldInfo, FieldWrite, MergeResult, RecordPage, WriteResult
from crm_hygiene.models.fields import CANONICAL_FIELDS
from crm_hygiene.models.health import HealthPoint, HealthScore
from crm_hygiene.models.jobs import Job, JobItemResult, JobTask
from crm_hygiene.models.record import Record
from crm_hygiene.models.review import ReviewItem, advance
from crm_hygiene.models.review_query import (
    COUNTED,
    SORT_ATTRIBUTES,
    ReviewCounts,
    ReviewFilter,
    count,
    decode_position,
    encode_position,
    order_key,
)
from crm_hygiene.models.scans import ScanRun, ScanWorkflowInput
from crm_hygiene.models.signals import Signal
from crm_hygiene.models.unmerge import RecordImage
from crm_hygiene.normalize.date import parse_instant
from crm_hygiene.types import ChangeStatus, FieldName, JobKind, ObjectType, RecordId, ReviewSort, ScanStatus


@dataclass
class InMemoryDecisionMemory:
    """``DecisionMemory`` in a dict: key -> (reason, reviewer)."""

    rejected: dict[str, tuple[str, str]] = field(default_factory=dict)

    def was_rejected(self, key: str) -> bool:
        return key in self.rejected

    def remember_rejection(self, key: str, reason: str, reviewer: str) -> None:
        self.rejected[key] = (reason, reviewer)


@dataclass
class InMemoryChangeQueue:
    items: dict[str, ReviewItem] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def put_new(self, items: Sequence[ReviewItem]) -> list[ReviewItem]:
        added = []
        with self._lock:
            for item in items:
                if item.review_id not in self.items:
                    self.items[item.review_id] = item
                    added.append(item)
        return added

    def get(self, review_id: str) -> ReviewItem:
        try:
            return self.items[review_id]
        except KeyError:
            raise NotFound(f"review {review_id} does not exist") from None

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
        where = ReviewFilter.model_validate(
            {"status": status, "kind": kind, "object_type": object_type, "run_id": run_id, "field": field,
             "q": q}
        )  # fmt: skip
        digest = where.digest(sort)
        after = decode_position(cursor, digest) if cursor is not None else None
        if after is not None and not isinstance(after, str):
            raise InvalidRequest("invalid cursor: pass back the next_cursor of a page, unchanged")
        _, ascending = SORT_ATTRIBUTES[sort]
        with self._lock:
            keyed = [(order_key(i, sort), i) for i in self.items.values() if where.matches(i)]
        keyed.sort(key=lambda pair: pair[0], reverse=not ascending)
        if after is not None:  # keyset paging, as DynamoDB's: items queued meanwhile shift nothing
            keyed = [(k, i) for k, i in keyed if (k > after if ascending else k < after)]
        page = keyed[:limit]
        more = len(keyed) > limit
        return [i for _, i in page], (encode_position(digest, page[-1][0]) if more else None)

    def counts(self, where: ReviewFilter) -> ReviewCounts:
        with self._lock:
            matching = [i for i in self.items.values() if where.matches(i)]
        return count(i.model_dump(include=set(COUNTED)) for i in matching)

    def transition(self, item: ReviewItem, status: ChangeStatus, **changes: Any) -> ReviewItem:
        updated = advance(item, status, **changes)
        with self._lock:
            stored = self.items.get(item.review_id)
            if stored is None:
                raise NotFound(f"review {item.review_id} does not exist")
            if stored.version != item.version:
                raise Conflict(f"review {item.review_id} changed since it was read")
            self.items[item.review_id] = updated
        return updated

    def oldest(self, status: ChangeStatus) -> ReviewItem | None:
        waiting = [i for i in self.items.values() if i.status == status]
        return min(waiting, key=lambda i: i.created_at) if waiting else None

    def set_task_token(self, review_id: str, token: str) -> None:
        with self._lock:
            self.items[review_id] = self.get(review_id).model_copy(update={"task_token": token})


@dataclass
class InMemoryAuditLog:
    """``AuditLog`` in a dict of chains, sealed with ``key`` (a fresh random keyring by default)."""

    entries: dict[str, list[AuditEntry]] = field(default_factory=lambda: defaultdict(list))
    key: Sealer = field(default_factory=Keyring.generate)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def append(self, drafts: Sequence[AuditDraft]) -> list[AuditEntry]:
        written = []
        with self._lock:
            for draft in drafts:
                chain = self.entries[record_key(draft.object_type, draft.record_id)]
                done = next((e for e in chain if draft.entry_id and e.entry_id == draft.entry_id), None)
                if done is not None:  # idempotent by entry id: a redelivered step appends nothing
                    written.append(done)
                    continue
                entry = draft.entry(len(chain) + 1, chain[-1].hash if chain else GENESIS, self.key)
                chain.append(entry)
                written.append(entry)
        return written

    def history(self, object_type: ObjectType, record_id: RecordId) -> list[AuditEntry]:
        return list(self.entries.get(record_key(object_type, record_id), []))

    def all_entries(self) -> Iterator[AuditEntry]:
        with self._lock:
            every = [e for chain in self.entries.values() for e in chain]
        return iter(every)

    def by_change(self, change_id: str) -> list[AuditEntry]:
        return sorted(
            (e for c in self.entries.values() for e in c if e.change_id == change_id), key=lambda e: e.at
        )

    def by_run(self, run_id: str) -> Iterator[AuditEntry]:
        return iter(
            sorted((e for c in self.entries.values() for e in c if e.run_id == run_id), key=lambda e: e.at)
        )


@dataclass
class InMemoryDigestStore:
    """``DigestStore`` in a dict; ``delete`` leaves a delete marker, as S3 versioning does."""

    files: dict[str, bytes] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)

    def put(self, key: str, body: bytes) -> None:
        if key in self.files:
            raise Conflict(f"digest {key} exists")
        self.files[key] = body

    def listing(self) -> list[DigestListing]:
        keys = sorted(set(self.files) | self.deleted)
        return [DigestListing(key=k, deleted=k in self.deleted) for k in keys]

    def read(self, key: str) -> bytes | None:
        return None if key in self.deleted else self.files.get(key)

    def delete(self, key: str, *, marker: bool = True) -> None:
        """Tampering in tests: removes a file, leaving a delete marker unless ``marker`` is False
        (what an unversioned store, or someone removing the versions too, would leave)."""
        self.files.pop(key, None)
        if marker:
            self.deleted.add(key)


@dataclass
class ListSignalBus:
    published: list[Signal] = field(default_factory=list)

    def publish(self, signals: Sequence[Signal]) -> None:
        self.published.extend(signals)


@dataclass
class ListAlertSink:
    raised: list[Alert] = field(default_factory=list)

    def raise_alerts(self, alerts: Sequence[Alert]) -> None:
        self.raised.extend(alerts)


@dataclass
class ListWorkQueue:
    messages: list[BaseModel] = field(default_factory=list)

    def send(self, messages: Sequence[BaseModel]) -> None:
        self.messages.extend(messages)


@dataclass
class InMemoryHealthStore:
    scores: dict[str, HealthScore] = field(default_factory=dict)
    partitions: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: defaultdict(dict))
    aggregates: dict[str, dict[str, Any]] = field(default_factory=dict)
    points: dict[tuple[str, str], HealthPoint] = field(default_factory=dict)

    def put_scores(self, scores: Sequence[HealthScore]) -> None:
        for score in scores:
            self.scores[record_key(score.object_type, score.record_id)] = score

    def put_partition_totals(self, run_id: str, partition: str, figures: dict[str, Any]) -> None:
        self.partitions[run_id][partition] = figures

    def partition_totals(self, run_id: str) -> list[dict[str, Any]]:
        return list(self.partitions.get(run_id, {}).values())

    def put_aggregate(self, object_type: ObjectType, figures: dict[str, Any]) -> None:
        self.aggregates[object_type] = figures

    def aggregate(self, object_type: ObjectType) -> dict[str, Any] | None:
        return self.aggregates.get(object_type)

    def put_history(self, point: HealthPoint) -> None:
        self.points[(point.object_type, point.run_id)] = point

    def history(self, object_type: ObjectType, limit: int) -> list[HealthPoint]:
        mine = sorted(
            (p for p in self.points.values() if p.object_type == object_type), key=lambda p: (p.at, p.run_id)
        )
        return mine[-limit:]


@dataclass
class InMemoryScanRunner:
    """``ScanRunner`` in a dict: a started scan runs until ``finish`` settles it (tests drive the clock)."""

    runs: dict[str, ScanRun] = field(default_factory=dict)
    clock: Any = field(default=lambda: datetime.now(UTC))

    def start(self, scan_id: str, request: ScanWorkflowInput) -> ScanRun:
        if scan_id not in self.runs:
            self.runs[scan_id] = ScanRun(
                scan_id=scan_id, status="running", started_at=self.clock(), **request.model_dump()
            )
        return self.runs[scan_id]

    def get(self, scan_id: str) -> ScanRun:
        try:
            return self.runs[scan_id]
        except KeyError:
            raise NotFound(f"scan {scan_id} does not exist") from None

    def running(self) -> list[ScanRun]:
        active = [r for r in self.runs.values() if r.status == "running"]
        return sorted(active, key=lambda r: r.started_at, reverse=True)

    def finish(
        self, scan_id: str, status: ScanStatus, objects: dict[str, dict[str, Any]] | None = None
    ) -> None:
        run = self.runs[scan_id]
        self.runs[scan_id] = run.model_copy(
            update={"status": status, "stopped_at": self.clock(), "objects": objects}
        )


@dataclass
class InMemoryWorkflow:
    """Records started executions and task answers; a token listed in ``gone`` raises ``Gone``."""

    started: dict[str, dict[str, Any]] = field(default_factory=dict)
    answers: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    gone: set[str] = field(default_factory=set)

    def start_merge(self, payload: dict[str, Any], name: str) -> str:
        self.started.setdefault(name, payload)
        return name

    def resume(self, task_token: str, output: dict[str, Any]) -> None:
        self._answer(task_token, "success", output)

    def fail(self, task_token: str, error: str, cause: str) -> None:
        self._answer(task_token, "failure", {"error": error, "cause": cause})

    def _answer(self, token: str, kind: str, body: dict[str, Any]) -> None:
        if token in self.gone:
            raise Gone("the merge workflow is no longer waiting for this decision")
        self.answers.append((token, kind, body))
        self.gone.add(token)


@dataclass
class InMemoryCrmStore:
    """A ``CrmStore`` in dicts. Merges mark the secondary record ``merged_into`` (never delete)."""

    records: dict[str, Record] = field(default_factory=dict)
    merged_into: dict[str, str] = field(default_factory=dict)
    read_only: frozenset[FieldName] = frozenset({"record_id", "created_at", "updated_at", "last_activity_at"})
    writes: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, records: Sequence[Record]) -> None:
        for record in records:
            self.records[record_key(record.object_type, record.record_id)] = record

    def _live(self, object_type: ObjectType) -> list[Record]:
        return sorted(
            (
                r
                for k, r in self.records.items()
                if r.object_type == object_type and k not in self.merged_into
            ),
            key=lambda r: r.record_id,
        )

    def list_records(
        self, object_type: ObjectType, *, cursor: str | None = None, limit: int = 100
    ) -> RecordPage:
        live = self._live(object_type)
        start = int(cursor or 0)
        nxt = str(start + limit) if start + limit < len(live) else None
        return RecordPage(records=live[start : start + limit], next_cursor=nxt)

    def list_partition(
        self,
        object_type: ObjectType,
        segment: int,
        total: int,
        *,
        cursor: str | None = None,
        limit: int = 100,
    ) -> RecordPage:
        live = [r for i, r in enumerate(self._live(object_type)) if i % total == segment]
        start = int(cursor or 0)
        nxt = str(start + limit) if start + limit < len(live) else None
        return RecordPage(records=live[start : start + limit], next_cursor=nxt)

    def changed_since(self, object_type: ObjectType, since: datetime) -> Iterator[Record]:
        for record in self._live(object_type):
            moment = parse_instant(record.get("updated_at"))
            if moment is None or moment >= since:
                yield record

    def get_records(self, object_type: ObjectType, record_ids: Sequence[RecordId]) -> list[Record]:
        keys = [record_key(object_type, i) for i in record_ids]
        return [self.records[k] for k in keys if k in self.records and k not in self.merged_into]

    def write_fields(self, object_type: ObjectType, writes: Sequence[FieldWrite]) -> list[WriteResult]:
        return [self._write(object_type, w) for w in writes]

    def _write(self, object_type: ObjectType, w: FieldWrite) -> WriteResult:
        key = record_key(object_type, w.record_id)
        record = self.records.get(key)

        result = w.result
        if record is None or key in self.merged_into:
            return result("not_found", detail="merged" if key in self.merged_into else "")
        if w.field in self.read_only:
            return result("read_only")
        if w.field not in CANONICAL_FIELDS[object_type]:
            return result("read_only", detail=f"{w.field!r} is not a {object_type} field")
        current = record.get(w.field)
        if current == w.new_value:
            return result("applied", current, "already held the new value")
        if current != w.expected_old:
            return result("conflict", current)
        self.records[key] = record.model_copy(update={"fields": {**record.fields, w.field: w.new_value}})
        self.writes += 1
        return result("applied", w.new_value)

    def merge(self, object_type: ObjectType, primary_id: RecordId, secondary_id: RecordId) -> MergeResult:
        """As ``DynamoCrmStore.merge``: a repeat is "already merged"; a missing, merged-away or
        already-merged-elsewhere record is ``NotFound``; a record with itself is refused."""
        primary, secondary = record_key(object_type, primary_id), record_key(object_type, secondary_id)
        if primary == secondary:
            raise HygieneError(f"cannot merge {object_type} {primary_id} with itself")
        if primary not in self.records or secondary not in self.records:
            raise NotFound(f"{object_type} {primary_id} or {secondary_id} does not exist")
        if self.merged_into.get(secondary) == primary:
            return MergeResult(
                object_type=object_type,
                primary_id=primary_id,
                merged_ids=[secondary_id],
                surviving_id=primary_id,
                detail="already merged",
            )
        if primary in self.merged_into or secondary in self.merged_into:
            raise NotFound(
                f"cannot merge {object_type} {secondary_id} into {primary_id}: missing or already merged"
            )
        self.merged_into[secondary] = primary
        return MergeResult(
            object_type=object_type, primary_id=primary_id, merged_ids=[secondary_id], surviving_id=primary_id
        )

    def field_info(self, object_type: ObjectType) -> dict[FieldName, FieldInfo]:
        return {
            name: FieldInfo(field=name, crm_name=name, writable=name not in self.read_only)
            for name in CANONICAL_FIELDS[object_type]
        }

    def snapshot(self, object_type: ObjectType, record_ids: Sequence[RecordId]) -> list[RecordImage]:
        return [
            RecordImage(object_type=object_type, record_id=r.record_id, fields=dict(r.fields),
                        properties=dict(r.custom))
            for r in self.get_records(object_type, record_ids)
        ]  # fmt: skip

    def restore_merged(self, object_type: ObjectType, image: RecordImage, survivor_id: RecordId) -> RecordId:
        """As ``DynamoCrmStore.restore_merged``: clears the mark and puts the image's values back."""
        key, survivor = record_key(object_type, image.record_id), record_key(object_type, survivor_id)
        with self._lock:
            if key not in self.records:
                raise Conflict(f"{object_type} {image.record_id} is not in the CRM: nothing to reinstate")
            if key not in self.merged_into:
                return image.record_id  # reinstated before (a repeat)
            if self.merged_into[key] != survivor:
                raise Conflict(
                    f"{object_type} {image.record_id} is merged into another record than {survivor_id}"
                )
            del self.merged_into[key]
            self.records[key] = self.records[key].model_copy(
                update={"fields": dict(image.fields), "custom": dict(image.properties)}
            )
        return image.record_id


@dataclass
class InMemoryJobStore:
    """``JobStore`` in dicts, with the DynamoDB adapter's conditions (version-checked headers)."""

    jobs: dict[str, Job] = field(default_factory=dict)
    plans: dict[str, dict[int, list[JobTask]]] = field(default_factory=lambda: defaultdict(dict))
    results_by_chunk: dict[str, dict[int, list[JobItemResult]]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    subjects: dict[tuple[JobKind, str], str] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def create(self, job: Job, *, replaces: str | None, plan: Sequence[Sequence[JobTask]] | None) -> Job:
        with self._lock:
            if self.subjects.get((job.kind, job.subject)) != replaces or job.job_id in self.jobs:
                raise Conflict(f"another {job.kind} job on this subject started meanwhile")
            if plan is not None:
                job = self._plan(job, plan)
            self.jobs[job.job_id] = job
            self.subjects[(job.kind, job.subject)] = job.job_id
            return job

    def current(self, kind: JobKind, subject: str) -> Job | None:
        job_id = self.subjects.get((kind, subject))
        return self.jobs[job_id] if job_id is not None else None

    def get(self, job_id: str) -> Job:
        try:
            return self.jobs[job_id]
        except KeyError:
            raise NotFound(f"job {job_id} does not exist") from None

    def update(self, job: Job, **changes: Any) -> Job:
        updated = job.model_copy(update={**changes, "version": job.version + 1})
        with self._lock:
            stored = self.jobs.get(job.job_id)
            if stored is None:
                raise NotFound(f"job {job.job_id} does not exist")
            if stored.version != job.version:
                raise Conflict(f"job {job.job_id} changed since it was read")
            self.jobs[job.job_id] = updated
        return updated

    def put_plan(self, job: Job, plan: Sequence[Sequence[JobTask]]) -> Job:
        with self._lock:
            planned = self._plan(job, plan)
            return self.update(job, total=planned.total, chunks=planned.chunks)

    def _plan(self, job: Job, plan: Sequence[Sequence[JobTask]]) -> Job:
        self.plans[job.job_id] = {i: list(tasks) for i, tasks in enumerate(plan)}
        return job.model_copy(update={"total": sum(len(c) for c in plan), "chunks": len(plan)})

    def chunk(self, job_id: str, index: int) -> list[JobTask]:
        try:
            return list(self.plans[job_id][index])
        except KeyError:
            raise NotFound(f"job {job_id} has no chunk {index}") from None

    def complete_chunk(self, job: Job, index: int, results: Sequence[JobItemResult], **changes: Any) -> Job:
        with self._lock:
            if job.next_chunk != index:
                raise Conflict(f"job {job.job_id} is at chunk {job.next_chunk}, not {index}")
            done = sum(r.outcome == "done" for r in results)
            updated = self.update(job, next_chunk=index + 1, done=job.done + done,
                                  errors=job.errors + len(results) - done, **changes)  # fmt: skip
            self.results_by_chunk[job.job_id][index] = list(results)
            return updated

    def results(self, job_id: str, first_chunk: int, chunks: int) -> list[list[JobItemResult]]:
        stored = self.results_by_chunk.get(job_id, {})
        return [list(stored[i]) for i in range(first_chunk, first_chunk + chunks) if i in stored]


@dataclass
class ListJobRunner:
    """``JobRunner`` that only records which job attempts were started (tests run the worker)."""

    started: list[tuple[str, int]] = field(default_factory=list)

    def start(self, job_id: str, attempt: int) -> None:
        if (job_id, attempt) not in self.started:
            self.started.append((job_id, attempt))
