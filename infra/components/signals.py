"""SNS topics: the four signal topics and the alerts topic, encrypted with the stack's own key.

A customer-managed key rather than ``alias/aws/sns``: CloudWatch alarms and SQS subscribers cannot
use the AWS-managed SNS key, because its key policy cannot grant them anything.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra import nag, names
from infra.components.specs import Grantee
from infra.config import StackConfig


class Signals(Construct):
    """``hygiene_health_score``, ``relationship_graph_signal``, ``data_provider_quality_signal``,
    ``measurement`` and ``alerts``."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StackConfig) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "SignalsKey",
            alias=config.names.signals_key_alias,
            description="Encrypts the crm-hygiene SNS topics",
            enable_key_rotation=True,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        self.topics: dict[str, sns.Topic] = {
            topic_id: self._topic(topic_id, config.names.topic(base))
            for topic_id, base in names.SIGNAL_TOPICS.items()
        }
        self.alerts = self._topic(names.ALERTS_TOPIC, config.names.topic("alerts"))
        self._allow_alarms()
        if config.alarm_email:
            self.alerts.add_subscription(subscriptions.EmailSubscription(config.alarm_email))

    @property
    def all_topics(self) -> dict[str, sns.Topic]:
        return {**self.topics, names.ALERTS_TOPIC: self.alerts}

    def grant_publish(self, fn: Grantee, topic_id: str) -> None:
        """``sns:Publish`` on one topic, plus what its KMS key needs (CDK's ``grant_publish``)."""
        self.all_topics[topic_id].grant_publish(fn.grantee)
        nag.wildcard_action(
            fn,
            "kms:GenerateDataKey*",
            "Topic.grant_publish on a KMS-encrypted topic: GenerateDataKey(WithoutPlaintext) on the "
            "stack's signals key only, which SNS needs to encrypt the message.",
        )

    def _topic(self, topic_id: str, topic_name: str) -> sns.Topic:
        return sns.Topic(self, topic_id, topic_name=topic_name, master_key=self.key, enforce_ssl=True)

    def _allow_alarms(self) -> None:
        """CloudWatch alarms publish to the alerts topic as the CloudWatch service, not as a role."""
        cloudwatch = iam.ServicePrincipal("cloudwatch.amazonaws.com")
        own_account = {"StringEquals": {"aws:SourceAccount": cdk.Stack.of(self).account}}
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[cloudwatch],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],  # in a key policy "*" means this key
                conditions=own_account,
            )
        )
        self.alerts.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[cloudwatch],
                actions=["sns:Publish"],
                resources=[self.alerts.topic_arn],
                conditions=own_account,
            )
        )
