"""Every resource name, construct id and environment variable of the stack, in one place.

Physical names carry the stage (``crm-hygiene-<stage>-<what>``) so two stages can live in one
account and an operator can tell them apart in the console. Buckets are the exception: their names
are global, so CloudFormation generates them and the functions learn them from the environment.
Handlers never hard-code any of these: they read the ``ENV_*`` variables (docs/pipeline.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

APP: Final = "crm-hygiene"
POWERTOOLS_SERVICE: Final = "crm-hygiene"
METRICS_NAMESPACE: Final = "CrmHygiene"
QUEUE_AGE_METRIC: Final = "QueueOldestAgeSeconds"
# Application metrics (powertools, namespace METRICS_NAMESPACE, dimension service) the dashboard graphs.
QUEUE_VOLUME_METRIC: Final = "QueueVolume"  # rows a run queued (scan Finalize)
HEALTH_METRIC_PREFIX: Final = "HealthMean_"  # + object type (scan Finalize)
APPLY_FAILED_METRIC: Final = "Apply_failed"  # apply handler, per change that ended failed
AUDIT_VERIFICATION_METRIC: Final = (
    "AuditVerificationFailures"  # the audit verify job, per failed verification
)

# Construct ids of the components (the stack composes these).
STORAGE: Final = "Storage"
SIGNALS: Final = "Signals"
QUEUES: Final = "Queues"
FUNCTIONS: Final = "Functions"
SCAN_WORKFLOW: Final = "ScanWorkflow"
MERGE_WORKFLOW: Final = "MergeWorkflow"
JOBS_WORKFLOW: Final = "JobsWorkflow"
API: Final = "ReviewApi"
SCHEDULES: Final = "Schedules"
MONITORING: Final = "Monitoring"

# Function construct ids (the ``id`` column of docs/pipeline.md).
SCAN_FN: Final = "ScanFunction"
ENTRY_SCAN_FN: Final = "EntryScanFunction"
WEBHOOK_FN: Final = "WebhookFunction"
ENRICH_FN: Final = "EnrichFunction"
APPLY_FN: Final = "ApplyFunction"
REVIEW_API_FN: Final = "ReviewApiFunction"
MERGE_REVIEW_FN: Final = "MergeReviewFunction"
JOBS_FN: Final = "JobsFunction"
AUDIT_VERIFY_FN: Final = "AuditVerifyFunction"

# Table construct ids.
CHANGE_QUEUE_TABLE: Final = "ChangeQueueTable"
AUDIT_TABLE: Final = "AuditTable"
DECISION_MEMORY_TABLE: Final = "DecisionMemoryTable"
HEALTH_TABLE: Final = "HealthTable"
MATCH_INDEX_TABLE: Final = "MatchIndexTable"
IDEMPOTENCY_TABLE: Final = "IdempotencyTable"
CRM_TABLE: Final = "CrmTable"
JOBS_TABLE: Final = "JobsTable"

# Signal topics: construct id -> the topic's base name (the SNS ``signal`` schema family).
SIGNAL_TOPICS: Final = {
    "HealthTopic": "hygiene_health_score",
    "RelationshipTopic": "relationship_graph_signal",
    "ProviderQualityTopic": "data_provider_quality_signal",
    "MeasurementTopic": "measurement",
}
ALERTS_TOPIC: Final = "AlertsTopic"

# Work queues: construct id -> base name.
WORK_QUEUES: Final = {"ApplyQueue": "apply", "EnrichQueue": "enrich", "ScanRequestsQueue": "scan-requests"}

# Environment variables of the functions; each function gets those its settings model reads
# (docs/pipeline.md, "Environment variables").
ENV_CHANGE_QUEUE_TABLE: Final = "CHANGE_QUEUE_TABLE"
ENV_AUDIT_TABLE: Final = "AUDIT_TABLE"
ENV_AUDIT_BUCKET: Final = "AUDIT_BUCKET"
ENV_AUDIT_KEY_SECRET_NAME: Final = "AUDIT_KEY_SECRET_NAME"
ENV_AUDIT_DIGEST_KEY_ID: Final = "AUDIT_DIGEST_KEY_ID"
ENV_AUDIT_ALLOW_LEGACY: Final = "AUDIT_ALLOW_LEGACY"
ENV_AUDIT_DIGEST_MAX_AGE_SECONDS: Final = "AUDIT_DIGEST_MAX_AGE_SECONDS"
ENV_DECISION_MEMORY_TABLE: Final = "DECISION_MEMORY_TABLE"
ENV_HEALTH_TABLE: Final = "HEALTH_TABLE"
ENV_MATCH_INDEX_TABLE: Final = "MATCH_INDEX_TABLE"
ENV_IDEMPOTENCY_TABLE: Final = "IDEMPOTENCY_TABLE"
ENV_CRM_TABLE: Final = "CRM_TABLE"
ENV_JOBS_TABLE: Final = "JOBS_TABLE"
ENV_JOBS_WORKFLOW_ARN: Final = "JOBS_WORKFLOW_ARN"
ENV_APPLY_QUEUE_URL: Final = "APPLY_QUEUE_URL"
ENV_ENRICH_QUEUE_URL: Final = "ENRICH_QUEUE_URL"
ENV_SCAN_REQUESTS_QUEUE_URL: Final = "SCAN_REQUESTS_QUEUE_URL"
ENV_MERGE_WORKFLOW_ARN: Final = "MERGE_WORKFLOW_ARN"
ENV_SCAN_WORKFLOW_ARN: Final = "SCAN_WORKFLOW_ARN"
ENV_COGNITO_DOMAIN_URL: Final = "COGNITO_DOMAIN_URL"
ENV_COGNITO_CLIENT_ID: Final = "COGNITO_CLIENT_ID"
ENV_CONSOLE_REDIRECT_URL: Final = "CONSOLE_REDIRECT_URL"
ENV_TOPIC_HEALTH_ARN: Final = "TOPIC_HEALTH_ARN"
ENV_TOPIC_RELATIONSHIP_ARN: Final = "TOPIC_RELATIONSHIP_ARN"
ENV_TOPIC_PROVIDER_QUALITY_ARN: Final = "TOPIC_PROVIDER_QUALITY_ARN"
ENV_TOPIC_MEASUREMENT_ARN: Final = "TOPIC_MEASUREMENT_ARN"
ENV_TOPIC_ALERTS_ARN: Final = "TOPIC_ALERTS_ARN"
ENV_CRM_KIND: Final = "CRM_KIND"
ENV_HUBSPOT_TOKEN_SECRET_NAME: Final = "HUBSPOT_TOKEN_SECRET_NAME"
ENV_WEBHOOK_SECRET_NAME: Final = "WEBHOOK_SECRET_NAME"
ENV_HUBSPOT_APP_ID: Final = "HUBSPOT_APP_ID"
ENV_STANDARD_PARAMETER: Final = "STANDARD_PARAMETER"
ENV_SCAN_PARTITIONS: Final = "SCAN_PARTITIONS"
ENV_SNAPSHOT_BUCKET: Final = "SNAPSHOT_BUCKET"
ENV_PROVIDERS_PARAMETER: Final = "PROVIDERS_PARAMETER"
ENV_DEAD_LETTER_QUEUE_URLS: Final = "DEAD_LETTER_QUEUE_URLS"

# Which environment variable names which topic (keys of SIGNAL_TOPICS plus the alerts topic).
TOPIC_ENV: Final = {
    "HealthTopic": ENV_TOPIC_HEALTH_ARN,
    "RelationshipTopic": ENV_TOPIC_RELATIONSHIP_ARN,
    "ProviderQualityTopic": ENV_TOPIC_PROVIDER_QUALITY_ARN,
    "MeasurementTopic": ENV_TOPIC_MEASUREMENT_ARN,
    ALERTS_TOPIC: ENV_TOPIC_ALERTS_ARN,
}
TABLE_ENV: Final = {
    CHANGE_QUEUE_TABLE: ENV_CHANGE_QUEUE_TABLE,
    AUDIT_TABLE: ENV_AUDIT_TABLE,
    DECISION_MEMORY_TABLE: ENV_DECISION_MEMORY_TABLE,
    HEALTH_TABLE: ENV_HEALTH_TABLE,
    MATCH_INDEX_TABLE: ENV_MATCH_INDEX_TABLE,
    IDEMPOTENCY_TABLE: ENV_IDEMPOTENCY_TABLE,
    CRM_TABLE: ENV_CRM_TABLE,
    JOBS_TABLE: ENV_JOBS_TABLE,
}
QUEUE_ENV: Final = {
    "ApplyQueue": ENV_APPLY_QUEUE_URL,
    "EnrichQueue": ENV_ENRICH_QUEUE_URL,
    "ScanRequestsQueue": ENV_SCAN_REQUESTS_QUEUE_URL,
}

# Stack outputs (the local stack and scripts read these instead of guessing names).
OUTPUT_API_URL: Final = "ReviewApiUrl"
OUTPUT_SCAN_WORKFLOW_ARN: Final = "ScanWorkflowArn"
OUTPUT_MERGE_WORKFLOW_ARN: Final = "MergeWorkflowArn"
OUTPUT_JOBS_WORKFLOW_ARN: Final = "JobsWorkflowArn"
OUTPUT_AUDIT_BUCKET: Final = "AuditBucketName"
OUTPUT_AUDIT_TABLE: Final = "AuditTableName"
OUTPUT_AUDIT_KEY_SECRET: Final = "AuditKeySecretName"
OUTPUT_AUDIT_DIGEST_KEY: Final = "AuditDigestKeyArn"
OUTPUT_SCHEDULE_RULE: Final = "ScheduleRuleName"
OUTPUT_USER_POOL_ID: Final = "ReviewersUserPoolId"  # with cognito
OUTPUT_CONSOLE_CLIENT_ID: Final = "ConsoleClientId"
OUTPUT_HOSTED_UI_URL: Final = "HostedUiUrl"

WEBHOOK_PATH: Final = ("webhooks", "{crm}")  # {crm}: a CRM kind (crm_hygiene.models.crm.CRM_KINDS)
API_STAGE: Final = "v1"
IAM_PATH: Final = "iam"  # with cognito: machines' SigV4 routes, /iam/<route> (review_api_handler.IAM_PREFIX)
# What a browser loads before signing in, open to GET (the console's routes; scan_routes.auth_config)
CONSOLE_PATHS: Final = ((), ("static", "{name}"), ("auth", "config"))


@dataclass(frozen=True)
class Names:
    """Physical names for one stage."""

    stage: str

    @property
    def stack(self) -> str:
        return f"{APP}-{self.stage}"

    def of(self, what: str) -> str:
        """``crm-hygiene-<stage>-<what>``: the name of one resource."""
        return f"{APP}-{self.stage}-{what}"

    def table(self, construct_id: str) -> str:
        return self.of(kebab(construct_id.removesuffix("Table")))

    def function(self, construct_id: str) -> str:
        return self.of(kebab(construct_id.removesuffix("Function")))

    def topic(self, base: str) -> str:
        return self.of(base)

    def queue(self, base: str, *, dlq: bool = False) -> str:
        return self.of(f"{base}-dlq" if dlq else base)

    def state_machine(self, construct_id: str) -> str:
        return self.of(kebab(construct_id.removesuffix("Workflow")))

    def log_group(self, kind: str, what: str) -> str:
        """Vended-log-friendly log group names (``/aws/vendedlogs/`` is required by Step Functions)."""
        prefix = {"lambda": "/aws/lambda", "states": "/aws/vendedlogs/states", "api": "/aws/apigateway"}[kind]
        return f"{prefix}/{self.of(what)}"

    @property
    def api(self) -> str:
        return self.of("review")

    @property
    def schedule_rule(self) -> str:
        return self.of("scheduled-scan")

    @property
    def audit_verify_rule(self) -> str:
        return self.of("audit-verify")

    @property
    def audit_key_secret(self) -> str:
        """The secret holding the audit MAC keyring (``{"current": "k1", "k1": ...}``)."""
        return f"{APP}/{self.stage}/audit-key"

    @property
    def audit_digest_key_alias(self) -> str:
        return f"alias/{self.of('audit-digest')}"

    @property
    def signals_key_alias(self) -> str:
        return f"alias/{self.of('signals')}"

    def alarm(self, what: str) -> str:
        return self.of(f"alarm-{what}")

    @property
    def hubspot_token_secret(self) -> str:
        return f"{APP}/{self.stage}/hubspot-token"

    @property
    def providers_parameter(self) -> str:
        """The SSM parameter holding the enrich function's providers file."""
        return f"/{APP}/{self.stage}/providers"

    @property
    def webhook_secret(self) -> str:
        return f"{APP}/{self.stage}/hubspot-webhook-secret"


def kebab(camel: str) -> str:
    """``ChangeQueue`` -> ``change-queue``."""
    out = [f"-{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(camel)]
    return "".join(out)
