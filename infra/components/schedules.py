"""The scheduled full scan: an EventBridge rule that starts the ScanWorkflow (weekly by default)."""

from __future__ import annotations

from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.config import StackConfig

OBJECT_TYPES = ["contact", "company", "deal"]
SCHEDULED_INPUT = {"object_types": OBJECT_TYPES, "trigger": "schedule"}


class Schedules(Construct):
    """``schedule`` (config) -> ScanWorkflow with ``{"object_types": [...], "trigger": "schedule"}``;
    ``audit_verify_schedule`` -> the audit verifier (verify, sign the next digest, alert)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        scan_workflow: sfn.IStateMachine,
        audit_verify_fn: lambda_.IFunction,
    ) -> None:
        super().__init__(scope, construct_id)
        self.rule = events.Rule(
            self,
            "ScheduledScan",
            rule_name=config.names.schedule_rule,
            description="Full crm-hygiene scan",
            schedule=events.Schedule.expression(config.schedule),
        )
        self.rule.add_target(
            targets.SfnStateMachine(
                scan_workflow,
                input=events.RuleTargetInput.from_object(SCHEDULED_INPUT),
                retry_attempts=3,
            )
        )
        self.audit_rule = events.Rule(
            self,
            "AuditVerify",
            rule_name=config.names.audit_verify_rule,
            description="Verify the audit trail and sign the digest of every chain head",
            schedule=events.Schedule.expression(config.audit_verify_schedule),
        )
        self.audit_rule.add_target(
            targets.LambdaFunction(
                audit_verify_fn,
                event=events.RuleTargetInput.from_object({"trigger": "schedule"}),
                retry_attempts=2,
            )
        )
