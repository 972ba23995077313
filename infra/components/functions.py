"""The Lambda functions: one ``HygieneFunction`` construct for all of them, and who may touch what.

Every permission is a grant on the resource of exactly the actions the function's code calls
(``infra/components/access.py``; never CDK's ``grant_read_write_data``, which adds DeleteItem and
BatchWriteItem nobody calls). The only ``"*"`` resources are the ones AWS requires
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
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from crm_hygiene.settings import (
    AlertsEnv,
    AuditDigestEnv,
    AuditVerifySettings,
    CrmEnv,
    EnvModel,
    ProvidersEnv,
    StandardEnv,
)
from infra import nag, names
from infra.components.access import (
    ACCESS,
    GET_PARAMETER,
    GET_SECRET_VALUE,
    QUEUE_ATTRIBUTES,
    SEND_MESSAGE,
    Access,
)
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
            names.ENV_AUDIT_KEY_SECRET_NAME: config.names.audit_key_secret,
            names.ENV_AUDIT_DIGEST_KEY_ID: storage.digest_key.key_arn,
            names.ENV_AUDIT_DIGEST_MAX_AGE_SECONDS: str(config.audit_digest_max_age_seconds),
            # Built from the name, not a Ref: the merge workflow invokes two of these functions, so a
            # Ref would make a dependency cycle (function -> workflow -> function).
            names.ENV_MERGE_WORKFLOW_ARN: cdk.Stack.of(self).format_arn(
                service="states",
                resource="stateMachine",
                resource_name=config.names.state_machine(names.MERGE_WORKFLOW),
                arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
            ),
            # The review API starts scans on demand: from the name too, as the workflows above.
            names.ENV_SCAN_WORKFLOW_ARN: cdk.Stack.of(self).format_arn(
                service="states",
                resource="stateMachine",
                resource_name=config.names.state_machine(names.SCAN_WORKFLOW),
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
        env[names.ENV_DEAD_LETTER_QUEUE_URLS] = " ".join(dlq.queue_url for dlq in queues.dlqs.values())
        if config.standard_parameter:
            env[names.ENV_STANDARD_PARAMETER] = config.standard_parameter
        if config.audit_allow_legacy:
            env[names.ENV_AUDIT_ALLOW_LEGACY] = "true"
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
        """Exactly the actions of ``ACCESS`` (infra/components/access.py): what each function's code calls."""
        for function_id, access in ACCESS.items():
            self._grant_access(self[function_id], access, queues)
        # The verifier reads the trail (Query, Scan) and signs digests; the review API reads digests.
        for function_id, spec in SPECS.items():
            if spec.settings is AuditVerifySettings:
                self._storage.grant_audit_verify(self[function_id])
            elif issubclass(spec.settings, AuditDigestEnv):
                self._storage.grant_digest_read(self[function_id])
        # Every function whose settings read the alerts topic raises alerts on it (``AlertSink``).
        for function_id, spec in SPECS.items():
            if issubclass(spec.settings, AlertsEnv):
                self._signals.grant_publish(self[function_id], names.ALERTS_TOPIC)
        self._grant_secrets()

    def _grant_access(self, fn: HygieneFunction, access: Access, queues: Queues) -> None:
        for table_id, actions in access.tables.items():
            table = self._storage.table(table_id)
            table.grant(fn.grantee, *actions)
            if _has_indexes(table):
                nag.wildcard_resource(fn, f"{nag.ref(table)}/index/*", INDEX_REASON)
        if access.audit:
            self._storage.grant_audit_append(fn)
        for queue_id in access.sends:
            queues.queues[queue_id].grant(fn.grantee, SEND_MESSAGE)
        if access.dead_letter_depth:
            for dlq in queues.dlqs.values():
                dlq.grant(fn.grantee, QUEUE_ATTRIBUTES)
        if access.snapshot:
            self._storage.grant_snapshot_write(fn)
        for topic_id in access.publishes:
            self._signals.grant_publish(fn, topic_id)

    def _grant_secrets(self) -> None:
        """Secrets and parameters follow the settings: a function reads the ones its model names, with
        the one call it makes (powertools' ``get_secret`` / ``get_parameter``), not CDK's
        ``grant_read`` (which adds DescribeSecret, GetParameters, GetParameterHistory, ...)."""
        config = self._config
        webhook_secret = secretsmanager.Secret.from_secret_name_v2(
            self, "WebhookSecret", config.webhook_secret
        )
        _grant_secret_value(webhook_secret, self[names.WEBHOOK_FN])
        crm_readers = [f for f, spec in SPECS.items() if issubclass(spec.settings, CrmEnv)]
        for variable, secret_name in config.crm_secrets.items():
            token = secretsmanager.Secret.from_secret_name_v2(self, f"CrmSecret{variable}", secret_name)
            for function_id in crm_readers:
                _grant_secret_value(token, self[function_id])
        parameters: list[tuple[ssm.IStringParameter, type[EnvModel]]] = []
        if config.standard_parameter:
            standard = ssm.StringParameter.from_string_parameter_name(
                self, "StandardParameter", config.standard_parameter
            )
            parameters.append((standard, StandardEnv))
        if self.providers is not None:
            parameters.append((self.providers, ProvidersEnv))
        for parameter, reader in parameters:
            for function_id, spec in SPECS.items():
                if issubclass(spec.settings, reader):
                    iam.Grant.add_to_principal(
                        grantee=self[function_id].grantee,
                        actions=[GET_PARAMETER],
                        resource_arns=[parameter.parameter_arn],
                    )


def _grant_secret_value(secret: secretsmanager.ISecret, fn: HygieneFunction) -> None:
    # A secret imported by name has a partial ARN: the real one ends in "-" and six random characters.
    iam.Grant.add_to_principal(
        grantee=fn.grantee, actions=[GET_SECRET_VALUE], resource_arns=[f"{secret.secret_arn}-??????"]
    )


def _has_indexes(table: ddb.Table) -> bool:
    return any(table.node.id == table_id and spec.indexes for table_id, spec in TABLES.items())
