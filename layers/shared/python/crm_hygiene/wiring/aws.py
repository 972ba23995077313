"""The composition root of the Lambda functions: real adapters built from settings, once per container.

``aws_deps(SettingsType)`` is the one cached factory the handlers share (STYLE point 19): keyed by
the function's settings model, so functions that share a process (the local stack) never share a
container's adapters, and a test's injected deps never pass through it. Clients are created on
first use, not at import time, so a handler module imports fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from typing_extensions import TypeVar as DefaultedTypeVar

from crm_hygiene.adapters.aws.alerts import SnsAlertSink
from crm_hygiene.adapters.aws.audit_log import DynamoAuditLog
from crm_hygiene.adapters.aws.change_queue import DynamoChangeQueue
from crm_hygiene.adapters.aws.decision_memory import DynamoDecisionMemory
from crm_hygiene.adapters.aws.health_store import DynamoHealthStore
from crm_hygiene.adapters.aws.idempotency import DynamoIdempotencyStore
from crm_hygiene.adapters.aws.signal_bus import SnsSignalBus
from crm_hygiene.adapters.aws.work_queue import SqsWorkQueue
from crm_hygiene.adapters.aws.workflow import StepFunctionsWorkflow
from crm_hygiene.audit.keys import Keyring
from crm_hygiene.errors import HygieneError, StandardError
from crm_hygiene.ports import CrmStore, MatchIndexStore
from crm_hygiene.services.review.core import ReviewDeps
from crm_hygiene.services.review.jobs import JobDeps
from crm_hygiene.services.scan.batch import PipelineDeps
from crm_hygiene.settings import (
    AlertsEnv,
    ApplyQueueEnv,
    AuditDigestEnv,
    AuditEnv,
    ChangeQueueEnv,
    CrmKindEnv,
    DeadLettersEnv,
    DecisionMemoryEnv,
    EnrichQueueEnv,
    EnrichSettings,
    EnvModel,
    HealthEnv,
    IdempotencyEnv,
    JobsEnv,
    JobsSettings,
    JobsWorkflowEnv,
    MatchIndexEnv,
    MeasurementEnv,
    MergeWorkflowEnv,
    PipelineSettings,
    ProvidersEnv,
    ReviewApiSettings,
    ScanPlanEnv,
    ScanRequestsQueueEnv,
    ScanWorkflowEnv,
    SignalsEnv,
    StandardEnv,
    WebhookEnv,
    clear_settings,
    load_settings,
    variables,
)
from crm_hygiene.standard.loader import default_standard, parse_standard
from crm_hygiene.standard.model import DataStandard
from crm_hygiene.wiring.crm import crm_store, webhook_receiver

if TYPE_CHECKING:
    from crm_hygiene.adapters.aws.failures import AwsFailureFigures
    from crm_hygiene.adapters.aws.job_runner import StepFunctionsJobRunner
    from crm_hygiene.adapters.aws.job_store import DynamoJobStore
    from crm_hygiene.adapters.aws.manifest import S3PartitionManifest
    from crm_hygiene.adapters.aws.quality_store import DynamoQualityStore
    from crm_hygiene.adapters.aws.scan_runner import StepFunctionsScanRunner
    from crm_hygiene.enrich.config import ProvidersConfig
    from crm_hygiene.services.audit.core import IntegrityDeps
    from crm_hygiene.services.dedup.entry import IndexCache
    from crm_hygiene.services.enrich.pipeline import EnrichDeps
    from crm_hygiene.webhooks.receiver import WebhookReceiver

# Bare ``AwsDeps`` is the whole stack's (tools, tests); a function's is ``AwsDeps[ItsSettings]``.
Settings = DefaultedTypeVar("Settings", bound=EnvModel, covariant=True, default=PipelineSettings)
Mixin = TypeVar("Mixin", bound=EnvModel)
Wanted = TypeVar("Wanted", bound=EnvModel)


@dataclass
class AwsDeps(Generic[Settings]):
    """Adapters for one function container, built lazily from ``settings``.

    An adapter whose variables the function's settings do not read raises ``HygieneError`` naming
    them: the function was not configured (nor granted) for that resource.
    """

    settings: Settings

    def _env(self, mixin: type[Mixin]) -> Mixin:
        if not isinstance(self.settings, mixin):
            wanted = ", ".join(variables(mixin))
            raise HygieneError(f"{type(self.settings).__name__} does not read {wanted}")
        return self.settings

    def _client(self, name: str) -> Any:
        import boto3

        return boto3.client(name)  # type: ignore[call-overload]

    @cached_property
    def dynamodb(self) -> Any:
        import boto3

        return boto3.resource("dynamodb")

    @cached_property
    def queue(self) -> DynamoChangeQueue:
        return DynamoChangeQueue(self.dynamodb.Table(self._env(ChangeQueueEnv).change_queue_table))

    @cached_property
    def audit_key(self) -> Keyring:
        """The audit MAC keyring from its secret (read once per container; a rotation reaches a
        container when it is recycled, and entries name their key, so both keys verify meanwhile)."""
        from crm_hygiene.adapters.aws.audit_integrity import secret_keyring
        from crm_hygiene.adapters.secrets import AwsSecretStore

        return secret_keyring(AwsSecretStore(max_age=300), self._env(AuditEnv).audit_key_secret_name)

    @cached_property
    def audit(self) -> DynamoAuditLog:
        env = self._env(AuditEnv)
        table = self.dynamodb.Table(env.audit_table)
        return DynamoAuditLog(table, self._client("s3"), env.audit_bucket, key=self.audit_key)

    def integrity(self) -> IntegrityDeps:
        """What audit verification reads (the scheduled verifier, the review API)."""
        from datetime import timedelta

        from crm_hygiene.adapters.aws.audit_integrity import KmsDigestSigner, S3DigestStore
        from crm_hygiene.services.audit.core import IntegrityDeps

        audit, digest = self._env(AuditEnv), self._env(AuditDigestEnv)
        alerts = self.alerts if isinstance(self.settings, AlertsEnv) else None
        return IntegrityDeps(
            audit=self.audit,
            key=self.audit_key,
            digests=S3DigestStore(self._client("s3"), audit.audit_bucket),
            signer=KmsDigestSigner(self._client("kms"), digest.audit_digest_key_id),
            alerts=alerts,
            allow_legacy=digest.audit_allow_legacy,
            max_digest_age=timedelta(seconds=digest.audit_digest_max_age_seconds),
        )

    @cached_property
    def memory(self) -> DynamoDecisionMemory:
        return DynamoDecisionMemory(self.dynamodb.Table(self._env(DecisionMemoryEnv).decision_memory_table))

    @cached_property
    def health(self) -> DynamoHealthStore:
        return DynamoHealthStore(self.dynamodb.Table(self._env(HealthEnv).health_table))

    @cached_property
    def quality(self) -> DynamoQualityStore:
        from crm_hygiene.adapters.aws.quality_store import DynamoQualityStore

        return DynamoQualityStore(self.dynamodb.Table(self._env(HealthEnv).health_table), self.memory)

    @cached_property
    def sqs(self) -> Any:
        return self._client("sqs")

    @cached_property
    def apply_queue(self) -> SqsWorkQueue:
        return SqsWorkQueue(self.sqs, self._env(ApplyQueueEnv).apply_queue_url)

    @cached_property
    def enrich_queue(self) -> SqsWorkQueue:
        return SqsWorkQueue(self.sqs, self._env(EnrichQueueEnv).enrich_queue_url)

    @cached_property
    def scan_requests(self) -> SqsWorkQueue:
        return SqsWorkQueue(self.sqs, self._env(ScanRequestsQueueEnv).scan_requests_queue_url)

    @cached_property
    def signals(self) -> SnsSignalBus:
        s = self._env(SignalsEnv)
        return SnsSignalBus(
            self._client("sns"),
            {
                "hygiene_health_score": s.topic_health_arn,
                "relationship_graph_signal": s.topic_relationship_arn,
                "data_provider_quality_signal": s.topic_provider_quality_arn,
                "measurement": s.topic_measurement_arn,
            },
        )

    @cached_property
    def measurement(self) -> SnsSignalBus:
        """A signal bus for measurement events alone (functions that send no other signal)."""
        return SnsSignalBus(
            self._client("sns"), {"measurement": self._env(MeasurementEnv).topic_measurement_arn}
        )

    @cached_property
    def failures(self) -> AwsFailureFigures:
        """Dead letters and failed merge workflows, for the console's figures."""
        from crm_hygiene.adapters.aws.failures import AwsFailureFigures

        return AwsFailureFigures(
            self.sqs,
            self._env(DeadLettersEnv).dead_letter_queues,
            self._client("stepfunctions"),
            self._env(MergeWorkflowEnv).merge_workflow_arn,
        )

    @cached_property
    def alerts(self) -> SnsAlertSink:
        return SnsAlertSink(self._client("sns"), self._env(AlertsEnv).topic_alerts_arn)

    @cached_property
    def workflow(self) -> StepFunctionsWorkflow:
        return StepFunctionsWorkflow(
            self._client("stepfunctions"), self._env(MergeWorkflowEnv).merge_workflow_arn
        )

    @cached_property
    def crm(self) -> CrmStore:
        """The configured CRM's store, built by its entry in the CRM registry (``wiring/crm.py``)."""
        return crm_store(self, self._env(CrmKindEnv).crm_kind)

    @cached_property
    def match_index(self) -> MatchIndexStore:
        """The match indexes (snapshot, keys, projections) in the match index table; the adapter
        module imports numpy, so it is imported here, on first use."""
        from crm_hygiene.adapters.aws.match_index import DynamoMatchIndexStore

        return DynamoMatchIndexStore(self.dynamodb.Table(self._env(MatchIndexEnv).match_index_table))

    @cached_property
    def idempotency(self) -> DynamoIdempotencyStore:
        return DynamoIdempotencyStore(self.dynamodb.Table(self._env(IdempotencyEnv).idempotency_table))

    @cached_property
    def webhook_secret(self) -> str:
        """The CRM app's webhook signing secret (Secrets Manager, cached by powertools)."""
        from crm_hygiene.adapters.secrets import AwsSecretStore

        name = self._env(WebhookEnv).webhook_secret_name
        if not name:
            raise StandardError(
                "settings", [("WEBHOOK_SECRET_NAME", None, "required by the webhook function")]
            )
        return AwsSecretStore(max_age=300).get(name)

    @cached_property
    def standard(self) -> tuple[DataStandard, bool]:
        """The standard from the SSM parameter (if configured) and whether it is valid."""
        name = self._env(StandardEnv).standard_parameter
        if not name:
            return default_standard(), True
        from aws_lambda_powertools.utilities import parameters

        try:
            return parse_standard(str(parameters.get_parameter(name, max_age=300)), name), True
        except StandardError:
            return default_standard(), False  # report only: an invalid standard never applies anything

    def pipeline(self) -> PipelineDeps:
        standard, valid = self.standard
        return PipelineDeps(
            crm=self.crm,
            queue=self.queue,
            apply_queue=self.apply_queue,
            enrich_queue=self.enrich_queue,
            health=self.health,
            signals=self.signals,
            memory=self.memory,
            standard=standard,
            standard_valid=valid,
            workflow=self.workflow,
            match_index=self.match_index,
            quality=self.quality,
        )

    def review(self) -> ReviewDeps:
        from crm_hygiene.services.merge.unmerge import Unmerger

        standard, _ = self.standard  # edits are checked against the deployment's standard (or the default)
        return ReviewDeps(
            queue=self.queue,
            audit=self.audit,
            memory=self.memory,
            apply_queue=self.apply_queue,
            workflow=self.workflow,
            crm=self.crm,
            health=self.health,
            quality=self.quality,
            alerts=self.alerts,
            # figures and failures where the settings read them (the review API; a job's worker does not)
            signals=self.measurement if isinstance(self.settings, MeasurementEnv) else None,
            failures=self.failures if isinstance(self.settings, DeadLettersEnv) else None,
            standard=standard,
            integrity=self.integrity() if isinstance(self.settings, AuditDigestEnv) else None,
            scans=self.scan_runner if isinstance(self.settings, ScanWorkflowEnv) else None,
            unmerge=Unmerger(queue=self.queue, crm=self.crm, audit=self.audit),
        )

    @cached_property
    def job_store(self) -> DynamoJobStore:
        from crm_hygiene.adapters.aws.job_store import DynamoJobStore

        return DynamoJobStore(self.dynamodb.Table(self._env(JobsEnv).jobs_table))

    @cached_property
    def job_runner(self) -> StepFunctionsJobRunner:
        from crm_hygiene.adapters.aws.job_runner import StepFunctionsJobRunner

        return StepFunctionsJobRunner(
            self._client("stepfunctions"), self._env(JobsWorkflowEnv).jobs_workflow_arn
        )

    @cached_property
    def scan_runner(self) -> StepFunctionsScanRunner:
        from crm_hygiene.adapters.aws.scan_runner import StepFunctionsScanRunner

        return StepFunctionsScanRunner(
            self._client("stepfunctions"), self._env(ScanWorkflowEnv).scan_workflow_arn
        )

    def jobs(self) -> JobDeps:
        """Background jobs: the review use case's ports, the jobs table, and (where the settings name
        the jobs state machine: the review API) the runner that starts a job's worker."""
        runner = self.job_runner if isinstance(self.settings, JobsWorkflowEnv) else None
        return JobDeps(review=self.review(), jobs=self.job_store, runner=runner)

    @cached_property
    def scan_partitions(self) -> int:
        return self._env(ScanPlanEnv).scan_partitions

    @cached_property
    def manifest(self) -> S3PartitionManifest | None:
        """Where Plan writes the partitions for the Distributed Map (None: the inline Map)."""
        bucket = self._env(ScanPlanEnv).snapshot_bucket
        if not bucket:
            return None
        from crm_hygiene.adapters.aws.manifest import S3PartitionManifest

        return S3PartitionManifest(self._client("s3"), bucket)

    @cached_property
    def index_cache(self) -> IndexCache:
        """This container's match indexes (entry scans): one per deps, so a test's never leaks."""
        from crm_hygiene.services.dedup.entry import IndexCache  # numpy and rapidfuzz: only when used

        return IndexCache()

    @cached_property
    def _receivers(self) -> dict[str, WebhookReceiver]:
        return {}

    def webhook_receiver(self, requested: str) -> WebhookReceiver:
        """The receiver behind ``POST /webhooks/{requested}``, built once per deps (registry:
        ``NotFound`` when ``requested`` is not this deployment's CRM or it sends no webhooks)."""
        if requested not in self._receivers:
            kind = self._env(CrmKindEnv).crm_kind
            self._receivers[requested] = webhook_receiver(self, kind, requested)
        return self._receivers[requested]

    @cached_property
    def providers(self) -> ProvidersConfig:
        """The providers file from the SSM parameter (if configured), read once per container.

        Raises:
            InputError: the file is invalid, or names providers that cannot run in Lambda (local
                files, environment-variable secrets); the message says which and why.
        """
        from crm_hygiene.enrich.config import ProvidersConfig, parse_providers

        name = self._env(ProvidersEnv).providers_parameter
        if not name:
            return ProvidersConfig()
        from aws_lambda_powertools.utilities import parameters

        config = parse_providers(str(parameters.get_parameter(name)), name)
        config.check_deployable(name)
        return config

    def enrich(self) -> EnrichDeps:
        """The enrich function's deps; the CRM directory is read here, once."""
        from crm_hygiene.adapters.enrich_http import HttpProvider
        from crm_hygiene.adapters.secrets import AwsSecretStore
        from crm_hygiene.services.enrich.pipeline import EnrichDeps, crm_directory

        standard, valid = self.standard
        return EnrichDeps(
            crm=self.crm,
            queue=self.queue,
            apply_queue=self.apply_queue,
            signals=self.signals,
            standard=standard,
            standard_valid=valid,
            config=self.providers,
            directory=crm_directory(self.crm),
            quality=self.quality,
            secrets={"aws": AwsSecretStore()},
            http=HttpProvider,
        )


