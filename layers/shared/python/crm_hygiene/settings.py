"""Typed settings of the Lambda functions, validated once from the environment (STYLE point 6).

No resource name has a default: a function deployed without its configuration fails at its first
invocation with a message naming the missing variables, never by writing to a wrong table.
"""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crm_hygiene.errors import HygieneError
from crm_hygiene.models.crm import CrmKind


class PipelineSettings(BaseModel):
    """The environment every function receives (docs/pipeline.md, "COMMON environment variables")."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    change_queue_table: str = Field(alias="CHANGE_QUEUE_TABLE", min_length=1)
    audit_table: str = Field(alias="AUDIT_TABLE", min_length=1)
    audit_bucket: str = Field(alias="AUDIT_BUCKET", min_length=1)
    decision_memory_table: str = Field(alias="DECISION_MEMORY_TABLE", min_length=1)
    health_table: str = Field(alias="HEALTH_TABLE", min_length=1)
    match_index_table: str = Field(alias="MATCH_INDEX_TABLE", min_length=1)
    idempotency_table: str = Field(alias="IDEMPOTENCY_TABLE", min_length=1)
    crm_table: str = Field(alias="CRM_TABLE", min_length=1)
    apply_queue_url: str = Field(alias="APPLY_QUEUE_URL", min_length=1)
    enrich_queue_url: str = Field(alias="ENRICH_QUEUE_URL", min_length=1)
    scan_requests_queue_url: str = Field(alias="SCAN_REQUESTS_QUEUE_URL", min_length=1)
    merge_workflow_arn: str = Field(alias="MERGE_WORKFLOW_ARN", min_length=1)
    topic_health_arn: str = Field(alias="TOPIC_HEALTH_ARN", min_length=1)
    topic_relationship_arn: str = Field(alias="TOPIC_RELATIONSHIP_ARN", min_length=1)
    topic_provider_quality_arn: str = Field(alias="TOPIC_PROVIDER_QUALITY_ARN", min_length=1)
    topic_measurement_arn: str = Field(alias="TOPIC_MEASUREMENT_ARN", min_length=1)
    topic_alerts_arn: str = Field(alias="TOPIC_ALERTS_ARN", min_length=1)
    crm_kind: CrmKind = Field(default="internal", alias="CRM_KIND")
    hubspot_token_secret_name: str | None = Field(default=None, alias="HUBSPOT_TOKEN_SECRET_NAME")
    hubspot_base_url: str = Field(default="https://api.hubapi.com", alias="HUBSPOT_BASE_URL")
    webhook_secret_name: str | None = Field(default=None, alias="WEBHOOK_SECRET_NAME")
    standard_parameter: str | None = Field(default=None, alias="STANDARD_PARAMETER")
    scan_partitions: int = Field(default=4, alias="SCAN_PARTITIONS", ge=1, le=64)


@lru_cache(maxsize=1)
def load_settings() -> PipelineSettings:
    """The settings of this process, read from the environment once."""
    try:
        return PipelineSettings.model_validate(dict(os.environ))
    except ValidationError as exc:
        missing = ", ".join(str(e["loc"][0]) for e in exc.errors())
        raise HygieneError(f"function configuration is incomplete or invalid: {missing}") from None
