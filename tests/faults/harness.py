"""Fault injection over the ports: every call a use case makes to the outside world (CRM write or
merge, status update, audit append, archive put, SNS publish, apply-queue send, workflow answer) is
a numbered step of a trace, and a run can make exactly one step fail, either **before** it takes
effect (the call fails: nothing happened) or **after** (it took effect, then the caller sees an
error: a timeout, a lost answer, a crash of the function right after the call).

The wrappers take any implementation of the port: the in-memory ones (``crm_hygiene.memory``) or the
AWS adapters on moto. ``Ledger`` counts what really happened to the CRM (writes that changed a value,
merges that merged), independently of what the code under test reports.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from crm_hygiene.memory import InMemoryAuditLog
from crm_hygiene.models.alerts import Alert
from crm_hygiene.models.audit import INTENT_ACTIONS, AuditDraft, AuditEntry, verify_chain
from crm_hygiene.models.crm import FieldWrite, MergeResult, WriteResult
from crm_hygiene.models.review import ReviewItem
from crm_hygiene.models.unmerge import RecordImage
from crm_hygiene.ports import AlertSink, AuditLog, ChangeQueue, CrmStore, DecisionMemory, Workflow
from crm_hygiene.types import ChangeStatus, ObjectType, RecordId

WHEN = ("before", "after")


class Crash(Exception):
    """The injected failure (stands for any exception: a 5xx, a throttle, a timeout, a dead container)."""


@dataclass
class Faults:
    """The trace of steps and the one step (index, before|after) that fails, once."""

    target: tuple[int, str] | None = None
    trace: list[str] = field(default_factory=list)
    fired: str | None = None
    on_fire: Callable[[], None] | None = None
    """Called as the fault fires (to see the state it leaves, before any redelivery repairs it)."""

    @contextmanager
    def step(self, label: str) -> Iterator[None]:
        index = len(self.trace)
        self.trace.append(label)
        if self.target == (index, "before"):
            self._fire(label)
        yield
        if self.target == (index, "after"):
            self._fire(label)

    def _fire(self, label: str) -> None:
        self.target, self.fired = None, label
        if self.on_fire is not None:
            self.on_fire()
        raise Crash(label)


@dataclass
class Ledger:
    """What really changed in the CRM: value changes per write ``change_id``, merges per merged record."""

    writes: Counter[str] = field(default_factory=Counter)
    merges: Counter[str] = field(default_factory=Counter)
    restores: Counter[str] = field(default_factory=Counter)


class FaultyCrm:
    def __init__(self, inner: CrmStore, faults: Faults, ledger: Ledger) -> None:
        self.inner, self.faults, self.ledger = inner, faults, ledger

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def get_records(self, object_type: ObjectType, record_ids: Sequence[RecordId]) -> Any:
        return self.inner.get_records(object_type, record_ids)

    def _values(self, object_type: ObjectType, writes: Sequence[FieldWrite]) -> list[str | None]:
        found = {r.record_id: r for r in self.inner.get_records(object_type, [w.record_id for w in writes])}
        return [found[w.record_id].get(w.field) if w.record_id in found else None for w in writes]

    def write_fields(self, object_type: ObjectType, writes: Sequence[FieldWrite]) -> list[WriteResult]:
        with self.faults.step("CRM write"):
            before = self._values(object_type, writes)
            results = self.inner.write_fields(object_type, writes)
            after = self._values(object_type, writes)
            for write, old, new in zip(writes, before, after, strict=True):
                if old != new:
                    self.ledger.writes[write.change_id] += 1
            return results

    def restore_merged(self, object_type: ObjectType, image: RecordImage, survivor_id: RecordId) -> RecordId:
        with self.faults.step("CRM restore"):
            was_live = bool(self.inner.get_records(object_type, [image.record_id]))
            new_id = self.inner.restore_merged(object_type, image, survivor_id)
            if not was_live:
                self.ledger.restores[image.record_id] += 1
            return new_id

    def merge(self, object_type: ObjectType, primary_id: RecordId, secondary_id: RecordId) -> MergeResult:
        with self.faults.step("CRM merge"):
            result = self.inner.merge(object_type, primary_id, secondary_id)
            if result.detail != "already merged":
                self.ledger.merges[secondary_id] += 1
            return result


class FaultyQueue:
    def __init__(self, inner: ChangeQueue, faults: Faults) -> None:
        self.inner, self.faults = inner, faults

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def get(self, review_id: str) -> ReviewItem:
        return self.inner.get(review_id)

    def put_new(self, items: Sequence[ReviewItem]) -> list[ReviewItem]:
        return self.inner.put_new(items)

    def transition(self, item: ReviewItem, status: ChangeStatus, **changes: Any) -> ReviewItem:
        with self.faults.step(f"status update -> {status}"):
            return self.inner.transition(item, status, **changes)


class FaultyAudit:
    """The audit port. ``archive`` given (in memory): the append is two steps, as in ``DynamoAuditLog``:
    the table, then the archive put of what the table holds. On moto the archive step is the S3 client's."""

    def __init__(self, inner: AuditLog, faults: Faults, archive: set[str] | None = None) -> None:
        self.inner, self.faults, self.archive = inner, faults, archive

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def history(self, object_type: ObjectType, record_id: RecordId) -> list[AuditEntry]:
        return self.inner.history(object_type, record_id)

    def by_change(self, change_id: str) -> list[AuditEntry]:
        return self.inner.by_change(change_id)

    def append(self, drafts: Sequence[AuditDraft]) -> list[AuditEntry]:
        if not drafts:
            return self.inner.append(drafts)
        with self.faults.step(f"audit append ({drafts[0].action})"):
            entries = self.inner.append(drafts)
            if self.archive is not None:
                with self.faults.step("archive put"):
                    self.archive.update(f"{e.record_key}#{e.seq}" for e in entries)
            return entries


