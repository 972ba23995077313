"""``SnsSignalBus``: each signal to its topic, with attributes subscribers filter on."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from crm_hygiene.adapters.aws.errors import aws_errors
from crm_hygiene.errors import HygieneError
from crm_hygiene.models.signals import Signal, SignalName

BATCH = 10  # SNS PublishBatch limit


def attributes(signal: Signal) -> dict[str, dict[str, str]]:
    attrs = {"signal": signal.schema_name, "version": str(signal.version)}
    object_type = getattr(signal, "object_type", None)
    if object_type:
        attrs["object_type"] = object_type
    return {
        k: {"DataType": "Number" if k == "version" else "String", "StringValue": v} for k, v in attrs.items()
    }


class SnsSignalBus:
    """Implements ``SignalBus``; takes an SNS client and the topic ARN per signal name."""

    def __init__(self, sns: Any, topics: Mapping[SignalName, str]) -> None:
        self._sns = sns
        self._topics = dict(topics)

    def publish(self, signals: Sequence[Signal]) -> None:
        by_topic: dict[str, list[Signal]] = defaultdict(list)
        for signal in signals:
            topic = self._topics.get(signal.schema_name)
            if topic is None:
                raise HygieneError(f"no topic configured for {signal.schema_name}")
            by_topic[topic].append(signal)
        for topic, batch in by_topic.items():
            for start in range(0, len(batch), BATCH):
                self._send(topic, batch[start : start + BATCH])

    def _send(self, topic: str, batch: list[Signal]) -> None:
        entries = [
            {
                "Id": uuid.uuid4().hex,
                "Message": s.model_dump_json(by_alias=True),
                "MessageAttributes": attributes(s),
            }
            for s in batch
        ]
        with aws_errors():
            response = self._sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries)
        if response.get("Failed"):
            raise HygieneError(
                f"SNS refused {len(response['Failed'])} of {len(entries)} signals: {response['Failed'][0]}"
            )
