"""The demo's loop on the local stack: schedule -> scan workflow -> queue -> apply -> review -> rescan."""

from __future__ import annotations

import json
import os
import time

import boto3
import httpx

from crm_hygiene.local import demo
from crm_hygiene.models.audit import verify_chain
from crm_hygiene.models.signals import MeasurementSignal
from crm_hygiene.webhooks.signature import sign_v3


def _subscribe(topic_arn: str, name: str) -> str:
    sqs, sns = boto3.client("sqs"), boto3.client("sns")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    return url


def _receive_all(url: str) -> list[dict[str, object]]:
    sqs = boto3.client("sqs")
    out: list[dict[str, object]] = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        out.extend(json.loads(m["Body"]) for m in batch)
        for m in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return out


def _crm_keys() -> set[str]:
    table = boto3.resource("dynamodb").Table(os.environ["CRM_TABLE"])
    keys: set[str] = set()
    response = table.scan(ProjectionExpression="pk")
    keys.update(str(i["pk"]) for i in response["Items"])
    while "LastEvaluatedKey" in response:
        response = table.scan(ProjectionExpression="pk", ExclusiveStartKey=response["LastEvaluatedKey"])
        keys.update(str(i["pk"]) for i in response["Items"])
    return keys


def test_demo_loop_auto_approve(local_stack: demo.DemoRun) -> None:
    run = local_stack
    deps = run.deps
    measurement = _subscribe(deps.settings.topic_measurement_arn, "e2e-measurement")
    health = _subscribe(deps.settings.topic_health_arn, "e2e-health")
    records_before = _crm_keys()
    # When the schedule fires
    output = demo.scan(run)
    objects = output["summary"]["objects"]
    assert set(objects) == {"contact", "company", "deal"}
    volume = sum(o["queue_volume"] for o in objects.values())
    counts = demo.queue_counts(deps)
    items, _ = deps.queue.list(limit=1000)
    # Then the queue holds exactly the run's rows (and the enrich function's proposals for records
    # with missing fields), auto ones applied through the apply queue
    scanned = [i for i in items if i.change_kind not in ("enrich", "merge")]
    merges = [i for i in items if i.change_kind == "merge"]
    assert volume > 0 and len(scanned) == volume and len(items) == sum(counts.values())
    assert all(i.source for i in items if i.change_kind == "enrich")
    # duplicates found in Finalize wait in the merge workflow: nothing merged before a person approves
    assert merges and all(i.status == "queued" and i.task_token for i in merges)
    assert counts["applied"] > 0 and counts["queued"] > 0
    # And every applied change has its audit entry, in an intact chain
    page, _ = deps.queue.list(status="applied", limit=500)
    for item in page:
        history = deps.audit.history(item.object_type, item.record_id)
        assert any(e.action == "applied" and e.change_id == item.review_id for e in history)
        assert verify_chain(history) == []
    # And the run's signals reached SQS subscribers through SNS: scan figures one per object type, and
    # the whole queue's human-decision figures (none yet)
    measured = _receive_all(measurement)
    assert {m["object_type"] for m in measured if m["source"] == "run"} == {"contact", "company", "deal"}
    [decisions] = [MeasurementSignal.model_validate(m) for m in measured if m["source"] == "decisions"]
    assert decisions.run_id == "" and decisions.figures["decided_by_people"] == 0
    assert all(m["schema"] == "hygiene_health_score" for m in _receive_all(health))
    # When a reviewer approves everything through the served API, and the schedule fires again
    api = demo.serve(run)
    with httpx.Client(base_url=api.url, timeout=60) as client:
        assert client.get("/").status_code == 200
        assert client.get("/reviews", params={"status": "queued", "limit": 1}).json()["items"]
    result = demo.approve_everything(run)
    assert result["approved"] > 0 and result["failed"] == 0
    demo.scan(run)
    # Then the approved merges went through the CRM's merge (merged records kept, marked), nothing
    # was deleted, and the approvals were audited with the reviewer
    assert all(deps.queue.get(m.review_id).status == "applied" for m in merges)
    assert _crm_keys() == records_before
    applied, _ = deps.queue.list(status="applied", limit=500)
    reviewed = [i for i in applied if i.reviewer]
    assert reviewed
    history = deps.audit.by_change(reviewed[0].review_id)
    assert any(e.actor == "user:local:demo-auto-approver" for e in history)
    # When the scheduled audit verifier runs (the deployed function, through Lambda)
    verifier = run.stack.physical("AWS::Lambda::Function", "AuditVerify")
    answer = boto3.client("lambda").invoke(FunctionName=verifier, Payload=b'{"trigger": "schedule"}')
    outcome = json.loads(answer["Payload"].read())
    # Then every entry the loop wrote verifies by its keyed MAC, and a signed digest pins every chain
    assert "FunctionError" not in answer, outcome
    assert outcome["report"]["ok"] and outcome["report"]["statuses"].keys() == {"verified"}, outcome
    assert outcome["heads"] == outcome["report"]["records"] > 0
    # And `crm-hygiene audit verify --stack` reads the stack's outputs and agrees (exit code 0)
    from crm_hygiene.cli import main

    assert main(["audit", "verify", "--stack", _stack_name(run)]) == 0


def _stack_name(run: demo.DemoRun) -> str:
    [stack] = boto3.client("cloudformation").describe_stacks()["Stacks"]
    return str(stack["StackName"])


def test_the_local_webhook_route_answers_in_the_default_demo(local_stack: demo.DemoRun) -> None:
    # Given the default demo (internal CRM) with its API served, after other functions already ran in
    # this process (each function's settings are its own: this route used to answer 502, a function
    # error, because the settings cached first had no WEBHOOK_SECRET_NAME)
    api = demo.serve(local_stack)
    target = f"{api.url}/webhooks/hubspot"
    body = json.dumps([{"eventId": 1, "subscriptionType": "contact.creation", "objectId": 100001,
                        "occurredAt": 1, "attemptNumber": 0, "portalId": 1, "appId": 1, "subscriptionId": 1}]).encode()  # fmt: skip
    timestamp = str(int(time.time() * 1000))
    headers = {"Content-Type": "application/json", "X-HubSpot-Request-Timestamp": timestamp,
               "X-HubSpot-Signature-v3": sign_v3(demo.LOCAL_WEBHOOK_SECRET, "POST", target, body, timestamp)}  # fmt: skip
    # When a signed delivery arrives
    answer = httpx.post(target, content=body, headers=headers, timeout=60)
    # Then the webhook function answers it itself: this deployment's CRM (the internal table) has no webhook (404)
    assert answer.status_code == 404, answer.text
    assert "no webhook at this path" in answer.json()["message"]
