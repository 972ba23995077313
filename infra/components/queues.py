"""SQS work queues (``apply``, ``enrich``, ``scan-requests``), each with its dead-letter queue."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import names
from infra.components.specs import SPECS
from infra.config import StackConfig

MAX_RECEIVE_COUNT = 5
# Which function consumes which queue: its timeout sets the queue's visibility timeout.
CONSUMERS = {
    "ApplyQueue": names.APPLY_FN,
    "EnrichQueue": names.ENRICH_FN,
    "ScanRequestsQueue": names.ENTRY_SCAN_FN,
}


class Queues(Construct):
    """Work queues and their DLQs: SQS-managed SSE, TLS only, 14 days in the DLQ."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StackConfig) -> None:
        super().__init__(scope, construct_id)
        self.dlqs: dict[str, sqs.Queue] = {}
        self.queues: dict[str, sqs.Queue] = {}
        for queue_id, base in names.WORK_QUEUES.items():
            dlq = sqs.Queue(
                self,
                f"{queue_id}Dlq",
                queue_name=config.names.queue(base, dlq=True),
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
                retention_period=cdk.Duration.days(14),
            )
            # AWS's guidance: visibility timeout of at least six times the consumer's timeout, so a
            # retried batch is not handed to a second consumer while the first still works on it.
            consumer_timeout = SPECS[CONSUMERS[queue_id]].timeout_seconds
            self.dlqs[queue_id] = dlq
            self.queues[queue_id] = sqs.Queue(
                self,
                queue_id,
                queue_name=config.names.queue(base),
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
                visibility_timeout=cdk.Duration.seconds(6 * consumer_timeout),
                retention_period=cdk.Duration.days(4),
                dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=MAX_RECEIVE_COUNT, queue=dlq),
            )

    @property
    def apply(self) -> sqs.Queue:
        return self.queues["ApplyQueue"]

    @property
    def enrich(self) -> sqs.Queue:
        return self.queues["EnrichQueue"]

    @property
    def scan_requests(self) -> sqs.Queue:
        return self.queues["ScanRequestsQueue"]
