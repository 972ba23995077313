"""Integration tier: the real handlers and adapters on moto (in-process), resources as docs/pipeline.md."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import boto3
import pytest
from aws_lambda_powertools.utilities.parameters import clear_caches
from moto import mock_aws

from crm_hygiene.audit.keys import Keyring
from crm_hygiene.settings import PipelineSettings
from crm_hygiene.wiring.aws import AwsDeps, clear_deps
from infra.names import TABLE_ENV, kebab
from infra.tables import TABLES, create_table

# Finalize's summary of a run that scanned 3 contacts (the real workflow: tests/e2e, the local stack)
SCAN_SUMMARY = {
    "run_id": "r",
    "objects": {"contact": {"records": 3, "queue_volume": 2, "health": {"mean": 71.5}}},
}
SCAN_WORKFLOW = {
    "StartAt": "Finalize",
    "States": {"Finalize": {"Type": "Pass", "Result": SCAN_SUMMARY, "ResultPath": "$.summary", "End": True}},
}


def create_resources() -> dict[str, str]:
    """Creates every resource of the pipeline contract; returns the environment the functions get."""
    ddb = boto3.client("dynamodb")
    env: dict[str, str] = {}
    for table_id, spec in TABLES.items():  # the stack's own table definitions
        name = kebab(table_id.removesuffix("Table"))
        create_table(ddb, name, spec)
        env[TABLE_ENV[table_id]] = name
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
    # The jobs state machine's executions are recorded (the Lambda tasks need the local stack's
    # executor: tests drive the jobs function with each execution's input instead)
    env["JOBS_WORKFLOW_ARN"] = boto3.client("stepfunctions").create_state_machine(
        name="jobs",
        definition='{"StartAt": "Recorded", "States": {"Recorded": {"Type": "Pass", "End": true}}}',
        roleArn="arn:aws:iam::123456789012:role/jobs",
    )["stateMachineArn"]
    # The scan workflow as far as the review API sees it: an execution that ends with Finalize's summary
    env["SCAN_WORKFLOW_ARN"] = boto3.client("stepfunctions").create_state_machine(
        name="scan", definition=json.dumps(SCAN_WORKFLOW), roleArn="arn:aws:iam::123456789012:role/scan"
    )["stateMachineArn"]
    # The audit MAC keyring (a secret, never the table) and the asymmetric key that signs digests.
    boto3.client("secretsmanager").create_secret(
        Name="audit-key", SecretString=Keyring.generate("k1").dumps()
    )
    env["AUDIT_KEY_SECRET_NAME"] = "audit-key"
    key = boto3.client("kms").create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    env["AUDIT_DIGEST_KEY_ID"] = key["KeyMetadata"]["Arn"]
    return env


@pytest.fixture
def aws() -> Iterator[dict[str, str]]:
    """moto in-process with the pipeline's resources; the functions' environment set."""
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        env = create_resources()
        saved = dict(os.environ)
        os.environ.update(env)
        clear_deps()
        clear_caches()  # type: ignore[no-untyped-call]  # powertools' parameter/secret clients, made for another endpoint
        try:
            yield env
        finally:
            os.environ.clear()
            os.environ.update(saved)
            clear_deps()


@pytest.fixture
def deps(aws: dict[str, str]) -> AwsDeps[PipelineSettings]:
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
