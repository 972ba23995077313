"""``SnsAlertSink``: each alert to the alerts topic (a subject for e-mail readers, a JSON body)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from crm_hygiene.adapters.aws.errors import aws_errors
from crm_hygiene.models.alerts import Alert


class SnsAlertSink:
    """Implements ``AlertSink``; takes an SNS client and the alerts topic's ARN."""

    def __init__(self, sns: Any, topic_arn: str) -> None:
        self._sns = sns
        self._topic = topic_arn

    def raise_alerts(self, alerts: Sequence[Alert]) -> None:
        for alert in alerts:
            with aws_errors():
                self._sns.publish(
                    TopicArn=self._topic,
                    Subject=alert.subject,
                    Message=alert.model_dump_json(exclude_none=True),
                    MessageAttributes={
                        "kind": {"DataType": "String", "StringValue": alert.kind},
                        "severity": {"DataType": "String", "StringValue": alert.severity},
                    },
                )
