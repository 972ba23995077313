"""The operations the suite breaks: apply (a change, and one that ends failed with its alert), decide
(approve a change, edit a finding, reject), merge (decide, then the Merge task), rollback. Each is a
set-up done without faults, then phases redelivered until done, then what must hold at the end."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from crm_hygiene.errors import Conflict
from crm_hygiene.memory import (
    InMemoryAuditLog,
    InMemoryChangeQueue,
    InMemoryCrmStore,
    InMemoryDecisionMemory,
    InMemoryHealthStore,
    InMemoryWorkflow,
)
from crm_hygiene.models.audit import AuditEntry
from crm_hygiene.models.merge import MergeProposal
from crm_hygiene.models.messages import ApplyMessage, MergeTask
from crm_hygiene.models.record import Record
from crm_hygiene.models.review import Approve, EditAndApprove, Reject, ReviewItem
from crm_hygiene.ports import AuditLog, ChangeQueue, CrmStore
from crm_hygiene.services.apply.core import apply_changes
from crm_hygiene.services.dedup.entry import build_index, entry_proposal
from crm_hygiene.services.merge.core import perform_merge, register_review, start_merge_workflow
from crm_hygiene.services.merge.unmerge import unmerge
from crm_hygiene.services.review.core import ReviewDeps, decide, rollback_change
from crm_hygiene.standard.loader import default_standard
from tests.faults.harness import (
    Faults,
    FaultyAlerts,
    FaultyAudit,
    FaultyCrm,
    FaultyMemory,
    FaultyQueue,
    FaultyWorkflow,
    FaultyWorkQueue,
    Ledger,
    audit_problems,
    memory_entries,
    redeliver,
)


def contact(record_id: str, **fields: str) -> Record:
    return Record(object_type="contact", record_id=record_id, source="internal",
                  fields={"record_id": record_id, **fields})  # fmt: skip


ADA = contact("c1", first_name="Ada", last_name="Lovelace", email="", owner="n/a", company="analytical engines",
              country="GB", created_at="2025-01-01T00:00:00Z")  # fmt: skip
# A duplicate pair: A is suggested (owner, latest activity); B gives its lead status (A has none).
A = contact("m1", first_name="Ada", last_name="Example", email="ada@example.com", phone="+14155550101",
            company="Example Labs", owner="owner-a", lifecycle_stage="customer", lead_status="",
            created_at="2025-01-10T09:00:00Z", last_activity_at="2026-11-20T10:00:00Z")  # fmt: skip
B = contact("m2", first_name="ADA", last_name="Example", email="ada@EXAMPLE.COM", phone="",
            company="Example Labs Inc", owner="owner-b", lifecycle_stage="lead", lead_status="open",
            created_at="2024-03-02T09:00:00Z", last_activity_at="2026-10-01T10:00:00Z")  # fmt: skip


def change(review_id: str, field: str, current: str, suggested: str, *, status: Any = "queued",
           change_kind: Any = "normalize", kind: Any = "malformed") -> ReviewItem:  # fmt: skip
    return ReviewItem(review_id=review_id, run_id="run-1", kind=kind, change_kind=change_kind, object_type="contact",
                      record_id="c1", field=field, current_value=current, suggested_value=suggested,
                      evidence="e", confidence=0.9, protected=False, decision="review", status=status,
                      source="normalize.company_name")  # fmt: skip


@dataclass
class World:
    """The ports of one run, wrapped with one fault; ``entries``/``archived`` read back the audit."""

    faults: Faults
    ledger: Ledger
    crm: FaultyCrm
    queue: FaultyQueue
    audit: FaultyAudit
    entries: Callable[[], list[AuditEntry]]
    archived: Callable[[], set[str]]
    apply_queue: FaultyWorkQueue = field(init=False)
    alerts: FaultyAlerts = field(init=False)
    workflow: FaultyWorkflow = field(init=False)
    memory: FaultyMemory = field(init=False)
    execution: dict[str, Any] = field(default_factory=dict)
    change_id: str = ""

    def __post_init__(self) -> None:
        self.apply_queue = FaultyWorkQueue(self.faults)
        self.alerts = FaultyAlerts(None, self.faults)
        self.workflow = FaultyWorkflow(InMemoryWorkflow(), self.faults)
        self.memory = FaultyMemory(InMemoryDecisionMemory(), self.faults)

    def review(self) -> ReviewDeps:
        return ReviewDeps(queue=self.queue, audit=self.audit, memory=self.memory, apply_queue=self.apply_queue,
                          workflow=self.workflow, crm=self.crm, health=InMemoryHealthStore(),
                          alerts=self.alerts)  # type: ignore[arg-type]  # fmt: skip


def memory_world(faults: Faults) -> World:
    crm, audit, archive = InMemoryCrmStore(), InMemoryAuditLog(), set[str]()
    crm.add([ADA, A, B])
    return World(faults, ledger := Ledger(), FaultyCrm(crm, faults, ledger), FaultyQueue(InMemoryChangeQueue(), faults),
                 FaultyAudit(audit, faults, archive), lambda: memory_entries(audit), lambda: archive)  # fmt: skip


def wrap(faults: Faults, crm: CrmStore, queue: ChangeQueue, audit: AuditLog, entries: Callable[[], list[AuditEntry]],
         archived: Callable[[], set[str]]) -> World:  # fmt: skip
    """A world over other implementations of the ports (the AWS adapters on moto)."""
    ledger = Ledger()
    return World(faults, ledger, FaultyCrm(crm, faults, ledger), FaultyQueue(queue, faults), FaultyAudit(audit, faults),
                 entries, archived)  # fmt: skip


# --- phases: each is redelivered until it reports done ---------------------------------------------


def deliver_apply(world: World) -> int:
    """The apply function over every message sent so far (a message whose handler raised, or whose
    write is to be retried, is redelivered)."""
    deliveries = 0
    while world.apply_queue.messages:
        message = world.apply_queue.messages.pop(0)
        assert isinstance(message, ApplyMessage)

        def once(review_id: str = message.review_id) -> bool:
            report = apply_changes([review_id], queue=world.queue, crm=world.crm, audit=world.audit,
                                   alerts=world.alerts)  # type: ignore[arg-type]  # fmt: skip
            return report.outcomes[review_id] != "retry"

        deliveries += redeliver(world.faults, once)
    return deliveries


def decision(made: Any) -> Callable[[World], int]:
    """A reviewer's decision on the scenario's item, repeated after an error until it answers."""

    def phase(world: World) -> int:
        return redeliver(world.faults, lambda: bool(decide(world.review(), world.change_id, made, "ana")))

    return phase


def send(review_id: str) -> Callable[[World], None]:
    def setup(world: World) -> None:
        world.apply_queue.messages.append(ApplyMessage(review_id=review_id, run_id="run-1"))

    return setup


def merge_task(world: World) -> int:
    """The workflow's Merge task with the decision the review API sent (Step Functions retries or is redriven)."""
    inner = world.workflow.inner
    assert isinstance(inner, InMemoryWorkflow)
    decision_ = next(body for token, kind, body in inner.answers if kind == "success")
    payload = {"action": "merge", **{k: world.execution[k] for k in ("review_id", "run_id", "proposal")},
               "decision": json.loads(json.dumps(decision_))}  # fmt: skip
    task = MergeTask.model_validate(payload)
    return redeliver(world.faults, lambda: bool(perform_merge(task, queue=world.queue, crm=world.crm,  # type: ignore[arg-type]
                                                              audit=world.audit, standard=default_standard())))  # fmt: skip


