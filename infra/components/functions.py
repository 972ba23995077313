"""The Lambda functions: one ``HygieneFunction`` construct for all of them, and who may touch what.

Every permission is a ``grant_*`` on the resource (or ``iam.Grant`` where CDK's grant is broader
than we want, as on the audit archive). The only ``"*"`` resources are the ones AWS requires
(X-Ray's PutTraceSegments/PutTelemetryRecords), acknowledged for cdk-nag with that reason; the infra
tests check that no other action ever lands on ``"*"``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as ddb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from crm_hygiene.settings import AlertsEnv
from infra import nag, names
from infra.components.specs import SPECS, FunctionSpec, environment_of
from infra.components.storage import Storage
from infra.config import LOG_RETENTION_DAYS, StackConfig
from infra.layer import ROOT
from infra.tables import TABLES

if TYPE_CHECKING:
    from infra.components.queues import Queues
    from infra.components.signals import Signals

FUNCTIONS_ROOT = ROOT / "functions"
CODE_EXCLUDES = ["**/__pycache__", "**/*.pyc", ".gitkeep", "**/.pytest_cache", "**/.mypy_cache"]
XRAY_REASON = (
    "X-Ray's PutTraceSegments and PutTelemetryRecords do not support resource-level permissions; "
    "AWS documents Resource '*' for them (active tracing)."
)
INDEX_REASON = "Queries go through this table's own GSIs, which this stack defines; index/* covers only them."


def log_retention(days: int) -> logs.RetentionDays:
    """CDK's enum for one of CloudWatch's retention periods (``StackConfig`` checked the value)."""
    finite = [member for member in logs.RetentionDays if member is not logs.RetentionDays.INFINITE]
    return dict(zip(LOG_RETENTION_DAYS, finite, strict=True))[days]


class HygieneFunction(Construct):
    """A crm-hygiene Lambda: Python 3.11 on arm64, the shared layer, X-Ray, JSON logs in its own group.

    The role starts empty (no AWS-managed policy): logging is granted on the function's own log
    group, everything else by the resource owners' ``grant_*``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: FunctionSpec,
        function_name: str,
        layer: lambda_.ILayerVersion,
        environment: dict[str, str],
        log_retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, construct_id)
        self.spec = spec
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{function_name}: least privilege, granted per resource",
        )
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"/aws/lambda/{function_name}",
            retention=log_retention,
            removal_policy=cdk.RemovalPolicy.DESTROY,  # operational logs; the audit trail lives elsewhere
        )
        self.log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Handler",
            function_name=function_name,
            description=spec.description,
            runtime=lambda_.Runtime.PYTHON_3_11,
            architecture=lambda_.Architecture.ARM_64,
            handler=spec.handler,
            code=lambda_.Code.from_asset(str(FUNCTIONS_ROOT / spec.folder), exclude=CODE_EXCLUDES),
            layers=[layer],
            role=self.role,
            timeout=cdk.Duration.seconds(spec.timeout_seconds),
            memory_size=spec.memory_mb,
            tracing=lambda_.Tracing.ACTIVE,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            log_group=self.log_group,
            environment=environment,
        )
        nag.wildcard_resource(self, "*", XRAY_REASON)
        nag.acknowledge(
            self,
            "L1",
            "Pinned to python3.11: the layer's compiled wheels (pydantic-core, numpy, rapidfuzz) are "
            "built for cp311 and pyproject targets 3.11; move runtime and layer together.",
        )

    @property
    def grantee(self) -> lambda_.Function:
        return self.function