@cache
def _deps(settings_type: type[EnvModel]) -> AwsDeps[EnvModel]:
    return AwsDeps(load_settings(settings_type))


def aws_deps(settings_type: type[Wanted]) -> AwsDeps[Wanted]:
    """The adapters of the function whose settings are ``settings_type``, built once per container.

    Handlers call it only when no deps were passed in: a test's injected deps never reach this cache.
    """
    return cast(AwsDeps[Wanted], _deps(settings_type))


@lru_cache(maxsize=1)
def enrich_deps() -> EnrichDeps:
    """The enrich function's deps, once per container (the CRM directory is read once)."""
    return aws_deps(EnrichSettings).enrich()


@lru_cache(maxsize=1)
def review_deps() -> ReviewDeps:
    return aws_deps(ReviewApiSettings).review()


@lru_cache(maxsize=1)
def job_deps() -> JobDeps:
    """The review API's jobs (it starts them and reports them), sharing its review deps."""
    deps = aws_deps(ReviewApiSettings)
    return JobDeps(review=review_deps(), jobs=deps.job_store, runner=deps.job_runner)


@lru_cache(maxsize=1)
def job_worker_deps() -> JobDeps:
    """The jobs function's deps: a worker starts no jobs."""
    return aws_deps(JobsSettings).jobs()