# --- set-ups -----------------------------------------------------------------------------------------


def queue_merge(world: World) -> None:
    proposal: MergeProposal | None = None
    index = build_index(world.crm, "contact")  # type: ignore[arg-type]
    assert index is not None
    proposal = entry_proposal(B, index, world.crm, default_standard())  # type: ignore[arg-type]
    assert proposal is not None and proposal.suggested_primary == A.record_id
    workflow = world.workflow.inner
    assert isinstance(workflow, InMemoryWorkflow)
    review_id = start_merge_workflow(workflow, proposal, "run-1")
    world.execution = json.loads(json.dumps(workflow.started[review_id]))
    register = {k: world.execution[k] for k in ("review_id", "run_id", "proposal")}
    task = MergeTask.model_validate({**register, "task_token": "token-1", "action": "register"})
    register_review(task, queue=world.queue, audit=world.audit)  # type: ignore[arg-type]


def performed_merge(world: World) -> None:
    queue_merge(world)
    world.change_id = world.execution["review_id"]
    decision(Approve(decision="approve"))(world)
    merge_task(world)


def unmerge_phase(world: World) -> int:
    """A reviewer's unmerge, repeated after an error until it answers; a repeat whose first attempt got
    through answers 409 "already unmerged" (the request's outcome, read from the item)."""
    review_id = world.execution["review_id"]

    def once() -> bool:
        try:
            return bool(unmerge(review_id, "bo", queue=world.queue, crm=world.crm, audit=world.audit))  # type: ignore[arg-type]
        except Conflict:
            if world.queue.get(review_id).status == "rolled_back":
                return True
            raise

    return redeliver(world.faults, once)


def unmerged(world: World) -> list[str]:
    lost = holds(world.execution["review_id"], "rolled_back", "lead_status", "", A.record_id)(world)
    back = world.crm.get_records("contact", [B.record_id])
    if [r.fields for r in back] != [B.fields]:
        lost.append("B is not back as it was")
    return lost


def applied_change(world: World) -> None:
    world.queue.put_new(
        [change("rb", "company", "analytical engines", "Analytical Engines", status="auto_applied")]
    )
    send("rb")(world)
    deliver_apply(world)


# --- what must hold at the end ------------------------------------------------------------------------


