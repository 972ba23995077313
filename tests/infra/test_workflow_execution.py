"""The synthesized workflows' non-Lambda states, executed by moto's Step Functions interpreter.

The Lambda tasks need the local stack's executor (tests/e2e); the states here are pure ASL plus
DynamoDB and SNS integrations, so they run as they are, cut out of the synthesized definition.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from crm_hygiene.models.alerts import Alert
from tests.infra.conftest import Synth
from tests.infra.template_tools import definition

TABLE, TOPIC = "memory", "alerts"


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield


def _states(synth: Synth, workflow_id: str) -> dict[str, Any]:
    name = synth.config.names.state_machine(workflow_id)
    [machine] = [m for m in synth.of_type("AWS::StepFunctions::StateMachine").values()
                 if m["Properties"]["StateMachineName"] == name]  # fmt: skip
    text = json.dumps(definition(machine)["States"])
    for logical_id, resource in synth.resources.items():
        physical = {
            "AWS::DynamoDB::Table": TABLE,
            "AWS::SNS::Topic": f"arn:aws:sns:us-east-1:123456789012:{TOPIC}",
        }
        if resource["Type"] in physical and ("DecisionMemory" in logical_id or "Alerts" in logical_id):
            text = text.replace("${" + logical_id + "}", physical[resource["Type"]])
    return json.loads(text.replace("${AWS::Partition}", "aws"))  # type: ignore[no-any-return]


def _run(
    states: dict[str, Any], start: str, execution_input: dict[str, Any], name: str = "run-1"
) -> list[dict[str, Any]]:
    sfn = boto3.client("stepfunctions")
    arn = sfn.create_state_machine(
        name=f"test-{start}-{time.time_ns()}",
        definition=json.dumps({"StartAt": start, "States": states}),
        roleArn="arn:aws:iam::123456789012:role/test",
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, name=name, input=json.dumps(execution_input))[
        "executionArn"
    ]
    for _ in range(200):
        if sfn.describe_execution(executionArn=execution)["status"] != "RUNNING":
            break
        time.sleep(0.02)
    assert sfn.describe_execution(executionArn=execution)["status"] == "SUCCEEDED"
    return [dict(event) for event in sfn.get_execution_history(executionArn=execution)["events"]]


def _memory_table() -> Any:
    ddb = boto3.client("dynamodb")
    ddb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "key", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "key", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return ddb


REJECTED = {
    "review_id": "rev-1",
    "run_id": "run-1",
    "error": {"Error": "Rejected", "Cause": "not the same company"},
}


def test_a_rejection_lands_in_decision_memory(synth, aws):
    # Given an empty decision memory
    ddb = _memory_table()
    states = _states(synth, "MergeWorkflow")
    # When the rejection path runs
    _run({k: states[k] for k in ("RememberRejection", "Rejected")}, "RememberRejection", REJECTED)
    # Then the pair is remembered under its review id, with the reviewer's note as the reason
    item = ddb.get_item(TableName=TABLE, Key={"key": {"S": "rev-1"}})["Item"]
    assert (item["kind"]["S"], item["reason"]["S"], item["run_id"]["S"]) == (
        "merge",
        "not the same company",
        "run-1",
    )


def test_the_review_apis_own_record_is_kept(synth, aws):
    # Given the review API remembered the rejection first, with the reviewer's identity
    ddb = _memory_table()
    ddb.put_item(
        TableName=TABLE, Item={"key": {"S": "rev-1"}, "reviewer": {"S": "alice"}, "reason": {"S": "no"}}
    )
    states = _states(synth, "MergeWorkflow")
    # When the workflow's rejection path runs
    events = _run({k: states[k] for k in ("RememberRejection", "Rejected")}, "RememberRejection", REJECTED)
    # Then the conditional put fails, is caught, and the execution still succeeds with alice's record intact
    assert [e["taskFailedEventDetails"]["error"] for e in events if e["type"] == "TaskFailed"] == [
        "DynamoDB.ConditionalCheckFailedException"
    ]
    assert ddb.get_item(TableName=TABLE, Key={"key": {"S": "rev-1"}})["Item"]["reviewer"] == {"S": "alice"}


def test_an_expired_review_is_escalated_to_the_alerts_topic(synth, aws):
    # Given a subscriber on the alerts topic
    topic = boto3.client("sns").create_topic(Name=TOPIC)["TopicArn"]
    sqs = boto3.client("sqs")
    queue = sqs.create_queue(QueueName="ops")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    boto3.client("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn,
                                  Attributes={"RawMessageDelivery": "true"})  # fmt: skip
    states = _states(synth, "MergeWorkflow")
    # When the timeout path runs
    timed_out = {"review_id": "rev-2", "run_id": "run-1", "error": {"Error": "States.Timeout"}}
    _run({k: states[k] for k in ("Escalate", "Expired")}, "Escalate", timed_out)
    # Then a person is told which review expired
    [message] = sqs.receive_message(QueueUrl=queue, MessageAttributeNames=["All"])["Messages"]
    body = json.loads(message["Body"])
    assert (body["signal"], body["review_id"], body["run_id"]) == ("merge_review_expired", "rev-2", "run-1")


def test_a_failed_merge_publishes_one_merge_failed_alert_and_fails(synth, aws):
    # Given a subscriber on the alerts topic and a Merge step that fails (a DynamoDB read of a table
    # that does not exist stands in for the apply function, which needs the local stack's executor)
    topic = boto3.client("sns").create_topic(Name=TOPIC)["TopicArn"]
    sqs = boto3.client("sqs")
    queue = sqs.create_queue(QueueName="ops")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    boto3.client("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn,
                                  Attributes={"RawMessageDelivery": "true"})  # fmt: skip
    states = _states(synth, "MergeWorkflow")
    failing = {
        "Type": "Task",
        "Resource": "arn:aws:states:::dynamodb:getItem",
        "Parameters": {"TableName": "missing", "Key": {"key": {"S": "x"}}},
        "Catch": states["Merge"]["Catch"],
        "End": True,
    }
    sfn = boto3.client("stepfunctions")
    arn = sfn.create_state_machine(
        name="merge-fails",
        definition=json.dumps({"StartAt": "Merge", "States": {"Merge": failing, **{
            k: states[k] for k in ("MergeFailedAlert", "MergeFailed")}}}),
        roleArn="arn:aws:iam::123456789012:role/test",
    )["stateMachineArn"]  # fmt: skip
    # When it runs
    execution = sfn.start_execution(stateMachineArn=arn, name="merge-9", input=json.dumps(
        {"review_id": "merge-9", "run_id": "run-1", "proposal": {"members": ["a@example.com"]}}))["executionArn"]  # fmt: skip
    for _ in range(200):
        if sfn.describe_execution(executionArn=execution)["status"] != "RUNNING":
            break
        time.sleep(0.02)
    # Then the execution fails, and exactly one alert says which merge, in the Alert model's shape
    assert sfn.describe_execution(executionArn=execution)["status"] == "FAILED"
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
    [message] = messages["Messages"]
    alert = Alert.model_validate_json(message["Body"])
    assert (alert.kind, alert.review_id, alert.run_id) == ("merge_failed", "merge-9", "run-1")
    assert alert.execution == execution
    assert "example.com" not in message["Body"]  # ids only: nothing of the proposal's records
    assert message["MessageAttributes"]["kind"]["StringValue"] == "merge_failed"


@pytest.mark.parametrize(("given", "expected"), [({}, "exec-7"), ({"run_id": "weekly-1"}, "weekly-1")])
def test_a_scan_without_run_id_is_named_after_its_execution(synth, aws, given, expected):
    states = _states(synth, "ScanWorkflow")
    probe = {"Type": "Pass", "End": True}  # stands in for Plan, which is a Lambda task
    test_states = {
        "HasRunId": states["HasRunId"],
        "NameRun": {**states["NameRun"], "Next": "Plan"},
        "Plan": probe,
    }
    events = _run(
        test_states, "HasRunId", {"object_types": ["contact"], "trigger": "manual", **given}, name="exec-7"
    )
    output = json.loads(events[-1]["executionSucceededEventDetails"]["output"])
    assert output["run_id"] == expected
