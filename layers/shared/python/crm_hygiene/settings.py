"""Typed settings of the Lambda functions, validated once per function from the environment.

Each function has its own settings model, composed from one mixin per resource it uses (STYLE
points 6 and 19), so a function validates only what it reads: one function's missing variable can
never break another, even when several run in one process (the local stack does). The infra reads
the same models to set, per function, exactly these variables (``infra/components/functions.py``);
``tests/infra/test_env_contract.py`` checks the synthesized template against them.

No resource name has a default: a function deployed without its configuration fails at its first
invocation with a message naming the missing variables, never by writing to a wrong table.
"""

from __future__ import annotations

import os
from functools import cache
from typing import TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crm_hygiene.errors import HygieneError
from crm_hygiene.models.crm import CrmKind


class EnvModel(BaseModel):
    """Base of every environment model: variables by their names, the rest of the environment ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


class ChangeQueueEnv(EnvModel):
    change_queue_table: str = Field(alias="CHANGE_QUEUE_TABLE", min_length=1)


class AuditEnv(EnvModel):
    """The audit log: its table, the archive bucket, and the secret holding the MAC keyring."""

    audit_table: str = Field(alias="AUDIT_TABLE", min_length=1)
    audit_bucket: str = Field(alias="AUDIT_BUCKET", min_length=1)
    audit_key_secret_name: str = Field(alias="AUDIT_KEY_SECRET_NAME", min_length=1)


class AuditDigestEnv(EnvModel):
    """Verifying the audit: the KMS key that signs digests, whether unkeyed entries of before audit
    keys are accepted (a stack upgraded from version 1), and when the newest digest is overdue."""

    audit_digest_key_id: str = Field(alias="AUDIT_DIGEST_KEY_ID", min_length=1)
    audit_allow_legacy: bool = Field(default=False, alias="AUDIT_ALLOW_LEGACY")
    audit_digest_max_age_seconds: int = Field(default=2 * 86_400, alias="AUDIT_DIGEST_MAX_AGE_SECONDS", ge=60)


class DecisionMemoryEnv(EnvModel):
    decision_memory_table: str = Field(alias="DECISION_MEMORY_TABLE", min_length=1)


class HealthEnv(EnvModel):
    """The health table; it also holds provider quality, which reads decision memory."""

    health_table: str = Field(alias="HEALTH_TABLE", min_length=1)


class MatchIndexEnv(EnvModel):
    match_index_table: str = Field(alias="MATCH_INDEX_TABLE", min_length=1)


class IdempotencyEnv(EnvModel):
    idempotency_table: str = Field(alias="IDEMPOTENCY_TABLE", min_length=1)


class CrmKindEnv(EnvModel):
    """Which CRM this deployment talks to (its entry in the CRM registry, ``wiring/crm.py``)."""

    crm_kind: CrmKind = Field(default="internal", alias="CRM_KIND")


class CrmEnv(CrmKindEnv):
    """The CRM's store: the internal table, or HubSpot with its token in Secrets Manager."""

    crm_table: str = Field(alias="CRM_TABLE", min_length=1)
    hubspot_token_secret_name: str | None = Field(default=None, alias="HUBSPOT_TOKEN_SECRET_NAME")
    # Never set by the stack: tests and the local stack point it at the fake HubSpot.
    hubspot_base_url: str = Field(default="https://api.hubapi.com", alias="HUBSPOT_BASE_URL")


class ApplyQueueEnv(EnvModel):
    apply_queue_url: str = Field(alias="APPLY_QUEUE_URL", min_length=1)


class EnrichQueueEnv(EnvModel):
    enrich_queue_url: str = Field(alias="ENRICH_QUEUE_URL", min_length=1)


class ScanRequestsQueueEnv(EnvModel):
    scan_requests_queue_url: str = Field(alias="SCAN_REQUESTS_QUEUE_URL", min_length=1)


class MergeWorkflowEnv(EnvModel):
    merge_workflow_arn: str = Field(alias="MERGE_WORKFLOW_ARN", min_length=1)


class ScanWorkflowEnv(EnvModel):
    """The scan state machine, which the review API starts on demand (``POST /scans``)."""

    scan_workflow_arn: str = Field(alias="SCAN_WORKFLOW_ARN", min_length=1)


