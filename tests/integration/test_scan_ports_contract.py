"""One contract per port (STYLE 22), over the in-memory fake and the AWS adapter on moto: the health
trend (``HealthStore.put_history`` / ``history``) and scans on demand (``ScanRunner``), so the fake the
unit tests use cannot drift from what the review API runs on."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from crm_hygiene.adapters.aws.health_store import DynamoHealthStore
from crm_hygiene.adapters.aws.scan_runner import StepFunctionsScanRunner
from crm_hygiene.errors import NotFound
from crm_hygiene.memory import InMemoryHealthStore, InMemoryScanRunner
from crm_hygiene.models.health import HealthPoint
from crm_hygiene.models.scans import ScanWorkflowInput
from crm_hygiene.ports import HealthStore, ScanRunner

T0 = datetime(2026, 11, 2, 6, tzinfo=UTC)
# A scan that stays running for a moment: long enough to be listed, short enough to end with the test
SLOW_SCAN = {"StartAt": "Scanning", "States": {"Scanning": {"Type": "Wait", "Seconds": 1, "End": True}}}


def _dynamo_health(aws: dict[str, str]) -> HealthStore:
    return DynamoHealthStore(boto3.resource("dynamodb").Table(aws["HEALTH_TABLE"]))


def _sfn_runner(aws: dict[str, str]) -> ScanRunner:
    sfn = boto3.client("stepfunctions")
    arn = sfn.create_state_machine(name="slow-scan", definition=json.dumps(SLOW_SCAN),
                                   roleArn="arn:aws:iam::123456789012:role/scan")["stateMachineArn"]  # fmt: skip
    return StepFunctionsScanRunner(sfn, arn)


HEALTH: dict[str, Callable[[dict[str, str]], HealthStore]] = {
    "memory": lambda _: InMemoryHealthStore(),
    "dynamodb": _dynamo_health,
}
RUNNERS: dict[str, Callable[[dict[str, str]], ScanRunner]] = {
    "memory": lambda _: InMemoryScanRunner(),
    "stepfunctions": _sfn_runner,
}


def point(run: int, object_type: str = "contact", health: float = 70.0) -> HealthPoint:
    return HealthPoint(run_id=f"run-{run}", at=T0 + timedelta(days=run), object_type=object_type,  # type: ignore[arg-type]
                       health=health, records=10 * run, queue_volume=run)  # fmt: skip


@pytest.mark.parametrize("make", HEALTH.values(), ids=HEALTH.keys())
def test_history_is_the_newest_points_oldest_first_one_per_run(aws: dict[str, str], make) -> None:
    store = make(aws)
    for run in (3, 1, 4, 2):  # written out of order
        store.put_history(point(run))
    store.put_history(point(5, "deal"))
    store.put_history(point(4, health=74.5))  # the same run again: replaced
    assert [p.run_id for p in store.history("contact", 3)] == ["run-2", "run-3", "run-4"]
    assert store.history("contact", 10)[-1].health == 74.5
    assert [p.run_id for p in store.history("deal", 10)] == ["run-5"]
    assert store.history("company", 10) == []


@pytest.mark.parametrize("make", RUNNERS.values(), ids=RUNNERS.keys())
def test_a_started_scan_is_running_listed_and_starting_it_again_is_the_same_scan(
    aws: dict[str, str], make
) -> None:
    runner = make(aws)
    request = ScanWorkflowInput(object_types=["contact", "deal"], requested_by="alice")
    run = runner.start("20261207T060000-0000beef", request)
    assert (run.status, run.object_types, run.requested_by, run.trigger) == (
        "running",
        ["contact", "deal"],
        "alice",
        "manual",
    )
    again = runner.start("20261207T060000-0000beef", request)
    assert again.scan_id == run.scan_id and again.started_at == run.started_at
    [listed] = runner.running()
    assert listed.scan_id == run.scan_id and listed.object_types == ["contact", "deal"]
    assert runner.get(run.scan_id).requested_by == "alice"
    with pytest.raises(NotFound):
        runner.get("20261207T060000-00000000")