def holds(review_id: str, status: str, field_: str | None = None, value: str | None = None,
          record_id: str = "c1") -> Callable[[World], list[str]]:  # fmt: skip
    def expect(world: World) -> list[str]:
        lost = []
        item = world.queue.get(review_id)
        if item.status != status:
            lost.append(f"{review_id} is {item.status}, not {status}")
        if field_ is not None:
            [record] = world.crm.get_records("contact", [record_id])
            if record.get(field_) != value:
                lost.append(f"the CRM holds {record.get(field_)!r} in {field_}, not {value!r}")
        return lost

    return expect


def merged(world: World) -> list[str]:
    lost = holds(world.execution["review_id"], "applied", "lead_status", "open", A.record_id)(world)
    if world.crm.get_records("contact", [B.record_id]):
        lost.append("B was not merged")
    return lost


def failed_with_alert(world: World) -> list[str]:
    lost = holds("ro", "failed")(world)
    if not any(a.kind == "apply_failed" and a.review_id == "ro" for a in world.alerts.raised):
        lost.append("no apply_failed alert")
    return lost


def rejected(world: World) -> list[str]:
    return holds("rj", "rejected")(world) + (
        [] if world.memory.was_rejected("rj") else ["rejection not remembered"]
    )


@dataclass(frozen=True)
class Scenario:
    operation: str
    name: str
    setup: tuple[Callable[[World], object], ...]
    phases: tuple[Callable[[World], int], ...]
    expect: Callable[[World], list[str]]
    change_id: str


SCENARIOS = (
    Scenario("apply", "apply an auto change",
             (lambda w: w.queue.put_new([change("ap", "company", "analytical engines", "Analytical Engines",
                                                status="auto_applied")]), send("ap")),
             (deliver_apply,), holds("ap", "applied", "company", "Analytical Engines"), "ap"),
    Scenario("apply", "apply that ends failed (alert)",
             (lambda w: w.queue.put_new([change("ro", "created_at", "2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z",
                                                status="approved")]), send("ro")),
             (deliver_apply,), failed_with_alert, "ro"),
    Scenario("decide", "approve a change, then apply",
             (lambda w: w.queue.put_new([change("dc", "company", "analytical engines", "Analytical Engines")]),),
             (decision(Approve(decision="approve")), deliver_apply),
             holds("dc", "applied", "company", "Analytical Engines"), "dc"),
    Scenario("decide", "edit a finding (missing e-mail), then apply",
             (lambda w: w.queue.put_new([change("ef", "email", "", "", change_kind="flag", kind="missing_critical")]),),
             (decision(EditAndApprove(decision="edit_and_approve", value="ada@analytical-engines.co.uk")), deliver_apply),
             holds("ef", "applied", "email", "ada@analytical-engines.co.uk"), "ef"),
    Scenario("decide", "reject a change",
             (lambda w: w.queue.put_new([change("rj", "company", "analytical engines", "Analytical Engines")]),),
             (decision(Reject(decision="reject", note="no")),), rejected, "rj"),
    Scenario("merge", "approve a merge, then the Merge task", (queue_merge,),
             (decision(Approve(decision="approve")), merge_task), merged, "merge"),
    Scenario("unmerge", "unmerge a performed merge", (performed_merge,), (unmerge_phase,), unmerged, "merge"),
    Scenario("rollback", "roll back an applied change", (applied_change,),
             (lambda w: redeliver(w.faults, lambda: bool(rollback_change(w.review(), "rb", "bo"))),),
             holds("rb", "rolled_back", "company", "analytical engines"), "rb"),
)  # fmt: skip


@dataclass
class Run:
    """One run of a scenario with one fault: where it failed, what that left, and what the end holds."""

    trace: list[str]
    fired: str | None
    left: str
    deliveries: int
    lost: list[str]
    problems: dict[str, list[str]]


def _state(world: World) -> str:
    item = world.queue.get(world.change_id)
    entries = sorted(world.entries(), key=lambda e: (e.at, e.seq))
    actions = [e.action for e in entries if e.change_id == world.change_id]
    effects = sum(world.ledger.writes.values()) + sum(world.ledger.merges.values())
    crm = f"CRM changed {effects}x" if effects else "CRM untouched"
    return f"{item.status}; {crm}; audit: {', '.join(actions) or '-'}"


def run(
    scenario: Scenario, target: tuple[int, str] | None, world_of: Callable[[Faults], World] = memory_world
) -> Run:
    """Runs ``scenario`` with the fault ``target`` (trace index, before|after), redelivering until done."""
    faults = Faults()
    world = world_of(faults)
    for step in scenario.setup:
        step(world)
    world.change_id = world.execution.get("review_id", scenario.change_id)
    left: list[str] = []
    faults.trace.clear()
    faults.target, faults.on_fire = target, lambda: left.append(_state(world))
    deliveries = sum(phase(world) for phase in scenario.phases)
    return Run(list(faults.trace), faults.fired, left[0] if left else "-", deliveries, scenario.expect(world),
               audit_problems(world.entries(), world.ledger, world.archived()))  # fmt: skip
