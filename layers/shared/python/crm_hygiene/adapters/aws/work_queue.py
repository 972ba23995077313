"""``SqsWorkQueue``: pydantic messages as SQS message bodies, sent in batches of ten."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from crm_hygiene.adapters.aws.errors import aws_errors
from crm_hygiene.errors import HygieneError

BATCH = 10


class SqsWorkQueue:
    """Implements ``WorkQueue``; takes an SQS client and the queue URL."""

    def __init__(self, sqs: Any, url: str) -> None:
        self._sqs = sqs
        self._url = url

    def send(self, messages: Sequence[BaseModel]) -> None:
        for start in range(0, len(messages), BATCH):
            batch = messages[start : start + BATCH]
            entries = [{"Id": str(i), "MessageBody": m.model_dump_json()} for i, m in enumerate(batch)]
            with aws_errors():
                response = self._sqs.send_message_batch(QueueUrl=self._url, Entries=entries)
            if response.get("Failed"):
                raise HygieneError(f"SQS refused {len(response['Failed'])} messages: {response['Failed'][0]}")
