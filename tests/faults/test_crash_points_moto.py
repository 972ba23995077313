"""The apply rows of the crash-point table again, over the real adapters on moto: the change queue and
the CRM in DynamoDB, the audit log in DynamoDB with its S3 archive (the archive put failing inside
the adapter, as S3 would), alerts through SNS. Same faults, same redeliveries, same counts."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator

import boto3
import pytest
from moto import mock_aws

from crm_hygiene.adapters.aws.alerts import SnsAlertSink
from crm_hygiene.adapters.aws.audit_log import DynamoAuditLog, _from_item
from crm_hygiene.adapters.aws.change_queue import DynamoChangeQueue
from crm_hygiene.adapters.aws.crm_store import DynamoCrmStore
from crm_hygiene.models.audit import AuditEntry
from tests.faults.harness import WHEN, Faults, FaultyAlerts, FaultyS3
from tests.faults.scenarios import ADA, SCENARIOS, World, run, wrap
from tests.integration.conftest import create_resources

APPLY = [s for s in SCENARIOS if s.operation == "apply"]


@pytest.fixture
def env() -> Iterator[dict[str, str]]:
    saved = dict(os.environ)
    os.environ.update({"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing",
                       "AWS_SECRET_ACCESS_KEY": "testing"})  # fmt: skip
    try:
        yield {}
    finally:
        os.environ.clear()
        os.environ.update(saved)


def moto_world() -> Callable[[Faults], World]:
    """A world over fresh moto resources (call inside ``mock_aws``)."""
    names = create_resources()
    ddb, s3 = boto3.resource("dynamodb"), boto3.client("s3")
    audit_table = ddb.Table(names["AUDIT_TABLE"])
    bucket = names["AUDIT_BUCKET"]

    def entries() -> list[AuditEntry]:
        return [_from_item(i) for i in audit_table.scan(ConsistentRead=True)["Items"]]

    def archived() -> set[str]:
        keys = set()
        for obj in s3.list_objects_v2(Bucket=bucket, Prefix="audit/").get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read().decode()
            keys |= {f"{e['record_key']}#{e['seq']}" for e in map(json.loads, body.splitlines())}
        return keys

    def build(faults: Faults) -> World:
        crm = DynamoCrmStore(ddb.Table(names["CRM_TABLE"]))
        crm.put_records([ADA])
        audit = DynamoAuditLog(audit_table, FaultyS3(s3, faults), bucket)
        world = wrap(
            faults, crm, DynamoChangeQueue(ddb.Table(names["CHANGE_QUEUE_TABLE"])), audit, entries, archived
        )
        world.alerts = FaultyAlerts(SnsAlertSink(boto3.client("sns"), names["TOPIC_ALERTS_ARN"]), faults)
        return world

    return build


@pytest.mark.parametrize("scenario", APPLY, ids=[s.name for s in APPLY])
def test_every_apply_crash_point_converges_over_dynamodb_and_s3(env: dict[str, str], scenario) -> None:  # type: ignore[no-untyped-def]
    with mock_aws():
        trace = run(scenario, None, moto_world()).trace
    assert "archive put" in trace and "CRM write" in trace
    failures = []
    for index, step in enumerate(trace):
        for when in WHEN:
            with mock_aws():
                result = run(scenario, (index, when), moto_world())
            if result.fired != step or result.lost or any(result.problems.values()):
                failures.append((index, step, when, result.left, result.lost, result.problems))
    assert failures == []