class ConsoleAuthEnv(EnvModel):
    """How the console signs in with ``cognito`` on: the hosted UI's base URL, the console's app client
    and the URL Cognito sends the reviewer back to (the API's stage URL unless configured). Absent:
    the console needs no sign-in (locally), or cannot call the API from a browser (IAM)."""

    cognito_domain_url: str | None = Field(default=None, alias="COGNITO_DOMAIN_URL")
    cognito_client_id: str | None = Field(default=None, alias="COGNITO_CLIENT_ID")
    console_redirect_url: str | None = Field(default=None, alias="CONSOLE_REDIRECT_URL")


class MeasurementEnv(EnvModel):
    """The measurement topic alone (the review API sends the figures of each decision batch)."""

    topic_measurement_arn: str = Field(alias="TOPIC_MEASUREMENT_ARN", min_length=1)


class JobsEnv(EnvModel):
    """The jobs table: background jobs (a run's rollback, large bulk decisions), their plans and results."""

    jobs_table: str = Field(alias="JOBS_TABLE", min_length=1)


class JobsWorkflowEnv(EnvModel):
    """The jobs state machine, which runs a job's worker (started by the review API)."""

    jobs_workflow_arn: str = Field(alias="JOBS_WORKFLOW_ARN", min_length=1)


class SignalsEnv(MeasurementEnv):
    """The four signal topics (one ``SignalBus`` publishes to whichever a signal belongs to)."""

    topic_health_arn: str = Field(alias="TOPIC_HEALTH_ARN", min_length=1)
    topic_relationship_arn: str = Field(alias="TOPIC_RELATIONSHIP_ARN", min_length=1)
    topic_provider_quality_arn: str = Field(alias="TOPIC_PROVIDER_QUALITY_ARN", min_length=1)


class DeadLettersEnv(EnvModel):
    """The dead-letter queues whose depth the console shows (space-separated queue URLs)."""

    dead_letter_queue_urls: str = Field(default="", alias="DEAD_LETTER_QUEUE_URLS")

    @property
    def dead_letter_queues(self) -> dict[str, str]:
        """Queue name (the URL's last segment) -> URL."""
        return {url.rstrip("/").rsplit("/", 1)[-1]: url for url in self.dead_letter_queue_urls.split()}


class AlertsEnv(EnvModel):
    """The alerts topic (``AlertSink``): failures an operator must see, ids only."""

    topic_alerts_arn: str = Field(alias="TOPIC_ALERTS_ARN", min_length=1)


class StandardEnv(EnvModel):
    """The standard's SSM parameter, when one is configured (absent: the shipped standard)."""

    standard_parameter: str | None = Field(default=None, alias="STANDARD_PARAMETER")


class WebhookEnv(EnvModel):
    """The webhook signing secret's name (required by the webhook function's own settings), and the
    HubSpot app's id: changes that app made (our own writes) come back as webhooks with the app's id
    as their ``sourceId``, and are ignored instead of scanned again (the CRM registry requires it
    where HubSpot sends the webhooks)."""

    webhook_secret_name: str | None = Field(default=None, alias="WEBHOOK_SECRET_NAME", min_length=1)
    hubspot_app_id: str | None = Field(default=None, alias="HUBSPOT_APP_ID", pattern=r"^[0-9]+$")


class ProvidersEnv(EnvModel):
    """The providers file's SSM parameter, when one is configured (absent: derived providers only)."""

    providers_parameter: str | None = Field(default=None, alias="PROVIDERS_PARAMETER")


class ScanPlanEnv(EnvModel):
    """How a full scan fans out; the snapshot bucket only with the Distributed Map."""

    scan_partitions: int = Field(default=4, alias="SCAN_PARTITIONS", ge=1, le=1_000)
    snapshot_bucket: str | None = Field(default=None, alias="SNAPSHOT_BUCKET")


class _ScanBase(
    CrmEnv,
    ChangeQueueEnv,
    DecisionMemoryEnv,
    HealthEnv,
    MatchIndexEnv,
    ApplyQueueEnv,
    EnrichQueueEnv,
    MergeWorkflowEnv,
    SignalsEnv,
    StandardEnv,
):
    """What a scan of records needs (``AwsDeps.pipeline``)."""


