"""ScanWorkflow: Plan -> Map over partitions (each loops on its cursor) -> Finalize.

Inline Map by default. With ``distributed_map`` the plan writes the partition list to the snapshot
bucket and a Distributed Map reads it from there (a million-record CRM can have more partitions
than fit in a 256 KB state payload); each partition then runs as its own child execution.
"""

from __future__ import annotations

import json

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from infra import nag, names
from infra.components.access import DESCRIBE_EXECUTION
from infra.components.functions import HygieneFunction
from infra.components.workflow import acknowledge_invoke, state_machine
from infra.config import StackConfig

# What one ScanPartition call gets and must return (plus "done"); "scanned" counts the partition's
# records so far, so each call can report only its own share.
PARTITION_FIELDS = ("run_id", "object_type", "segment", "total", "cursor", "scanned")
# The scan function raises crm_hygiene.errors.Throttled when the CRM keeps refusing; Lambda's own
# throttle surfaces as TooManyRequestsException. Both deserve a slower second try.
THROTTLE_ERRORS = ["Throttled", "Lambda.TooManyRequestsException"]
# How the Map (inline or distributed) turns one item of the plan's partitions into a ScanPartition
# input: the run from the plan, the partition's keys from the item, nothing scanned yet.
PARTITION_ITEM: dict[str, object] = {
    "run_id.$": "$.plan.run_id",
    "object_type.$": "$$.Map.Item.Value.object_type",
    "segment.$": "$$.Map.Item.Value.segment",
    "total.$": "$$.Map.Item.Value.total",
    "cursor.$": "$$.Map.Item.Value.cursor",
    "scanned": 0,
}


class ScanWorkflow(Construct):
    """The full scan, started weekly by the schedule or by hand (docs/pipeline.md, "Workflow payloads")."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        scan_fn: HygieneFunction,
        snapshot_bucket: s3.IBucket | None,
    ) -> None:
        super().__init__(scope, construct_id)
        self._fn = scan_fn.function
        partitions = self._map(config, snapshot_bucket)
        partitions.item_processor(self._partition_loop())
        finalize = self._invoke(
            "Finalize",
            {"action": "finalize", "run_id.$": "$.plan.run_id", "started_at.$": "$$.Execution.StartTime"},
            result_path="$.summary",
        )
        plan = self._invoke(
            "Plan",
            {"action": "plan", "object_types.$": "$.object_types", "run_id.$": "$.run_id"},
            result_path="$.plan",
        )
        # run_id is optional in the input; without one the execution's name is the run's id.
        name_run = sfn.Pass(
            self,
            "NameRun",
            parameters={"object_types.$": "$.object_types", "run_id.$": "$$.Execution.Name"},
        )
        has_run_id = (
            sfn.Choice(self, "HasRunId")
            .when(sfn.Condition.is_present("$.run_id"), plan)
            .otherwise(name_run.next(plan))
        )
        plan.next(partitions).next(finalize)
        self.state_machine = state_machine(
            self,
            "StateMachine",
            config=config,
            name=config.names.state_machine(names.SCAN_WORKFLOW),
            log_group_name=config.names.log_group("states", "scan"),
            definition=has_run_id,
            timeout=cdk.Duration.hours(24),
        )
        acknowledge_invoke(self.state_machine, scan_fn)
        if snapshot_bucket is not None:
            self._acknowledge_distributed(snapshot_bucket)

    def grant(self, fn: HygieneFunction, *actions: str) -> None:
        """``actions`` on this workflow only; ``DescribeExecution`` on its executions only
        (``infra/components/access.py`` says who gets which)."""
        on_executions = [a for a in actions if a == DESCRIBE_EXECUTION]
        on_machine = [a for a in actions if a != DESCRIBE_EXECUTION]
        if on_machine:
            self.state_machine.grant(fn.grantee, *on_machine)
        if on_executions:
            self.state_machine.grant_execution(fn.grantee, *on_executions)
            nag.wildcard_resource(
                fn,
                f"{_executions(self.state_machine)}:*",
                "Describing the scan workflow's own executions (a scan's progress at GET /scans/{id}).",
            )

    def _invoke(self, state_id: str, payload: dict[str, str], *, result_path: str) -> tasks.LambdaInvoke:
        task = tasks.LambdaInvoke(
            self,
            state_id,
            lambda_function=self._fn,
            payload=sfn.TaskInput.from_object(payload),
            payload_response_only=True,
            result_path=result_path,
        )
        task.add_retry(
            errors=THROTTLE_ERRORS, interval=cdk.Duration.seconds(10), backoff_rate=2, max_attempts=4
        )
        return task

    def _partition_loop(self) -> sfn.IChainable:
        scan = tasks.LambdaInvoke(
            self,
            "ScanPartition",
            lambda_function=self._fn,
            payload=sfn.TaskInput.from_object(
                {"action": "scan_partition", **{f"{key}.$": f"$.{key}" for key in PARTITION_FIELDS}}
            ),
            payload_response_only=True,
        ).add_retry(errors=THROTTLE_ERRORS, interval=cdk.Duration.seconds(10), backoff_rate=2, max_attempts=4)
        done = (
            sfn.Choice(self, "PartitionDone")
            .when(sfn.Condition.boolean_equals("$.done", True), sfn.Succeed(self, "PartitionScanned"))
            .otherwise(scan)
        )
        return scan.next(done)

    def _map(self, config: StackConfig, snapshot_bucket: s3.IBucket | None) -> sfn.Map | sfn.DistributedMap:
        item = dict(PARTITION_ITEM)
        if snapshot_bucket is None:
            return sfn.Map(
                self,
                "ScanPartitions",
                items_path="$.plan.partitions",
                item_selector=item,
                max_concurrency=config.scan_max_concurrency,
                result_path=sfn.JsonPath.DISCARD,
            )
        return sfn.DistributedMap(
            self,
            "ScanPartitions",
            item_reader=sfn.S3JsonItemReader(
                bucket=snapshot_bucket, key=sfn.JsonPath.string_at("$.plan.manifest_key")
            ),
            item_selector=item,
            max_concurrency=config.scan_max_concurrency,
            # A partition may loop longer than an Express execution's 5 minutes.
            map_execution_type=sfn.StateMachineType.STANDARD,
            result_writer_v2=sfn.ResultWriterV2(bucket=snapshot_bucket, prefix="map-results"),
            result_path=sfn.JsonPath.DISCARD,
            label="ScanPartitions",
        )

    def _acknowledge_distributed(self, snapshot_bucket: s3.IBucket) -> None:
        machine = self.state_machine
        nag.wildcard_resource(
            machine,
            f"arn:<AWS::Partition>:s3:::{nag.ref(snapshot_bucket, None)}/*",
            "The Distributed Map reads the run's manifest and writes its results in the snapshot bucket.",
        )
        # CDK's grant for a Distributed Map: the workflow starts and watches its own child executions.
        executions = _executions(machine)
        reason = (
            "Child executions of this workflow's own Distributed Map run (Describe/Stop them); nothing else."
        )
        nag.wildcard_resource(machine, f"{executions}:*", reason)
        nag.wildcard_resource(machine, f"{executions}/ScanPartitions:*", reason)


def _executions(machine: sfn.StateMachine) -> str:
    """The ARN prefix of ``machine``'s executions as cdk-nag prints CDK's execution grants (the
    workflow's name is the intrinsic that extracts it from the ARN)."""
    ref = json.dumps({"Ref": nag.logical_id_of(machine)}, separators=(",", ":"))
    own_name = f'{{"Fn::Select":[6,{{"Fn::Split":[":",{ref}]}}]}}'
    return f"arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{own_name}"
