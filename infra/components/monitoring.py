"""Alarms, all to the alerts topic (DLQ depth, function errors, workflow failures, review queue age),
and the operator's dashboard: the system's state without the console's other pages.

The dashboard (``crm-hygiene-<stage>``) shows, top to bottom: the review queue (rows a run queued,
age of the oldest waiting item), decisions by kind and the approval / rework / rejection / blocked
rates over human decisions (metric math over the review API's ``Decisions_*`` counts), health per
object type (``HealthMean_<type>`` from each run's Finalize), errors (function errors, failed
applies, failed workflow executions), dead-letter queue depth, alerts published, and audit
verification failures (``AuditVerificationFailures``, published by the audit verify job).
"""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from crm_hygiene.services.review.metrics import ON_BLOCKED, decision_metric
from crm_hygiene.types import OBJECT_TYPES
from infra import names
from infra.components.functions import HygieneFunction
from infra.components.queues import MAX_RECEIVE_COUNT
from infra.config import StackConfig

FIVE_MINUTES = cdk.Duration.minutes(5)
HOUR = cdk.Duration.hours(1)
DECISION_KINDS = ("approved", "edited", "rejected")


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
        self._alarm_names: dict[str, str] = {}
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
        oldest = app_metric(names.QUEUE_AGE_METRIC, "Maximum", HOUR)
        self._alarm(
            "AuditVerificationFailed",
            app_metric(names.AUDIT_VERIFICATION_METRIC, "Maximum", HOUR),
            "The scheduled audit verification found a problem",
        )
        self._alarm(
            "ReviewQueueAge",
            oldest,
            "The oldest queued review is older than queue_age_alarm_seconds",
            threshold=config.queue_age_alarm_seconds,
        )
        self.dashboard = self._dashboard(alerts, dlqs, functions, workflows)

    def _alarm(
        self, alarm_id: str, metric: cloudwatch.IMetric, description: str, *, threshold: float = 0
    ) -> None:
        self._alarm_names[alarm_id] = self._config.names.alarm(names.kebab(alarm_id))
        alarm = cloudwatch.Alarm(
            self,
            alarm_id,
            alarm_name=self._alarm_names[alarm_id],
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(self._action)
        self.alarms.append(alarm)

    def _dashboard(
        self,
        alerts: sns.ITopic,
        dlqs: Mapping[str, sqs.IQueue],
        functions: Mapping[str, HygieneFunction],
        workflows: Mapping[str, sfn.IStateMachine],
    ) -> cloudwatch.Dashboard:
        decisions = {kind: app_metric(decision_metric(kind), "Sum", HOUR, kind) for kind in DECISION_KINDS}
        on_blocked = app_metric(decision_metric(ON_BLOCKED), "Sum", HOUR, "on blocked items")
        rows = [
            [
                _graph(
                    "Review queue: rows queued per run", [app_metric(names.QUEUE_VOLUME_METRIC, "Sum", HOUR)]
                ),
                _graph(
                    "Review queue: oldest waiting item (seconds)",
                    [app_metric(names.QUEUE_AGE_METRIC, "Maximum", HOUR)],
                ),
            ],
            [
                _graph("Decisions by kind (people)", [*decisions.values(), on_blocked], stacked=True),
                _graph("Rates over human decisions (%)", _rates(decisions, on_blocked)),
            ],
            [
                _graph(
                    "Health (mean per object type)",
                    [
                        app_metric(f"{names.HEALTH_METRIC_PREFIX}{t}", "Average", HOUR, t)
                        for t in OBJECT_TYPES
                    ],
                ),
                _graph(
                    "Errors",
                    [
                        *(
                            fn.function.metric_errors(period=FIVE_MINUTES, label=f)
                            for f, fn in functions.items()
                        ),
                        app_metric(names.APPLY_FAILED_METRIC, "Sum", FIVE_MINUTES, "applies ended failed"),
                        *(
                            m.metric_failed(period=FIVE_MINUTES, label=f"{w} failed")
                            for w, m in workflows.items()
                        ),
                    ],
                ),
            ],
            [
                _graph(
                    "Dead-letter queues (messages)",
                    [
                        q.metric_approximate_number_of_messages_visible(
                            period=cdk.Duration.minutes(1), statistic="Maximum", label=queue_id
                        )
                        for queue_id, q in dlqs.items()
                    ],
                ),
                _graph(
                    "Alerts published, audit verification failures",
                    [
                        alerts.metric_number_of_messages_published(period=FIVE_MINUTES, label="alerts"),
                        app_metric(
                            names.AUDIT_VERIFICATION_METRIC, "Sum", HOUR, "audit verification failures"
                        ),
                    ],
                ),
            ],
        ]
        dashboard = cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=self._config.names.of("operations")
        )
        for row in rows:
            dashboard.add_widgets(*row)
        # By ARN built from the names, not GetAtt: moto's CloudFormation resolves no attribute of an
        # alarm, and the local stack deploys this same template.
        stack = cdk.Stack.of(self)
        by_name = [
            cloudwatch.Alarm.from_alarm_arn(
                self,
                f"{alarm_id}Ref",
                stack.format_arn(
                    service="cloudwatch",
                    resource="alarm",
                    resource_name=name,
                    arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                ),
            )
            for alarm_id, name in self._alarm_names.items()
        ]
        dashboard.add_widgets(cloudwatch.AlarmStatusWidget(title="Alarms", alarms=by_name, width=24))
        return dashboard


def app_metric(
    name: str, statistic: str, period: cdk.Duration, label: str | None = None
) -> cloudwatch.Metric:
    """A metric the functions publish through powertools (namespace and ``service`` dimension)."""
    return cloudwatch.Metric(
        namespace=names.METRICS_NAMESPACE,
        metric_name=name,
        dimensions_map={"service": names.POWERTOOLS_SERVICE},
        period=period,
        statistic=statistic,
        label=label,
    )


def _rates(
    decisions: Mapping[str, cloudwatch.IMetric], on_blocked: cloudwatch.IMetric
) -> list[cloudwatch.IMetric]:
    """Approval (with or without an edit), rework, rejection and blocked rates over the decisions made
    in each period: the same definitions as GET /metrics (services/review/metrics.py)."""
    using = {
        "a": decisions["approved"],
        "e": decisions["edited"],
        "r": decisions["rejected"],
        "b": on_blocked,
    }
    total = "(a + e + r)"
    rates = {
        "approval": f"100 * (a + e) / {total}",
        "rework": f"100 * e / {total}",
        "rejection": f"100 * r / {total}",
        "blocked": f"100 * b / {total}",
    }
    return [
        cloudwatch.MathExpression(
            expression=f"IF({total} > 0, {e})", using_metrics=using, label=f"{n} rate", period=HOUR
        )
        for n, e in rates.items()
    ]


def _graph(title: str, metrics: list[cloudwatch.IMetric], *, stacked: bool = False) -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(title=title, left=metrics, width=12, height=6, stacked=stacked)