class FaultyS3:
    """An S3 client whose ``put_object`` is the ``archive put`` step (the moto world)."""

    def __init__(self, inner: Any, faults: Faults) -> None:
        self.inner, self.faults = inner, faults

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def put_object(self, **request: Any) -> Any:
        with self.faults.step("archive put"):
            return self.inner.put_object(**request)


class FaultyWorkQueue:
    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self.messages: list[BaseModel] = []

    def send(self, messages: Sequence[BaseModel]) -> None:
        with self.faults.step("apply-queue send"):
            self.messages.extend(messages)


class FaultyAlerts:
    def __init__(self, inner: AlertSink | None, faults: Faults) -> None:
        self.inner, self.faults = inner, faults
        self.raised: list[Alert] = []

    def raise_alerts(self, alerts: Sequence[Alert]) -> None:
        with self.faults.step("SNS publish (alerts)"):
            if self.inner is not None:
                self.inner.raise_alerts(alerts)
            self.raised.extend(alerts)


class FaultyWorkflow:
    def __init__(self, inner: Workflow, faults: Faults) -> None:
        self.inner, self.faults = inner, faults

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def resume(self, task_token: str, output: dict[str, Any]) -> None:
        with self.faults.step("workflow answer"):
            self.inner.resume(task_token, output)

    def fail(self, task_token: str, error: str, cause: str) -> None:
        with self.faults.step("workflow answer"):
            self.inner.fail(task_token, error, cause)


class FaultyMemory:
    def __init__(self, inner: DecisionMemory, faults: Faults) -> None:
        self.inner, self.faults = inner, faults

    def was_rejected(self, key: str) -> bool:
        return self.inner.was_rejected(key)

    def remember_rejection(self, key: str, reason: str, reviewer: str) -> None:
        with self.faults.step("decision memory put"):
            self.inner.remember_rejection(key, reason, reviewer)


def redeliver(faults: Faults, attempt: Callable[[], bool], limit: int = 8) -> int:
    """Calls ``attempt`` until it reports done, as SQS redelivers a message whose handler raised (or a
    reviewer repeats a request that failed); returns the deliveries it took."""
    for delivery in range(1, limit + 1):
        try:
            if attempt():
                return delivery
        except Crash:
            continue
    raise AssertionError(f"did not converge in {limit} deliveries (trace {faults.trace})")


