"""Integration tier: the real handlers and adapters on moto (in-process), resources as docs/pipeline.md."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from crm_hygiene.settings import PipelineSettings, load_settings
from crm_hygiene.wiring.aws import AwsDeps

TABLES: dict[str, dict[str, Any]] = {
    "CHANGE_QUEUE_TABLE": {"keys": [("review_id", "S")], "gsis": {
        "by_status": ("status", "created_at"), "by_kind": ("kind", "created_at"),
        "by_object": ("object_type", "created_at"), "by_created": ("created_day", "created_at"),
        "by_run": ("run_id", "created_at")}},
    "AUDIT_TABLE": {"keys": [("record_key", "S"), ("seq", "N")], "gsis": {
        "by_run": ("run_id", "at"), "by_change": ("change_id", "at")}},
    "DECISION_MEMORY_TABLE": {"keys": [("key", "S")], "gsis": {}},
    "HEALTH_TABLE": {"keys": [("pk", "S"), ("sk", "S")], "gsis": {}},
    "MATCH_INDEX_TABLE": {"keys": [("block_key", "S"), ("record_key", "S")], "gsis": {"by_record": ("record_key", "block_key")}},
    "IDEMPOTENCY_TABLE": {"keys": [("id", "S")], "gsis": {}},
    "CRM_TABLE": {"keys": [("pk", "S")], "gsis": {"by_type": ("object_type", "record_id")}},
}  # fmt: skip


def _create_table(ddb: Any, name: str, spec: dict[str, Any]) -> None:
    keys = spec["keys"]
    attributes = dict(keys)
    for pk, sk in spec["gsis"].values():
        attributes.setdefault(pk, "S")
        attributes.setdefault(sk, "S")
    request: dict[str, Any] = {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [
            {"AttributeName": n, "KeyType": "HASH" if i == 0 else "RANGE"} for i, (n, _) in enumerate(keys)
        ],
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in attributes.items()],
    }
    if spec["gsis"]:
        request["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index,
                "KeySchema": [
                    {"AttributeName": pk, "KeyType": "HASH"},
                    {"AttributeName": sk, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for index, (pk, sk) in spec["gsis"].items()
        ]
    ddb.create_table(**request)


def create_resources() -> dict[str, str]:
    """Creates every resource of the pipeline contract; returns the environment the functions get."""
    ddb = boto3.client("dynamodb")
    env: dict[str, str] = {}
    for variable, spec in TABLES.items():
        name = variable.removesuffix("_TABLE").lower().replace("_", "-")
        _create_table(ddb, name, spec)
        env[variable] = name
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="audit-archive", ObjectLockEnabledForBucket=True)
    env["AUDIT_BUCKET"] = "audit-archive"
    sqs = boto3.client("sqs")
    for variable, name in (("APPLY_QUEUE_URL", "apply"), ("ENRICH_QUEUE_URL", "enrich"),
                           ("SCAN_REQUESTS_QUEUE_URL", "scan-requests")):  # fmt: skip
        env[variable] = sqs.create_queue(QueueName=name)["QueueUrl"]
    sns = boto3.client("sns")
    for variable, name in (("TOPIC_HEALTH_ARN", "hygiene_health_score"), ("TOPIC_RELATIONSHIP_ARN", "relationship_graph_signal"),
                           ("TOPIC_PROVIDER_QUALITY_ARN", "data_provider_quality_signal"),
                           ("TOPIC_MEASUREMENT_ARN", "measurement"), ("TOPIC_ALERTS_ARN", "alerts")):  # fmt: skip
        env[variable] = sns.create_topic(Name=name)["TopicArn"]
    env["MERGE_WORKFLOW_ARN"] = "arn:aws:states:us-east-1:123456789012:stateMachine:merge"
    return env


@pytest.fixture
def aws() -> Iterator[dict[str, str]]:
    """moto in-process with the pipeline's resources; the functions' environment set."""
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        env = create_resources()
        saved = dict(os.environ)
        os.environ.update(env)
        load_settings.cache_clear()
        try:
            yield env
        finally:
            os.environ.clear()
            os.environ.update(saved)
            load_settings.cache_clear()


@pytest.fixture
def deps(aws: dict[str, str]) -> AwsDeps:
    return AwsDeps(PipelineSettings.model_validate(aws))


def subscribe(topic_arn: str) -> str:
    """An SQS queue subscribed (raw delivery) to a topic; returns its URL."""
    sqs, sns = boto3.client("sqs"), boto3.client("sns")
    url = sqs.create_queue(QueueName=f"sub-{topic_arn.rsplit(':', 1)[1]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    return url


def drain(url: str) -> list[str]:
    sqs = boto3.client("sqs")
    bodies: list[str] = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not got:
            return bodies
        for m in got:
            bodies.append(m["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
