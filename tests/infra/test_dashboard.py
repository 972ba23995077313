"""The operator's dashboard (issue 10): the system's state at a glance, with CDK assertions."""

from __future__ import annotations

import json
from typing import Any

import pytest

from crm_hygiene.types import OBJECT_TYPES
from infra import names
from tests.infra.conftest import Synth


def _body(synth: Synth) -> tuple[str, dict[str, Any]]:
    [(logical_id, dashboard)] = synth.of_type("AWS::CloudWatch::Dashboard").items()
    assert dashboard["Properties"]["DashboardName"] == synth.config.names.of("operations")
    parts = dashboard["Properties"]["DashboardBody"]["Fn::Join"][1]
    # intrinsics (queue and function names, ARNs) sit inside JSON strings: a bare marker keeps it JSON
    text = "".join(p if isinstance(p, str) else "REF" for p in parts)
    return logical_id, json.loads(text)


@pytest.fixture(scope="module")
def widgets(synth: Synth) -> dict[str, dict[str, Any]]:
    _, body = _body(synth)
    return {w["properties"].get("title", ""): w for w in body["widgets"]}


def _metric_names(widget: dict[str, Any]) -> list[str]:
    """The metric names a graph plots (rows are [namespace, name, dim, value, ..., {options}])."""
    found = []
    for row in widget["properties"].get("metrics", []):
        plain = [c for c in row if isinstance(c, str)]
        if len(plain) >= 2 and plain[0] not in ("...", "."):
            found.append(plain[1])
    return found


def test_the_dashboard_shows_every_figure_the_issue_asks_for(widgets):
    # Then there is a graph for each: queue volume and age, decisions by kind, rates, health, errors,
    # dead-letter depth, alerts and audit verification, and the alarms' status
    titles = set(widgets)
    for wanted in ("Review queue: rows queued per run", "Review queue: oldest waiting item (seconds)",
                   "Decisions by kind (people)", "Rates over human decisions (%)",
                   "Health (mean per object type)", "Errors", "Dead-letter queues (messages)",
                   "Alerts published, audit verification failures", "Alarms"):  # fmt: skip
        assert wanted in titles, wanted


def test_decisions_by_kind_and_their_rates_use_the_review_apis_metrics(widgets):
    assert set(_metric_names(widgets["Decisions by kind (people)"])) == {
        "Decisions_approved", "Decisions_edited", "Decisions_rejected", "Decisions_on_blocked"
    }  # fmt: skip
    expressions = [
        options["expression"]
        for row in widgets["Rates over human decisions (%)"]["properties"]["metrics"]
        for options in row
        if isinstance(options, dict) and "expression" in options
    ]
    assert len(expressions) == 4
    assert all(e.startswith("IF((a + e + r) > 0") for e in expressions)  # no division by zero
    assert "100 * (a + e) / (a + e + r)" in " ".join(expressions)  # approval counts edits as accepted


def test_health_queue_and_audit_come_from_the_stacks_namespace(widgets):
    assert _metric_names(widgets["Health (mean per object type)"]) == [
        f"HealthMean_{t}" for t in OBJECT_TYPES
    ]
    assert _metric_names(widgets["Review queue: oldest waiting item (seconds)"]) == [names.QUEUE_AGE_METRIC]
    audit = widgets["Alerts published, audit verification failures"]["properties"]["metrics"]
    assert [names.METRICS_NAMESPACE, names.AUDIT_VERIFICATION_METRIC] == [
        c for c in audit[1] if isinstance(c, str)
    ][:2]
    assert "AuditVerificationFailures" == names.AUDIT_VERIFICATION_METRIC


def test_errors_and_dead_letters_cover_every_function_queue_and_workflow(synth, widgets):
    errors = _metric_names(widgets["Errors"])
    assert errors.count("Errors") == len(synth.of_type("AWS::Lambda::Function"))
    assert "Apply_failed" in errors
    assert errors.count("ExecutionsFailed") == len(synth.of_type("AWS::StepFunctions::StateMachine"))
    dead = _metric_names(widgets["Dead-letter queues (messages)"])
    assert dead == ["ApproximateNumberOfMessagesVisible"] * len(names.WORK_QUEUES)


def test_the_alarm_widget_lists_every_alarm(synth, widgets):
    assert len(widgets["Alarms"]["properties"]["alarms"]) == len(synth.of_type("AWS::CloudWatch::Alarm"))
