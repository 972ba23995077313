"""Apply outcomes are a closed set; the reason an item was skipped is kept beside it."""

from __future__ import annotations

from typing import get_args

from crm_hygiene import memory
from crm_hygiene.services.apply.core import ApplyOutcome, apply_changes


def test_a_missing_review_is_an_outcome_of_its_own():
    report = apply_changes(
        ["gone"],
        queue=memory.InMemoryChangeQueue(),
        crm=memory.InMemoryCrmStore(),
        audit=memory.InMemoryAuditLog(),
    )
    assert report.outcomes == {"gone": "missing"} and report.retry == []


def test_the_outcomes_are_the_metric_suffixes():
    # the apply function counts Apply_<outcome>; these names are on dashboards
    assert set(get_args(ApplyOutcome)) == {"applied", "conflict", "failed", "retry", "missing", "skipped"}
