"""What both state machines share: a standard workflow with X-Ray, full logs and its own log group."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra import nag
from infra.components.functions import HygieneFunction, log_retention
from infra.config import StackConfig

DELIVERY_REASON = (
    "Step Functions log delivery (logs:CreateLogDelivery, GetLogDelivery, ...) and X-Ray "
    "(PutTraceSegments, GetSampling*) do not support resource-level permissions; AWS documents Resource '*'."
)


def state_machine(
    scope: Construct,
    construct_id: str,
    *,
    config: StackConfig,
    name: str,
    log_group_name: str,
    definition: sfn.IChainable,
    timeout: cdk.Duration,
) -> sfn.StateMachine:
    """A STANDARD state machine (task tokens and long loops need it) logging every event.

    Execution data stays out of the logs: inputs carry record fields (names, emails) and task
    tokens, neither of which belongs in CloudWatch.
    """
    log_group = logs.LogGroup(
        scope,
        f"{construct_id}Logs",
        log_group_name=log_group_name,
        retention=log_retention(config.log_retention_days),
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    machine = sfn.StateMachine(
        scope,
        construct_id,
        state_machine_name=name,
        state_machine_type=sfn.StateMachineType.STANDARD,
        definition_body=sfn.DefinitionBody.from_chainable(definition),
        timeout=timeout,
        tracing_enabled=True,
        logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
    )
    nag.wildcard_resource(machine, "*", DELIVERY_REASON)
    return machine


def acknowledge_invoke(machine: sfn.StateMachine, fn: HygieneFunction) -> None:
    """``lambda:InvokeFunction`` on ``<fn>:*`` is CDK's grant for the function's versions and aliases."""
    nag.wildcard_resource(
        machine,
        f"{nag.ref(fn.function)}:*",
        "Invoking this one function by any version or alias (CDK's LambdaInvoke grant); no other function.",
    )
