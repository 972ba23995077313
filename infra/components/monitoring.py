"""Alarms, all to the alerts topic: DLQ depth, function errors, workflow failures, review queue age."""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra import names
from infra.components.functions import HygieneFunction
from infra.components.queues import MAX_RECEIVE_COUNT
from infra.config import StackConfig

FIVE_MINUTES = cdk.Duration.minutes(5)


class Monitoring(Construct):
    """Every alarm fires on the first occurrence: in this system one lost change is already news."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        alerts: sns.ITopic,
        dlqs: Mapping[str, sqs.IQueue],
        functions: Mapping[str, HygieneFunction],
        workflows: Mapping[str, sfn.IStateMachine],
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self._action = actions.SnsAction(alerts)
        self.alarms: list[cloudwatch.Alarm] = []
        for queue_id, dlq in dlqs.items():
            self._alarm(
                f"{queue_id}DlqDepth",
                dlq.metric_approximate_number_of_messages_visible(
                    period=cdk.Duration.minutes(1), statistic="Maximum"
                ),
                f"Messages in the {queue_id} dead-letter queue: each failed {MAX_RECEIVE_COUNT} times",
            )
        for function_id, fn in functions.items():
            self._alarm(
                f"{function_id}Errors",
                fn.function.metric_errors(period=FIVE_MINUTES, statistic="Sum"),
                f"{function_id} raised errors",
            )
        for workflow_id, machine in workflows.items():
            self._alarm(
                f"{workflow_id}Failed",
                machine.metric_failed(period=FIVE_MINUTES, statistic="Sum"),
                f"{workflow_id} executions failed",
            )
            self._alarm(
                f"{workflow_id}TimedOut",
                machine.metric_timed_out(period=FIVE_MINUTES, statistic="Sum"),
                f"{workflow_id} executions timed out",
            )
        oldest = cloudwatch.Metric(
            namespace=names.METRICS_NAMESPACE,
            metric_name=names.QUEUE_AGE_METRIC,
            dimensions_map={"service": names.POWERTOOLS_SERVICE},
            period=cdk.Duration.hours(1),
            statistic="Maximum",
        )
        self._alarm(
            "ReviewQueueAge",
            oldest,
            "The oldest queued review is older than queue_age_alarm_seconds",
            threshold=config.queue_age_alarm_seconds,
        )

    def _alarm(
        self, alarm_id: str, metric: cloudwatch.IMetric, description: str, *, threshold: float = 0
    ) -> None:
        alarm = cloudwatch.Alarm(
            self,
            alarm_id,
            alarm_name=self._config.names.alarm(names.kebab(alarm_id)),
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(self._action)
        self.alarms.append(alarm)
