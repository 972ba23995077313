"""The state machines' definitions have the shapes of docs/pipeline.md ("Workflow payloads")."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra.conftest import Synth
from tests.infra.template_tools import definition


def _machine(synth: Synth, workflow_id: str) -> dict[str, Any]:
    name = synth.config.names.state_machine(workflow_id)
    [machine] = [
        m
        for m in synth.of_type("AWS::StepFunctions::StateMachine").values()
        if m["Properties"]["StateMachineName"] == name
    ]
    return machine


@pytest.fixture(scope="module")
def merge(synth: Synth) -> dict[str, Any]:
    return definition(_machine(synth, "MergeWorkflow"))["States"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def scan(synth: Synth) -> dict[str, Any]:
    return definition(_machine(synth, "ScanWorkflow"))


def processor_item_selector(scan: dict[str, Any]) -> dict[str, Any]:
    return scan["States"]["ScanPartitions"]["ItemSelector"]  # type: ignore[no-any-return]


def _catch(state: dict[str, Any], error: str) -> str:
    [target] = [c["Next"] for c in state["Catch"] if error in c["ErrorEquals"]]
    return str(target)


# ---- merge ------------------------------------------------------------------------------------------


def test_merge_starts_with_the_auto_choice(synth, merge):
    assert definition(_machine(synth, "MergeWorkflow"))["StartAt"] == "IsAuto"
    is_auto = merge["IsAuto"]
    assert is_auto["Type"] == "Choice"
    [choice] = is_auto["Choices"]
    assert (choice["Variable"], choice["BooleanEquals"]) == ("$.auto", True)
    assert merge[choice["Next"]]["Next"] == "Merge"  # AutoApprove records who decided, then merges
    assert is_auto["Default"] == "AwaitReview"


def test_await_review_waits_for_a_task_token_with_a_timeout(merge):
    state = merge["AwaitReview"]
    assert state["Resource"].endswith(":states:::lambda:invoke.waitForTaskToken")
    assert state["TimeoutSeconds"] == 7 * 86_400
    payload = state["Parameters"]["Payload"]
    assert payload["task_token.$"] == "$$.Task.Token"
    assert {"review_id.$", "proposal.$"} <= set(payload)
    assert state["ResultPath"] == "$.decision"
    assert state["Next"] == "Merge"


def test_the_review_timeout_comes_from_config(variant):
    states = definition(_machine(variant, "MergeWorkflow"))["States"]
    assert states["AwaitReview"]["TimeoutSeconds"] == 3600


def test_a_rejection_is_remembered_in_decision_memory(synth, merge):
    remember = merge[_catch(merge["AwaitReview"], "Rejected")]
    assert remember["Resource"].endswith(":states:::dynamodb:putItem")
    table = synth.config.names.table("DecisionMemoryTable")
    [logical_id] = [
        k for k, v in synth.of_type("AWS::DynamoDB::Table").items() if v["Properties"]["TableName"] == table
    ]
    assert remember["Parameters"]["TableName"] == "${" + logical_id + "}"
    assert remember["Parameters"]["Item"]["key"] == {"S.$": "$.review_id"}
    assert merge[remember["Next"]]["Type"] == "Succeed"


def test_a_timeout_escalates_to_alerts_and_ends_expired(synth, merge):
    escalate = merge[_catch(merge["AwaitReview"], "States.Timeout")]
    assert escalate["Resource"].endswith(":states:::sns:publish")
    alerts = synth.config.names.topic("alerts")
    [logical_id] = [
        k for k, v in synth.of_type("AWS::SNS::Topic").items() if v["Properties"]["TopicName"] == alerts
    ]
    assert escalate["Parameters"]["TopicArn"] == "${" + logical_id + "}"
    assert escalate["Next"] == "Expired"
    assert merge["Expired"]["Type"] in ("Succeed", "Fail")
    assert "Next" not in merge["Expired"]


def test_merge_retries_throttling_and_fails_visibly(merge):
    state = merge["Merge"]
    assert state["Parameters"]["action"] == "merge"
    assert {"review_id.$", "run_id.$", "proposal.$", "decision.$"} <= set(state["Parameters"])
    retried = {e for r in state["Retry"] for e in r["ErrorEquals"]}
    assert {"Throttled", "Lambda.TooManyRequestsException"} <= retried
    assert _catch(state, "States.ALL") == "MergeFailedAlert"


@pytest.mark.parametrize("step", ["Merge", "AwaitReview"])
def test_a_failed_merge_step_raises_one_alert_with_ids_only_then_fails(synth, merge, step):
    # Given any failure of a merge step (after Merge's retries; after AwaitReview's Rejected/Timeout)
    assert _catch(merge[step], "States.ALL") == "MergeFailedAlert"
    assert merge[step]["Catch"][-1]["ErrorEquals"] == ["States.ALL"]
    alert = merge["MergeFailedAlert"]
    # Then it publishes to the alerts topic in the Alert model's shape, ids only (no error cause)
    [topic] = [k for k in synth.of_type("AWS::SNS::Topic") if "Alerts" in k]
    assert alert["Resource"].endswith(":states:::sns:publish")
    assert alert["Parameters"]["TopicArn"] == "${" + topic + "}"
    message = alert["Parameters"]["Message"]
    assert (message["kind"], message["severity"]) == ("merge_failed", "high")
    assert {k for k in message if k.endswith(".$")} == {"review_id.$", "run_id.$", "execution.$", "at.$"}
    assert "$.error" not in json.dumps(message)
    # And the execution then fails (the workflow-failure alarm counts it too)
    assert merge[alert["Next"]]["Type"] == "Fail"


# ---- scan -------------------------------------------------------------------------------------------


def test_scan_plans_maps_then_finalizes(scan):
    states = scan["States"]
    assert scan["StartAt"] == "HasRunId"
    assert states["NameRun"]["Parameters"]["run_id.$"] == "$$.Execution.Name"
    plan = states["Plan"]
    assert plan["Parameters"]["action"] == "plan"
    assert plan["Next"] == "ScanPartitions"
    partitions = states["ScanPartitions"]
    assert partitions["Type"] == "Map"
    assert partitions["ItemsPath"] == "$.plan.partitions"
    assert partitions["MaxConcurrency"] == 4
    assert partitions["ItemProcessor"]["ProcessorConfig"] == {"Mode": "INLINE"}
    assert partitions["Next"] == "Finalize"
    assert states["Finalize"]["Parameters"] == {
        "action": "finalize",
        "run_id.$": "$.plan.run_id",
        "started_at.$": "$$.Execution.StartTime",
    }


def test_each_partition_loops_on_its_cursor_until_done(scan):
    processor = scan["States"]["ScanPartitions"]["ItemProcessor"]
    loop = processor["States"]
    assert processor["StartAt"] == "ScanPartition"
    scan_partition = loop["ScanPartition"]
    assert scan_partition["Parameters"] == {
        "action": "scan_partition",
        "run_id.$": "$.run_id",
        "object_type.$": "$.object_type",
        "segment.$": "$.segment",
        "total.$": "$.total",
        "cursor.$": "$.cursor",
        "scanned.$": "$.scanned",
    }
    assert processor_item_selector(scan)["scanned"] == 0
    done = loop[scan_partition["Next"]]
    [choice] = done["Choices"]
    assert (choice["Variable"], choice["BooleanEquals"]) == ("$.done", True)
    assert loop[choice["Next"]]["Type"] == "Succeed"
    assert done["Default"] == "ScanPartition"


def test_distributed_map_reads_the_plan_manifest_from_the_snapshot_bucket(variant):
    partitions = definition(_machine(variant, "ScanWorkflow"))["States"]["ScanPartitions"]
    processor = partitions["ItemProcessor"]
    assert processor["ProcessorConfig"] == {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
    reader = partitions["ItemReader"]
    assert reader["Resource"].endswith(":states:::s3:getObject")
    assert reader["ReaderConfig"] == {"InputType": "JSON"}
    assert reader["Parameters"]["Key.$"] == "$.plan.manifest_key"
    assert "ResultWriter" in partitions
    assert processor["States"]["ScanPartition"]["Parameters"]["action"] == "scan_partition"


@pytest.mark.parametrize("workflow_id", ["ScanWorkflow", "MergeWorkflow", "JobsWorkflow"])
def test_workflows_are_standard_traced_and_logged_without_execution_data(synth, workflow_id):
    props = _machine(synth, workflow_id)["Properties"]
    assert props["StateMachineType"] == "STANDARD"
    assert props["TracingConfiguration"] == {"Enabled": True}
    assert props["LoggingConfiguration"]["Level"] == "ALL"
    assert props["LoggingConfiguration"]["IncludeExecutionData"] is False


# ---- jobs -------------------------------------------------------------------------------------------


def test_the_jobs_workflow_loops_on_the_worker_retries_it_and_marks_a_stopped_job_failed(synth):
    jobs = definition(_machine(synth, "JobsWorkflow"))
    states = jobs["States"]
    run = states[jobs["StartAt"]]
    assert jobs["StartAt"] == "RunJob"
    assert run["Parameters"] == {"action": "run", "job_id.$": "$.job_id", "attempt.$": "$.attempt"}
    # a crashed or timed-out worker is retried (from the job's checkpoint) before the job is given up
    assert any("States.ALL" in r["ErrorEquals"] and r["MaxAttempts"] >= 2 for r in run["Retry"])
    assert any("Throttled" in r["ErrorEquals"] for r in run["Retry"])
    assert _catch(run, "States.ALL") == "MarkFailed"
    mark = states["MarkFailed"]
    assert mark["Parameters"]["action"] == "fail" and mark["Next"] == "JobFailed"
    assert states["JobFailed"]["Type"] == "Fail"  # so the workflow-failure alarm sees it
    done = states[run["Next"]]
    [loop] = done["Choices"]
    assert (loop["Variable"], loop["BooleanEquals"], loop["Next"], done["Default"]) == (
        "$.done",
        True,
        "Finished",
        "RunJob",
    )
