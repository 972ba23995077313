"""True figures (issue 10): rates over human decisions only, on GET /metrics and as measurement events
on SNS after each decision batch and each run; handler -> service -> adapters on moto."""

from __future__ import annotations

import json
from typing import Any

from review_api_handler import lambda_handler as review_lambda

from crm_hygiene.models.record import Record
from crm_hygiene.models.signals import MeasurementSignal
from crm_hygiene.wiring.aws import AwsDeps
from tests.events.factory import FakeContext, api_event
from tests.integration.conftest import drain, subscribe
from tests.integration.test_pipeline_handlers import apply_all, call, run_scan, seeded  # noqa: F401


def _decision_events(url: str) -> list[MeasurementSignal]:
    events = [MeasurementSignal.model_validate(json.loads(b)) for b in drain(url)]
    return [e for e in events if e.source == "decisions"]


def _queued(deps: AwsDeps) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    status, page = call(deps, "GET", "/reviews", query={"status": "queued", "limit": "500"})
    assert status == 200
    changes = [i for i in page["items"] if i["change_kind"] != "flag" and i["field"]]
    flags = [i for i in page["items"] if i["change_kind"] == "flag"]
    return changes, flags


def test_rolling_back_a_run_leaves_the_number_of_human_decisions_unchanged(
    aws: dict[str, str],
    deps: AwsDeps,
    seeded: list[Record],  # noqa: F811
) -> None:
    # Given a scanned run whose auto changes were applied, and 11 decisions by people (as in the
    # issue): an edit of the queued change, 3 rejections and 7 approvals of findings
    summary = run_scan(deps)
    run_id = summary["run_id"]
    apply_all(deps, aws)
    changes, flags = _queued(deps)
    assert len(changes) >= 1 and len(flags) >= 10
    decisions = (
        [(changes[0]["review_id"], {"decision": "edit_and_approve", "value": changes[0]["suggested_value"]})]
        + [(f["review_id"], {"decision": "reject", "note": "fine as is"}) for f in flags[:3]]
        + [(f["review_id"], {"decision": "approve"}) for f in flags[3:10]]
    )
    for review_id, decision in decisions:
        assert call(deps, "POST", f"/reviews/{review_id}/decision", decision)[0] == 200
    apply_all(deps, aws)
    # When the whole run is rolled back (a person again, but not a decision): a job, worked to the end
    from jobs_handler import lambda_handler as jobs_lambda

    jobs = deps.jobs()
    response = review_lambda(api_event("POST", f"/runs/{run_id}/rollback"), FakeContext(), jobs=jobs)
    assert response["statusCode"] == 202
    step = {"action": "run", "job_id": json.loads(response["body"])["job_id"], "attempt": 1}
    while not jobs_lambda(step, FakeContext(), deps=jobs)["done"]:
        pass
    job = jobs.jobs.get(step["job_id"])
    rolled_back = [
        r for chunk in jobs.jobs.results(job.job_id, 0, job.chunks or 0) for r in chunk if r.outcome == "done"
    ]
    assert len(rolled_back) >= 2  # the edited change and the run's auto-applied ones
    # Then GET /metrics still counts 11 decisions by people, with rates over those 11 only
    status, figures = call(deps, "GET", "/metrics", query={"run_id": run_id})
    assert status == 200
    assert figures["by_status"]["rolled_back"] == len(rolled_back)
    assert figures["decided_by_people"] == len(decisions) == 11
    assert (figures["approved"], figures["edited"], figures["rejected"]) == (7, 1, 3)
    assert figures["approval_rate"] == round(8 / 11, 4)
    assert figures["rejection_rate"] == round(3 / 11, 4)
    assert figures["rework_rate"] == round(1 / 11, 4)
    # And the old count (every item with a last actor) would have taken the rolled-back auto changes
    items, _ = deps.queue.list(run_id=run_id, limit=500)
    assert sum(1 for i in items if i.reviewer) == 11 + len(rolled_back) - 1


def test_each_decision_batch_and_each_run_emit_the_human_decision_figures(
    aws: dict[str, str],
    deps: AwsDeps,
    seeded: list[Record],  # noqa: F811
) -> None:
    # Given a subscriber to the measurement topic and a scanned run
    measurement = subscribe(aws["TOPIC_MEASUREMENT_ARN"])
    summary = run_scan(deps)
    run_id = summary["run_id"]
    [after_run] = _decision_events(measurement)  # the run's end: the whole queue's decision figures
    assert after_run.run_id == "" and after_run.figures["decided_by_people"] == 0
    changes, flags = _queued(deps)
    # When one decision is made, then a bulk of three (one of them unknown)
    call(deps, "POST", f"/reviews/{changes[0]['review_id']}/decision", {"decision": "approve"})
    [single] = _decision_events(measurement)
    status, _ = call(deps, "POST", "/reviews/decisions", {"decisions": [
        {"review_id": flags[0]["review_id"], "decision": {"decision": "reject"}},
        {"review_id": flags[1]["review_id"], "decision": {"decision": "approve"}},
        {"review_id": "missing", "decision": {"decision": "approve"}}]})  # fmt: skip
    assert status == 200
    [bulk] = _decision_events(measurement)
    # Then each batch sent one event for its run, with the figures GET /metrics serves for it
    assert (single.run_id, single.figures["decided_by_people"], single.figures["approval_rate"]) == (
        run_id,
        1,
        1.0,
    )
    assert bulk.run_id == run_id
    _, figures = call(deps, "GET", "/metrics", query={"run_id": run_id})
    for name, value in bulk.figures.items():
        if name in figures:
            assert figures[name] == value, name
    assert (bulk.figures["decided_by_people"], bulk.figures["rejection_rate"]) == (3, round(1 / 3, 4))
    # And the next run's end sends the whole queue's figures, decisions included
    run_scan(deps)
    [next_run] = _decision_events(measurement)
    assert next_run.figures["decided_by_people"] == 3


def test_metrics_show_failures_and_what_would_have_alerted(
    aws: dict[str, str],
    deps: AwsDeps,
    seeded: list[Record],  # noqa: F811
) -> None:
    # Given a run with one item that ended failed
    summary = run_scan(deps)
    changes, _ = _queued(deps)
    item = deps.queue.get(changes[0]["review_id"])
    item = deps.queue.transition(item, "approved", reviewer="ana", decided_by="ana", decided_as="approved")
    deps.queue.transition(item, "failed", note="the CRM refused the write")
    # When the console asks for the figures
    status, figures = call(deps, "GET", "/metrics", query={"run_id": summary["run_id"]})
    # Then the failed item is counted, and what this deployment cannot read is unknown, never 0
    assert status == 200
    assert figures["failures"]["failed_items"] == 1
    assert figures["alerts"]["apply_failed"] == 1
    assert figures["failures"]["dead_letters"] is None  # no dead-letter queues configured here