def clear_deps() -> None:
    """Forgets every cached settings and deps object (tests that change the environment)."""
    for factory in (_deps, enrich_deps, review_deps, job_deps, job_worker_deps):
        factory.cache_clear()
    clear_settings()


AUDIT_OUTPUTS = {
    "table": "AuditTableName",
    "bucket": "AuditBucketName",
    "key_secret": "AuditKeySecretName",
    "digest_key": "AuditDigestKeyArn",
}
"""The stack outputs that name the audit resources (``infra/stack.py``)."""


OUTPUT_API_URL = "ReviewApiUrl"
"""The stack output naming the review API's URL (``infra/names.py``)."""


def review_api_of_stack(stack_name: str) -> tuple[str, str]:
    """(the review API's URL, the stack's region) from a deployed stack's outputs (``ReviewApiUrl``)."""
    import boto3

    from crm_hygiene.errors import InputError

    client = boto3.client("cloudformation")
    stacks = client.describe_stacks(StackName=stack_name)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    if OUTPUT_API_URL not in outputs:
        raise InputError(f"stack {stack_name} has no {OUTPUT_API_URL} output: is it a crm-hygiene stack?")
    return outputs[OUTPUT_API_URL], client.meta.region_name


def audit_resources_of_stack(stack_name: str) -> dict[str, str]:
    """The audit resources a deployed (or local) stack names in its outputs."""
    import boto3

    stacks = boto3.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    return {name: outputs[key] for name, key in AUDIT_OUTPUTS.items() if key in outputs}


