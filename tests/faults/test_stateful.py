"""Random sequences of decisions, apply deliveries and rollbacks over several items, each with a fault at
a random step (before or after its effect) and redelivered: after every step nothing is applied
without its audit entries or applied twice, the archive holds every entry, the chains verify; at the
end every approved change has been settled by the apply step (hypothesis stateful testing)."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from crm_hygiene.errors import Conflict
from crm_hygiene.models.review import Approve, EditAndApprove, Reject
from crm_hygiene.services.review.core import decide, rollback_change
from tests.faults.harness import WHEN, Faults, audit_problems
from tests.faults.scenarios import change, deliver_apply, memory_world

ITEMS = {
    "company": ("analytical engines", "Analytical Engines", ["Analytical Engines Ltd", "AE"]),
    "first_name": ("Ada", "ADA", ["Augusta", "Ada"]),
    "email": ("", "", ["ada@analytical-engines.co.uk", "countess@lovelace.co.uk"]),  # a finding
    "last_name": ("Lovelace", "LOVELACE", ["King", "Byron"]),
}
DECISIONS = st.sampled_from(["approve", "reject", "edit-0", "edit-1"])
FAULT = st.one_of(st.none(), st.tuples(st.integers(0, 10), st.sampled_from(WHEN)))


class DecideApplyRollback(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.faults = Faults()
        self.world = memory_world(self.faults)
        for field, (current, suggested, _) in ITEMS.items():
            flag = field == "email"
            item = change(field, field, current, suggested, change_kind="flag" if flag else "normalize",
                          kind="missing_critical" if flag else "malformed")  # fmt: skip
            self.world.queue.put_new([item])

    def _arm(self, fault: tuple[int, str] | None) -> None:
        self.faults.target = None if fault is None else (len(self.faults.trace) + fault[0], fault[1])

    @rule(field=st.sampled_from(sorted(ITEMS)), made=DECISIONS, fault=FAULT)
    def a_reviewer_decides(self, field: str, made: str, fault: tuple[int, str] | None) -> None:
        self.world.change_id = field
        decision = (
            Approve(decision="approve") if made == "approve" else Reject(decision="reject")
            if made == "reject" else EditAndApprove(decision="edit_and_approve", value=ITEMS[field][2][int(made[-1])])
        )  # fmt: skip
        self._arm(fault)
        try:
            self._repeat(lambda: decide(self.world.review(), field, decision, "ana"))
        except Conflict:
            pass  # not decidable now (applied, rejected, decided otherwise): refused, nothing changed
        self.faults.target = None

    @rule(fault=FAULT)
    def the_apply_function_runs(self, fault: tuple[int, str] | None) -> None:
        self._arm(fault)
        deliver_apply(self.world)
        self.faults.target = None

    @precondition(lambda self: any(self.world.queue.get(f).status == "applied" for f in ITEMS))
    @rule(field=st.sampled_from(sorted(ITEMS)), fault=FAULT)
    def a_reviewer_rolls_back(self, field: str, fault: tuple[int, str] | None) -> None:
        self._arm(fault)
        try:
            self._repeat(lambda: rollback_change(self.world.review(), field, "bo"))
        except Conflict:
            pass  # not applied, or the CRM moved on: refused
        self.faults.target = None

    def _repeat(self, call: object) -> None:
        from tests.faults.harness import redeliver

        redeliver(self.faults, lambda: bool(call()))  # type: ignore[operator]

    @invariant()
    def nothing_unaudited_doubled_or_unarchived(self) -> None:
        problems = audit_problems(self.world.entries(), self.world.ledger, self.world.archived())
        assert problems == {"unaudited": [], "twice": [], "archive": []}

    def teardown(self) -> None:
        deliver_apply(self.world)
        for field in ITEMS:
            item = self.world.queue.get(field)
            # (approving a finding without giving it a value acknowledges it: there is nothing to write)
            pending = item.status in ("approved", "edited") and item.is_change
            assert not pending, f"{field} decided but never applied"
            if item.status == "applied":
                [record] = self.world.crm.get_records("contact", ["c1"])
                assert record.get(field) == item.value_to_write


DecideApplyRollback.TestCase.settings = settings(
    max_examples=40, stateful_step_count=12, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
test_decide_apply_rollback_under_faults = DecideApplyRollback.TestCase
