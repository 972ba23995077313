"""Lambda's SQS poller and the dead-letter alarm, for the local stack (moto emulates neither).

moto delivers a message to its queue's event-source mapping once, when it is sent; a failed message
becomes visible again and nothing receives it. ``poll`` does what Lambda's poller does: it receives
each mapped queue's visible messages (every receive counts, so after the queue's ``maxReceiveCount``
moto's redrive moves a failing message to the dead-letter queue), invokes the function with an SQS
event, deletes what succeeded and leaves the rest (``batchItemFailures``) for the next receive.

In AWS, the ``<Queue>DlqDepth`` alarm tells the alerts topic when a dead-letter queue gets its first
message (and stays in alarm until it is emptied or redriven). moto evaluates no alarm, so ``poll``
stands in for it: a dead-letter queue going from empty to non-empty raises one ``dead_letter`` alert
(ids only) through the same ``AlertSink`` the functions use.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3

from crm_hygiene.models.alerts import Alert
from crm_hygiene.ports import AlertSink

_IDS = ("review_id", "run_id", "record_id", "object_type")


def dead_letter_alert(queue_name: str, depth: int, body: str | None) -> Alert:
    """The alert for a dead-letter queue that got messages: the queue, how many, and the ids the first
    message carries (review, run, record, object type), never anything else from its body."""
    ids: dict[str, str] = {}
    try:
        data = json.loads(body or "")
    except ValueError:
        data = None
    if isinstance(data, dict):
        ids = {k: v for k in _IDS if isinstance(v := data.get(k), str) and len(v) <= 200}
    try:
        alert = Alert(kind="dead_letter", severity="high", summary=f"{queue_name}: {depth} message(s)", **ids)
    except ValueError:  # an id that is not one (an unknown object type): the queue alone
        alert = Alert(kind="dead_letter", severity="high", summary=f"{queue_name}: {depth} message(s)")
    return alert


@dataclass
class Poller:
    """Redelivers the mapped queues' messages and watches the dead-letter queues (see the module doc)."""

    alerts: AlertSink
    dead_letter_urls: list[str]
    sqs: Any = field(default_factory=lambda: boto3.client("sqs"))
    lambda_: Any = field(default_factory=lambda: boto3.client("lambda"))
    _alarmed: set[str] = field(default_factory=set)

    def poll(self, rounds: int = 1) -> int:
        """``rounds`` receives of every mapped queue; returns the messages delivered."""
        delivered = 0
        for _ in range(rounds):
            for mapping in self.lambda_.list_event_source_mappings()["EventSourceMappings"]:
                if mapping["EventSourceArn"].split(":")[2] == "sqs" and mapping.get("State") != "Disabled":
                    delivered += self._deliver(mapping)
            self.watch()
        return delivered

    def poll_until_quiet(self, max_rounds: int = 20) -> int:
        """Polls until a round delivers nothing (every message either succeeded or was dead-lettered)."""
        total = 0
        for _ in range(max_rounds):
            delivered = self.poll()
            total += delivered
            if not delivered:
                break
        return total

    def watch(self) -> list[Alert]:
        """One alert per dead-letter queue that went from empty to non-empty since the last look."""
        raised = []
        for url in self.dead_letter_urls:
            name = url.rstrip("/").rsplit("/", 1)[-1]
            depth = self._depth(url)
            if depth and name not in self._alarmed:
                raised.append(dead_letter_alert(name, depth, self._peek(url)))
                self._alarmed.add(name)
            elif not depth:
                self._alarmed.discard(name)  # emptied or redriven: the alarm is OK again
        if raised:
            self.alerts.raise_alerts(raised)
        return raised

    def _deliver(self, mapping: dict[str, Any]) -> int:
        queue_arn = mapping["EventSourceArn"]
        url = self.sqs.get_queue_url(QueueName=queue_arn.rsplit(":", 1)[-1])["QueueUrl"]
        received = self.sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=min(10, int(mapping.get("BatchSize", 10))),
            VisibilityTimeout=0,  # visible again at once: the next round receives (and counts) it again
            AttributeNames=["All"],
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not received:
            return 0
        event = {"Records": [_record(m, queue_arn) for m in received]}
        answer = self.lambda_.invoke(FunctionName=mapping["FunctionArn"], Payload=json.dumps(event))
        failed = _failed_ids(answer, received)
        for message in received:
            if message["MessageId"] not in failed:
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return len(received)

    def _depth(self, url: str) -> int:
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        attributes = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
        return sum(int(v) for v in attributes.values())

    def _peek(self, url: str) -> str | None:
        # A look that leaves the message where it is (visible again at once) for an operator to redrive
        got = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=0).get(
            "Messages"
        )
        return str(got[0]["Body"]) if got else None


def _record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {},
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": queue_arn.split(":")[3],
    }


def _failed_ids(answer: dict[str, Any], received: list[dict[str, Any]]) -> set[str]:
    """What Lambda would leave on the queue: all of it when the function failed, else its
    ``batchItemFailures`` (partial batch responses)."""
    every = {m["MessageId"] for m in received}
    if answer.get("FunctionError"):
        return every
    payload: Callable[[], bytes] = answer["Payload"].read
    try:
        body = json.loads(payload() or b"{}")
    except ValueError:
        return every
    failures = body.get("batchItemFailures", []) if isinstance(body, dict) else []
    return {f["itemIdentifier"] for f in failures if isinstance(f, dict) and "itemIdentifier" in f}