class Functions(Construct):
    """The eight functions of docs/pipeline.md, their layer, triggers from SQS, and their data grants."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        layer_dir: Path,
        storage: Storage,
        signals: Signals,
        queues: Queues,
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self._storage = storage
        self._signals = signals
        self.layer = lambda_.LayerVersion(
            self,
            "SharedLayer",
            code=lambda_.Code.from_asset(str(layer_dir)),
            compatible_runtimes=[lambda_.Runtime.PYTHON_3_11],
            compatible_architectures=[lambda_.Architecture.ARM_64],
            description="crm_hygiene and its dependencies (make build-layer)",
        )
        self.providers = self._providers_parameter()
        values = self._environment_values(queues)
        self.all: dict[str, HygieneFunction] = {}
        for function_id, spec in SPECS.items():
            environment = environment_of(spec, values)
            self.all[function_id] = HygieneFunction(
                self,
                function_id,
                spec=spec,
                function_name=config.names.function(function_id),
                layer=self.layer,
                environment=environment,
                log_retention=log_retention(config.log_retention_days),
            )
        self._triggers(queues)
        self._grant_data(queues)

    def __getitem__(self, function_id: str) -> HygieneFunction:
        return self.all[function_id]

    def _environment_values(self, queues: Queues) -> dict[str, str]:
        """Every variable the stack can give a function; each function takes those its settings read."""
        config, storage = self._config, self._storage
        env = {
            names.ENV_CRM_KIND: config.crm_kind,
            names.ENV_WEBHOOK_SECRET_NAME: config.webhook_secret,
            names.ENV_SCAN_PARTITIONS: str(config.scan_partitions),
            names.ENV_AUDIT_BUCKET: storage.audit_bucket.bucket_name,
            # Built from the name, not a Ref: the merge workflow invokes two of these functions, so a
            # Ref would make a dependency cycle (function -> workflow -> function).
            names.ENV_MERGE_WORKFLOW_ARN: cdk.Stack.of(self).format_arn(
                service="states",
                resource="stateMachine",
                resource_name=config.names.state_machine(names.MERGE_WORKFLOW),
                arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
            ),
            # From the name too: the jobs workflow invokes the jobs function (same reason).
            names.ENV_JOBS_WORKFLOW_ARN: cdk.Stack.of(self).format_arn(
                service="states",
                resource="stateMachine",
                resource_name=config.names.state_machine(names.JOBS_WORKFLOW),
                arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
            ),
        }
        env |= {names.TABLE_ENV[table_id]: table.table_name for table_id, table in storage.tables.items()}
        env |= {names.QUEUE_ENV[queue_id]: queue.queue_url for queue_id, queue in queues.queues.items()}
        env |= {
            names.TOPIC_ENV[topic_id]: topic.topic_arn for topic_id, topic in self._signals.all_topics.items()
        }
        env |= config.crm_secrets
        if config.hubspot_app_id:
            env[names.ENV_HUBSPOT_APP_ID] = config.hubspot_app_id
        if config.standard_parameter:
            env[names.ENV_STANDARD_PARAMETER] = config.standard_parameter
        if storage.snapshot_bucket is not None:
            env[names.ENV_SNAPSHOT_BUCKET] = storage.snapshot_bucket.bucket_name
        if self.providers is not None:
            env[names.ENV_PROVIDERS_PARAMETER] = self.providers.parameter_name
        return env

    def _providers_parameter(self) -> ssm.StringParameter | None:
        """The providers file (validated when the config was read) as an SSM parameter of this stack."""
        text = self._config.providers_yaml()
        if text is None:
            return None
        return ssm.StringParameter(
            self,
            "ProvidersParameter",
            parameter_name=self._config.names.providers_parameter,
            string_value=text,
            description="providers.yaml of the enrich function (infra/config.py providers_file)",
            # Standard parameters hold 4 KB; a longer file needs the advanced tier (8 KB).
            tier=ssm.ParameterTier.ADVANCED if len(text.encode()) > 4096 else ssm.ParameterTier.STANDARD,
        )

    def _triggers(self, queues: Queues) -> None:
        batches = {
            names.ENTRY_SCAN_FN: (queues.scan_requests, 10, None),
            names.ENRICH_FN: (queues.enrich, 10, None),
            # More than 10 messages per batch needs a batching window (an SQS event source rule).
            names.APPLY_FN: (queues.apply, 25, cdk.Duration.seconds(1)),
        }
        for function_id, (queue, batch_size, window) in batches.items():
            self[function_id].function.add_event_source(
                sources.SqsEventSource(
                    queue, batch_size=batch_size, max_batching_window=window, report_batch_item_failures=True
                )
            )

    def _grant_data(self, queues: Queues) -> None:
        t = self._storage.table
        read, write = "read", "read_write"
        access: dict[str, dict[str, str]] = {
            names.SCAN_FN: {
                names.CRM_TABLE: read,
                names.CHANGE_QUEUE_TABLE: write,
                names.HEALTH_TABLE: write,
                names.MATCH_INDEX_TABLE: write,
                names.DECISION_MEMORY_TABLE: read,
            },
            names.ENTRY_SCAN_FN: {
                names.CRM_TABLE: read,
                names.CHANGE_QUEUE_TABLE: write,
                names.HEALTH_TABLE: write,
                names.MATCH_INDEX_TABLE: write,
                names.DECISION_MEMORY_TABLE: read,
                names.IDEMPOTENCY_TABLE: write,
            },
            names.WEBHOOK_FN: {names.IDEMPOTENCY_TABLE: write},
            names.ENRICH_FN: {
                names.CRM_TABLE: read,
                names.CHANGE_QUEUE_TABLE: write,
                names.HEALTH_TABLE: write,  # provider quality counters
                names.DECISION_MEMORY_TABLE: read,
                names.IDEMPOTENCY_TABLE: write,
            },
            names.APPLY_FN: {
                names.CRM_TABLE: write,
                names.CHANGE_QUEUE_TABLE: write,
                names.HEALTH_TABLE: write,
                names.DECISION_MEMORY_TABLE: read,
                names.IDEMPOTENCY_TABLE: write,
            },
            names.REVIEW_API_FN: {
                names.CRM_TABLE: write,
                names.CHANGE_QUEUE_TABLE: write,
                names.HEALTH_TABLE: write,  # review outcomes teach provider quality
                names.DECISION_MEMORY_TABLE: write,
                names.JOBS_TABLE: write,  # starts jobs, reports their progress
            },
            names.MERGE_REVIEW_FN: {names.CHANGE_QUEUE_TABLE: write},
            # a job's worker does what the review API would, item by item
            names.JOBS_FN: {
                names.CRM_TABLE: write,
                names.CHANGE_QUEUE_TABLE: write,
                names.HEALTH_TABLE: write,
                names.DECISION_MEMORY_TABLE: write,
                names.JOBS_TABLE: write,
            },
        }
        for function_id, tables in access.items():
            for table_id, mode in tables.items():
                self._grant_table(self[function_id], t(table_id), mode)
        audit_writers = (
            names.SCAN_FN,
            names.ENTRY_SCAN_FN,
            names.ENRICH_FN,
            names.APPLY_FN,
            names.REVIEW_API_FN,
            names.MERGE_REVIEW_FN,
            names.JOBS_FN,
        )
        for function_id in audit_writers:
            self._storage.grant_audit_append(self[function_id])
        self._grant_sends(queues)
        self._grant_publish()
        self._grant_secrets()

    def _grant_table(self, fn: HygieneFunction, table: ddb.Table, mode: str) -> None:
        if mode == "read":
            table.grant_read_data(fn.grantee)
        else:
            table.grant_read_write_data(fn.grantee)
        if _has_indexes(table):
            nag.wildcard_resource(fn, f"{nag.ref(table)}/index/*", INDEX_REASON)

    def _grant_sends(self, queues: Queues) -> None:
        sends: dict[str, tuple[sqs.Queue, ...]] = {
            names.SCAN_FN: (queues.apply, queues.enrich),
            names.ENTRY_SCAN_FN: (queues.apply, queues.enrich),
            names.WEBHOOK_FN: (queues.scan_requests,),
            names.ENRICH_FN: (queues.apply,),
            names.REVIEW_API_FN: (queues.apply,),
            names.JOBS_FN: (queues.apply,),
        }
        for function_id, targets in sends.items():
            for queue in targets:
                queue.grant_send_messages(self[function_id].grantee)
        if self._storage.snapshot_bucket is not None:
            self._storage.grant_snapshot_write(self[names.SCAN_FN])

    def _grant_publish(self) -> None:
        publishers = {
            # Finalize publishes provider quality after every run
            names.SCAN_FN: ("HealthTopic", "MeasurementTopic", "RelationshipTopic", "ProviderQualityTopic"),
            names.ENTRY_SCAN_FN: ("HealthTopic",),
            names.ENRICH_FN: ("RelationshipTopic",),  # job changes found while enriching
            names.APPLY_FN: ("HealthTopic", "MeasurementTopic", "RelationshipTopic"),
            names.REVIEW_API_FN: ("ProviderQualityTopic", "MeasurementTopic"),
        }
        for function_id, topic_ids in publishers.items():
            for topic_id in topic_ids:
                self._signals.grant_publish(self[function_id], topic_id)
        # Every function whose settings read the alerts topic raises alerts on it (``AlertSink``).
        for function_id, spec in SPECS.items():
            if issubclass(spec.settings, AlertsEnv):
                self._signals.grant_publish(self[function_id], names.ALERTS_TOPIC)

    def _grant_secrets(self) -> None:
        config = self._config
        webhook_secret = secretsmanager.Secret.from_secret_name_v2(
            self, "WebhookSecret", config.webhook_secret
        )
        webhook_secret.grant_read(self[names.WEBHOOK_FN].grantee)
        crm_readers = (
            names.SCAN_FN,
            names.ENTRY_SCAN_FN,
            names.ENRICH_FN,
            names.APPLY_FN,
            names.REVIEW_API_FN,
            names.JOBS_FN,
        )
        for variable, secret_name in config.crm_secrets.items():
            token = secretsmanager.Secret.from_secret_name_v2(self, f"CrmSecret{variable}", secret_name)
            for function_id in crm_readers:
                token.grant_read(self[function_id].grantee)
        if config.standard_parameter:
            standard = ssm.StringParameter.from_string_parameter_name(
                self, "StandardParameter", config.standard_parameter
            )
            for function_id in crm_readers:
                standard.grant_read(self[function_id].grantee)
        if self.providers is not None:
            self.providers.grant_read(self[names.ENRICH_FN].grantee)


def _has_indexes(table: ddb.Table) -> bool:
    return any(table.node.id == table_id and spec.indexes for table_id, spec in TABLES.items())
