"""Scans on demand (issue 11): "scan now" starts the scan workflow unless a running scan already covers
the object types asked for, and finalize adds each run to the health trend, once per run."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crm_hygiene.errors import NotFound
from crm_hygiene.memory import InMemoryCrmStore, InMemoryScanRunner
from crm_hygiene.models.record import Record
from crm_hygiene.models.scans import ScanWorkflowInput
from crm_hygiene.services.review.core import ReviewDeps, health_history
from crm_hygiene.services.scan.pipeline import finalize, plan, scan_partition
from crm_hygiene.services.scan.runs import scan_status, start_scan
from crm_hygiene.wiring.memory import in_memory_deps

MONDAY = datetime(2026, 12, 7, 6, tzinfo=UTC)


def test_scan_now_starts_every_object_type_by_default_named_by_a_run_id():
    runner = InMemoryScanRunner()
    run, started = start_scan(runner, None, "alice@example.com")
    assert started and run.status == "running"
    assert run.object_types == ["contact", "company", "deal"] and run.requested_by == "alice@example.com"
    assert run.trigger == "manual" and run.scan_id[:8].isdigit()  # 20261207T..., the run id format
    assert scan_status(runner, run.scan_id) == run


def test_a_running_scan_that_covers_the_request_is_answered_instead_of_a_second_scan():
    # Given the scheduled full scan running
    runner = InMemoryScanRunner()
    runner.start("weekly", ScanWorkflowInput(object_types=["contact", "company", "deal"], trigger="schedule"))
    # When a reviewer asks for contacts (a double click: twice)
    first, started = start_scan(runner, ["contact", "contact"], "bob")
    # Then they get the running scan, and nothing new starts
    assert (first.scan_id, started) == ("weekly", False)
    assert list(runner.runs) == ["weekly"]


def test_a_running_scan_of_other_types_does_not_hold_a_request_back():
    runner = InMemoryScanRunner()
    runner.start("contacts", ScanWorkflowInput(object_types=["contact"]))
    run, started = start_scan(runner, ["deal", "contact"], "bob")
    assert started and run.scan_id != "contacts" and run.object_types == ["contact", "deal"]
    # once the first finishes, a request it would have covered starts a new scan
    runner.finish("contacts", "succeeded")
    again, started = start_scan(runner, ["company"], "bob")
    assert started and again.scan_id not in {"contacts", run.scan_id}


def test_an_unknown_scan_is_not_found():
    with pytest.raises(NotFound):
        scan_status(InMemoryScanRunner(), "nope")


def _scan(deps, run_id: str) -> None:
    for part in plan(deps.crm, ["contact"], 1, run_id=run_id):
        while not part.done:
            part = scan_partition(deps, part, lambda: 900.0)


def test_finalize_adds_the_run_to_the_health_trend_once_dated_by_its_start():
    # Given a scan of three contacts
    crm = InMemoryCrmStore()
    crm.add([Record(object_type="contact", record_id=f"c{i}", source="internal",
                    fields={"record_id": f"c{i}", "first_name": "Ada", "email": f"ada{i}@analytical-engines.co.uk"})
             for i in range(3)])  # fmt: skip
    deps = in_memory_deps(crm, memory=None, workflow=None)
    _scan(deps, "run-1")
    # When it is finalized twice (Step Functions retried the task)
    figures = finalize(deps, "run-1", MONDAY)["objects"]["contact"]
    finalize(deps, "run-1", MONDAY)
    # Then the trend holds one point for it, dated by the run's start, with its figures
    [point] = deps.health.history("contact", 10)
    assert (point.run_id, point.at, point.records) == ("run-1", MONDAY, 3)
    assert point.health == figures["health"]["mean"] and point.queue_volume == figures["queue_volume"]
    # and a type the run did not scan has no point (no records: no health to chart)
    assert deps.health.history("company", 10) == []
    # and the review use case reads it for the console
    review = ReviewDeps(queue=deps.queue, audit=None, memory=None, apply_queue=None, workflow=None,  # type: ignore[arg-type]
                        crm=crm, health=deps.health)  # fmt: skip
    assert health_history(review, None, 5) == [point]
