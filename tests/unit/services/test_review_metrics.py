"""The human-decision figures (services/review/metrics.py): who acted last is not a decision."""

from __future__ import annotations

from typing import Any

import pytest

from crm_hygiene.memory import InMemoryChangeQueue, ListSignalBus
from crm_hygiene.models.review import ReviewItem
from crm_hygiene.services.review.metrics import decision_figures, figures, publish_decisions


def _item(n: int, status: str, run_id: str = "run-1", **fields: Any) -> ReviewItem:
    return ReviewItem(review_id=f"r{n}", run_id=run_id, kind="malformed", change_kind="normalize",
                      object_type="contact", record_id=str(n), field="phone", current_value="1",
                      suggested_value="+1", evidence="e", confidence=0.9, protected=False,
                      decision=fields.pop("decision", "review"), status=status, source="rule", **fields)  # fmt: skip


def test_rolled_back_and_applied_items_are_not_decisions_unless_a_person_decided_them():
    items = [
        _item(1, "rolled_back", reviewer="ops"),  # an auto change, rolled back by a person: not a decision
        _item(2, "applied", reviewer="system"),  # applied by itself
        _item(3, "rolled_back", reviewer="ops", decided_by="ana", decided_as="approved"),
        _item(4, "rejected", reviewer="ana", decided_by="ana", decided_as="rejected"),
        _item(5, "applied", reviewer="bo", decided_by="bo", decided_as="edited", final_value="+1 555"),
        _item(6, "approved", reviewer="bo", decided_by="bo", decided_as="approved", decision="blocked"),
    ]
    got = decision_figures(items)
    assert got == {
        "decided_by_people": 4,
        "approved": 2,
        "rejected": 1,
        "edited": 1,
        "decided_blocked": 1,
        "approval_rate": 0.75,  # approvals with or without an edit
        "rejection_rate": 0.25,
        "rework_rate": 0.25,
        "blocked_rate": 0.25,
    }


def test_no_decision_yet_means_unknown_rates_not_zero():
    got = decision_figures([_item(1, "queued"), _item(2, "applied", reviewer="system")])
    assert got["decided_by_people"] == 0
    assert got["approval_rate"] is None and got["blocked_rate"] is None


@pytest.mark.parametrize("limit", [1, 2, 5000])
def test_figures_page_through_the_queue_and_say_when_they_stopped(limit):
    queue = InMemoryChangeQueue()
    queue.put_new([_item(n, "rejected", decided_by="a", decided_as="rejected") for n in range(3)])
    got = figures(queue, limit=limit)
    assert got["items"] == min(3, limit) and got["truncated"] == (limit < 3)
    assert got["failures"]["dead_letters"] is None  # nobody could read the dead-letter queues


def test_one_event_per_run_and_one_for_the_whole_queue():
    queue, bus = InMemoryChangeQueue(), ListSignalBus()
    queue.put_new([_item(1, "rejected", "run-1", decided_by="a", decided_as="rejected"),
                   _item(2, "approved", "run-2", decided_by="a", decided_as="approved")])  # fmt: skip
    events = publish_decisions(queue, bus, ["run-1", "run-1", None, ""])
    assert bus.published == events
    assert [(e.run_id, e.source, e.figures["decided_by_people"]) for e in events] == [
        ("", "decisions", 2),
        ("run-1", "decisions", 1),
    ]
