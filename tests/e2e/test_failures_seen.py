"""Failures are seen (issue 10), on the local stack: a message that exhausts its receives is
redriven to its dead-letter queue and raises one dead_letter alert; a failing merge workflow raises
one merge_failed alert; both show in GET /metrics."""

from __future__ import annotations

import json
import os
import time
from typing import Any

import boto3
import httpx

from crm_hygiene.adapters.aws.alerts import SnsAlertSink
from crm_hygiene.local import demo
from crm_hygiene.local.redrive import Poller
from crm_hygiene.models.alerts import Alert
from infra.components.queues import MAX_RECEIVE_COUNT


def _subscriber() -> str:
    """A queue subscribed (raw delivery) to the alerts topic."""
    sqs, sns = boto3.client("sqs"), boto3.client("sns")
    url = sqs.create_queue(QueueName=f"ops-{time.time_ns()}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=os.environ["TOPIC_ALERTS_ARN"], Protocol="sqs", Endpoint=arn,
                  Attributes={"RawMessageDelivery": "true"})  # fmt: skip
    return url


def _alerts(url: str, kind: str) -> list[Alert]:
    sqs, found = boto3.client("sqs"), []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            alert = Alert.model_validate_json(message["Body"])
            if alert.kind == kind:
                found.append(alert)
    return found


def _depth(url: str) -> int:
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return sum(int(v) for v in attributes.values())


def _metrics(run: demo.DemoRun) -> dict[str, Any]:
    answer = httpx.get(f"{demo.serve(run).url}/metrics", timeout=60)
    assert answer.status_code == 200
    return answer.json()  # type: ignore[no-any-return]


def test_a_message_that_keeps_failing_is_dead_lettered_with_one_alert(local_stack: demo.DemoRun) -> None:
    run = local_stack
    alerts = _subscriber()
    settings = run.deps.settings
    [apply_dlq] = [u for u in settings.dead_letter_queue_urls.split() if "apply-dlq" in u]
    before = _depth(apply_dlq)
    assert before == 0  # nothing else on the local stack exhausts its receives
    poller = Poller(
        SnsAlertSink(boto3.client("sns"), settings.topic_alerts_arn), settings.dead_letter_queue_urls.split()
    )
    # Given a message the apply function can never process (its mapping receives it once, on send)
    poison = json.dumps({"review_id": "poison-1", "run_id": "e2e-dlq", "unexpected": True})
    boto3.client("sqs").send_message(QueueUrl=settings.apply_queue_url, MessageBody=poison)
    # When Lambda's poller keeps receiving it (here: the local stand-in)
    delivered = poller.poll_until_quiet()
    # Then after maxReceiveCount receives it is in the dead-letter queue, no longer in the queue
    assert delivered == MAX_RECEIVE_COUNT - 1  # the mapping's first delivery, then four more
    assert _depth(apply_dlq) == 1
    assert _depth(settings.apply_queue_url) == 0
    # And exactly one dead_letter alert says which queue and which review, with ids only
    [alert] = _alerts(alerts, "dead_letter")
    assert "apply-dlq" in alert.summary and (alert.review_id, alert.run_id) == ("poison-1", "e2e-dlq")
    assert "unexpected" not in alert.model_dump_json()
    # And polling again raises no second alert for the same dead-letter queue
    poller.poll()
    assert _alerts(alerts, "dead_letter") == []
    # And the console's figures show it
    figures = _metrics(run)
    assert figures["failures"]["dead_letters_by_queue"][apply_dlq.rsplit("/", 1)[-1]] == 1
    assert figures["alerts"]["dead_letter"] >= 1


def test_a_failing_merge_workflow_raises_one_alert_and_shows_in_the_figures(
    local_stack: demo.DemoRun,
) -> None:
    run = local_stack
    alerts = _subscriber()
    failed_before = _metrics(run)["failures"]["failed_merges"]
    # Given an auto merge whose records do not exist (the CRM merge fails, not retryably)
    proposal = {"object_type": "contact", "members": ["no-such-1", "no-such-2"], "suggested_primary": "no-such-1",
                "match_probability": 0.99, "field_winners": {}, "evidence_summary": "e2e: failing merge"}  # fmt: skip
    arn = run.deps.workflow.start_merge(
        {"review_id": "merge-e2e-fail", "run_id": "e2e", "auto": True, "proposal": proposal},
        name="merge-e2e-fail",
    )
    # When it runs
    deadline = time.monotonic() + 120
    sfn = boto3.client("stepfunctions")
    while sfn.describe_execution(executionArn=arn)["status"] == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.2)
    # Then the execution failed and published exactly one merge_failed alert naming it
    assert sfn.describe_execution(executionArn=arn)["status"] == "FAILED"
    [alert] = _alerts(alerts, "merge_failed")
    assert (alert.review_id, alert.run_id, alert.execution) == ("merge-e2e-fail", "e2e", arn)
    # And the console's figures count it
    assert _metrics(run)["failures"]["failed_merges"] == failed_before + 1