class ScanSettings(_ScanBase, ScanPlanEnv):
    """The scan function: plan, scan partitions, finalize."""


class EntryScanSettings(_ScanBase):
    """The entry-scan function: one record at a time, from the scan-requests queue."""


class WebhookSettings(CrmKindEnv, WebhookEnv, IdempotencyEnv, ScanRequestsQueueEnv):
    """The webhook function: the CRM's receiver verifies, drops duplicates; scan requests are queued."""

    webhook_secret_name: str = Field(alias="WEBHOOK_SECRET_NAME", min_length=1)


class EnrichSettings(
    CrmEnv,
    ChangeQueueEnv,
    DecisionMemoryEnv,
    HealthEnv,
    ApplyQueueEnv,
    SignalsEnv,
    StandardEnv,
    ProvidersEnv,
):
    """The enrich function."""


class ApplySettings(CrmEnv, ChangeQueueEnv, AuditEnv, StandardEnv, AlertsEnv):
    """The apply function: queued changes and merges (a merge's survivorship follows the standard)."""


class ReviewApiSettings(
    CrmEnv,
    ChangeQueueEnv,
    AuditEnv,
    AuditDigestEnv,
    DecisionMemoryEnv,
    HealthEnv,
    ApplyQueueEnv,
    MergeWorkflowEnv,
    AlertsEnv,
    MeasurementEnv,
    DeadLettersEnv,
    JobsEnv,
    JobsWorkflowEnv,
    ScanWorkflowEnv,
    ConsoleAuthEnv,
    StandardEnv,
):
    """The review API function (it starts jobs and reports them; the standard checks a reviewer's
    edited values as a scan would)."""


class JobsSettings(
    CrmEnv,
    ChangeQueueEnv,
    AuditEnv,
    DecisionMemoryEnv,
    HealthEnv,
    ApplyQueueEnv,
    MergeWorkflowEnv,
    AlertsEnv,
    JobsEnv,
    StandardEnv,
):
    """The jobs function: a job's worker does what the review API would, item by item."""


class AuditVerifySettings(AuditEnv, AuditDigestEnv, AlertsEnv):
    """The scheduled audit verification: reads the trail, signs the next digest, raises alerts."""


class MergeReviewSettings(ChangeQueueEnv, AuditEnv):
    """The merge workflow's AwaitReview task."""


class PipelineSettings(
    CrmEnv,
    ChangeQueueEnv,
    AuditEnv,
    AuditDigestEnv,
    DecisionMemoryEnv,
    HealthEnv,
    MatchIndexEnv,
    IdempotencyEnv,
    ApplyQueueEnv,
    EnrichQueueEnv,
    ScanRequestsQueueEnv,
    MergeWorkflowEnv,
    SignalsEnv,
    AlertsEnv,
    StandardEnv,
    ProvidersEnv,
    ScanPlanEnv,
    WebhookEnv,
    DeadLettersEnv,
    JobsEnv,
    JobsWorkflowEnv,
    ScanWorkflowEnv,
):
    """Everything the stack's functions read together: for tools that talk to the whole stack (the
    local demo, tests), never a function's own settings."""


Env = TypeVar("Env", bound=EnvModel)


def variables(settings_type: type[EnvModel]) -> dict[str, bool]:
    """The environment variables a settings model reads, each with whether it is required."""
    return {
        str(field.alias): field.is_required()
        for field in settings_type.model_fields.values()
        if field.alias is not None
    }


def load_settings(settings_type: type[Env]) -> Env:
    """The settings of ``settings_type``, read from the environment once per process.

    Raises:
        HygieneError: a variable the model reads is missing or invalid (the message names them).
    """
    return cast(Env, _load(settings_type))


@cache
def _load(settings_type: type[EnvModel]) -> EnvModel:
    try:
        return settings_type.model_validate(dict(os.environ))
    except ValidationError as exc:
        missing = ", ".join(str(e["loc"][0]) for e in exc.errors())
        raise HygieneError(f"function configuration is incomplete or invalid: {missing}") from None


def clear_settings() -> None:
    """Forgets the settings read so far (tests that change the environment)."""
    _load.cache_clear()