# What an outcome entry says happened in the CRM, to match against the ledger.
OUTCOMES = {"applied", "rolled_back", "merged", "unmerged"}


def audit_problems(
    entries: Sequence[AuditEntry], ledger: Ledger, archived: set[str] | None
) -> dict[str, list[str]]:
    """The three counts of the suite, as lists of what is wrong:

    * ``unaudited``: a CRM effect (a value changed, a record merged or brought back) with no outcome entry, or an outcome
      entry with no intent entry before it;
    * ``twice``: a value changed or a record merged more than once, an entry id appended twice, or one
      outcome recorded twice;
    * ``archive``: an entry the table holds that the archive does not; a chain that does not verify.
    """
    unaudited, twice = _effects_problems(entries, ledger)
    unaudited += [
        f"{e.entry_id or e.action} has no intent before it"
        for e in entries
        if e.action in OUTCOMES and not _intent_before(e, entries)
    ]
    ids = Counter(e.entry_id for e in entries if e.entry_id)
    outcomes = Counter(_outcome_key(e) for e in entries if e.action in OUTCOMES)
    twice += [f"entry {i} appended {n} times" for i, n in ids.items() if n > 1]
    twice += [f"outcome {k} recorded {n} times" for k, n in outcomes.items() if n > 1]
    return {"unaudited": unaudited, "twice": twice, "archive": _archive_problems(entries, archived)}


def _effects_problems(entries: Sequence[AuditEntry], ledger: Ledger) -> tuple[list[str], list[str]]:
    unaudited, twice = [], []
    written = {_writes_key(e) for e in entries if e.action in ("applied", "rolled_back", "unmerged")}
    merged = {e.record_id for e in entries if e.action == "merged"}
    restored = {e.record_id for e in entries if e.action == "unmerged" and not e.field}
    for change_id, n in ledger.writes.items():
        if change_id not in written:
            unaudited.append(f"write {change_id} has no outcome entry")
        if n > 1:
            twice.append(f"write {change_id} changed the CRM {n} times")
    for member, n in ledger.merges.items():
        if member not in merged:
            unaudited.append(f"merge of {member} has no outcome entry")
        if n > 1:
            twice.append(f"{member} merged {n} times")
    for member, n in ledger.restores.items():
        if member not in restored:
            unaudited.append(f"unmerge of {member} has no outcome entry")
        if n > 1:
            twice.append(f"{member} brought back {n} times")
    return unaudited, twice


def _archive_problems(entries: Sequence[AuditEntry], archived: set[str] | None) -> list[str]:
    problems = []
    if archived is not None:
        keys = (f"{e.record_key}#{e.seq}" for e in entries)
        problems += [f"{k} not archived" for k in keys if k not in archived]
    chains: dict[str, list[AuditEntry]] = {}
    for entry in entries:
        chains.setdefault(entry.record_key, []).append(entry)
    return problems + [f"{k}: {p}" for k, chain in chains.items() for p in verify_chain(chain)]


def _writes_key(entry: AuditEntry) -> str:
    """The ``change_id`` of the CRM write an outcome entry records (as the use cases name them)."""
    if entry.action == "rolled_back":
        return f"rollback:{entry.change_id}"
    if entry.action == "unmerged":
        return f"unmerge:{entry.change_id}:{entry.field}"
    if entry.change_id.startswith("merge-"):
        return f"{entry.change_id}:{entry.field}"
    return entry.change_id


def _outcome_key(entry: AuditEntry) -> tuple[str, str, str, str]:
    return (entry.change_id, entry.action, entry.record_id, entry.field)


def _intent_before(outcome: AuditEntry, entries: Sequence[AuditEntry]) -> bool:
    intent = {"applied": "applying", "rolled_back": "rolling_back", "merged": "merging",
              "unmerged": "unmerging"}[outcome.action]  # fmt: skip
    return any(
        e.action == intent and e.change_id == outcome.change_id and e.at <= outcome.at
        for e in entries
        if e.action in INTENT_ACTIONS
    )


def memory_entries(audit: InMemoryAuditLog) -> list[AuditEntry]:
    return [e for chain in audit.entries.values() for e in chain]