def audit_integrity(
    *, table: str, bucket: str, key_secret: str, digest_key: str, allow_legacy: bool, max_digest_age: int
) -> IntegrityDeps:
    """What ``crm-hygiene audit verify`` reads, from the resources' names (the caller's credentials)."""
    from datetime import timedelta

    import boto3

    from crm_hygiene.adapters.aws.audit_integrity import KmsDigestSigner, S3DigestStore, secret_keyring
    from crm_hygiene.adapters.secrets import AwsSecretStore
    from crm_hygiene.services.audit.core import IntegrityDeps

    s3 = boto3.client("s3")
    secrets = AwsSecretStore(max_age=0, client=boto3.client("secretsmanager"))
    return IntegrityDeps(
        audit=DynamoAuditLog(boto3.resource("dynamodb").Table(table), s3, bucket),
        key=secret_keyring(secrets, key_secret),
        digests=S3DigestStore(s3, bucket),
        signer=KmsDigestSigner(boto3.client("kms"), digest_key),
        allow_legacy=allow_legacy,
        max_digest_age=timedelta(seconds=max_digest_age),
    )


def scan_workflow_of_stack(stack_name: str) -> str:
    """The scan workflow's ARN a deployed (or local) stack names in its outputs."""
    import boto3

    from crm_hygiene.errors import InputError

    stacks = boto3.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    if SCAN_WORKFLOW_OUTPUT not in outputs:
        raise InputError(f"stack {stack_name} has no {SCAN_WORKFLOW_OUTPUT} output")
    return outputs[SCAN_WORKFLOW_OUTPUT]


SCAN_WORKFLOW_OUTPUT = "ScanWorkflowArn"
"""The stack output that names the scan workflow (``infra/stack.py``)."""


def scan_runner(scan_workflow_arn: str) -> StepFunctionsScanRunner:
    """Scans on demand with the caller's credentials (``crm-hygiene scan-now``)."""
    import boto3

    from crm_hygiene.adapters.aws.scan_runner import StepFunctionsScanRunner

    return StepFunctionsScanRunner(boto3.client("stepfunctions"), scan_workflow_arn)


def caller_identity() -> str:
    """Who the caller's credentials are (their ARN): who asked, in a scan's input."""
    import boto3

    return str(boto3.client("sts").get_caller_identity()["Arn"])
