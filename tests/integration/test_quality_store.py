"""Provider quality on DynamoDB: counters only ever grow, an outcome counts once, rejections remembered."""

from __future__ import annotations

from crm_hygiene.enrich.quality import FieldQuality
from crm_hygiene.wiring.aws import AwsDeps


def test_counters_add_up_across_writers(aws: dict[str, str], deps: AwsDeps) -> None:
    store = deps.quality
    first = FieldQuality(lookups=3, filled=2, proposals=2, cost=0.015)
    first.fault("timeout")
    second = FieldQuality(lookups=1, approved=1, edited=1, cost=0.005)
    second.fault("timeout")
    second.fault("http_429")
    # When two batches (or a batch and a reviewer) add their deltas
    store.add({("people-api", "job_title"): first})
    store.add(
        {("people-api", "job_title"): second, ("derived", "country"): FieldQuality(lookups=5)}, ["rev-1"]
    )
    # Then the store holds their sums, per provider and field
    got = store.snapshot()
    q = got[("people-api", "job_title")]
    assert (q.lookups, q.filled, q.proposals, q.approved, q.edited, q.faults) == (4, 2, 2, 1, 1, 3)
    assert q.fault_kinds == {"timeout": 2, "http_429": 1} and abs(q.cost - 0.02) < 1e-9
    assert got[("derived", "country")].lookups == 5
    assert store.seen_feedback("rev-1") and not store.seen_feedback("rev-2")


def test_rejections_go_to_decision_memory(aws: dict[str, str], deps: AwsDeps) -> None:
    deps.quality.remember_rejection("change-1", "wrong title", "ana")
    assert deps.memory.was_rejected("change-1") and deps.quality.was_rejected("change-1")
