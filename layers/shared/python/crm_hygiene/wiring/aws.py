"""The composition root of the Lambda functions: real adapters built from settings, once per container.

Clients are created on first use, not at import time, so a handler module imports fast and a test
can pass its own dependencies instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from crm_hygiene.adapters.aws.audit_log import DynamoAuditLog
from crm_hygiene.adapters.aws.change_queue import DynamoChangeQueue
from crm_hygiene.adapters.aws.decision_memory import DynamoDecisionMemory
from crm_hygiene.adapters.aws.health_store import DynamoHealthStore
from crm_hygiene.adapters.aws.idempotency import DynamoIdempotencyStore
from crm_hygiene.adapters.aws.signal_bus import SnsSignalBus
from crm_hygiene.adapters.aws.work_queue import SqsWorkQueue
from crm_hygiene.adapters.aws.workflow import StepFunctionsWorkflow
from crm_hygiene.errors import StandardError
from crm_hygiene.ports import CrmStore, MatchIndexStore
from crm_hygiene.services.review.core import ReviewDeps
from crm_hygiene.services.scan.batch import PipelineDeps
from crm_hygiene.settings import PipelineSettings
from crm_hygiene.standard.loader import default_standard, parse_standard
from crm_hygiene.standard.model import DataStandard
from crm_hygiene.wiring.crm import crm_store

if TYPE_CHECKING:
    from crm_hygiene.adapters.aws.quality_store import DynamoQualityStore


@dataclass
class AwsDeps:
    """Adapters for one function container, built lazily from ``settings``."""

    settings: PipelineSettings

    def _client(self, name: str) -> Any:
        import boto3

        return boto3.client(name)  # type: ignore[call-overload]

    @cached_property
    def dynamodb(self) -> Any:
        import boto3

        return boto3.resource("dynamodb")

    @cached_property
    def queue(self) -> DynamoChangeQueue:
        return DynamoChangeQueue(self.dynamodb.Table(self.settings.change_queue_table))

    @cached_property
    def audit(self) -> DynamoAuditLog:
        return DynamoAuditLog(
            self.dynamodb.Table(self.settings.audit_table), self._client("s3"), self.settings.audit_bucket
        )

    @cached_property
    def memory(self) -> DynamoDecisionMemory:
        return DynamoDecisionMemory(self.dynamodb.Table(self.settings.decision_memory_table))

    @cached_property
    def health(self) -> DynamoHealthStore:
        return DynamoHealthStore(self.dynamodb.Table(self.settings.health_table))

    @cached_property
    def quality(self) -> DynamoQualityStore:
        from crm_hygiene.adapters.aws.quality_store import DynamoQualityStore

        return DynamoQualityStore(self.dynamodb.Table(self.settings.health_table), self.memory)

    @cached_property
    def sqs(self) -> Any:
        return self._client("sqs")

    @cached_property
    def apply_queue(self) -> SqsWorkQueue:
        return SqsWorkQueue(self.sqs, self.settings.apply_queue_url)

    @cached_property
    def enrich_queue(self) -> SqsWorkQueue:
        return SqsWorkQueue(self.sqs, self.settings.enrich_queue_url)

    @cached_property
    def scan_requests(self) -> SqsWorkQueue:
        return SqsWorkQueue(self.sqs, self.settings.scan_requests_queue_url)

    @cached_property
    def signals(self) -> SnsSignalBus:
        s = self.settings
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
    def workflow(self) -> StepFunctionsWorkflow:
        return StepFunctionsWorkflow(self._client("stepfunctions"), self.settings.merge_workflow_arn)

    @cached_property
    def crm(self) -> CrmStore:
        """The configured CRM's store, built by its entry in the CRM registry (``wiring/crm.py``)."""
        return crm_store(self, self.settings.crm_kind)

    @cached_property
    def match_index(self) -> MatchIndexStore:
        """The match indexes (snapshot, keys, projections) in the match index table; the adapter
        module imports numpy, so it is imported here, on first use."""
        from crm_hygiene.adapters.aws.match_index import DynamoMatchIndexStore

        return DynamoMatchIndexStore(self.dynamodb.Table(self.settings.match_index_table))

    @cached_property
    def idempotency(self) -> DynamoIdempotencyStore:
        return DynamoIdempotencyStore(self.dynamodb.Table(self.settings.idempotency_table))

    @cached_property
    def webhook_secret(self) -> str:
        """The CRM app's webhook signing secret (Secrets Manager, cached by powertools)."""
        from crm_hygiene.adapters.secrets import AwsSecretStore

        name = self.settings.webhook_secret_name
        if not name:
            raise StandardError(
                "settings", [("WEBHOOK_SECRET_NAME", None, "required by the webhook function")]
            )
        return AwsSecretStore(max_age=300).get(name)

    @cached_property
    def standard(self) -> tuple[DataStandard, bool]:
        """The standard from the SSM parameter (if configured) and whether it is valid."""
        name = self.settings.standard_parameter
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
        return ReviewDeps(
            queue=self.queue,
            audit=self.audit,
            memory=self.memory,
            apply_queue=self.apply_queue,
            workflow=self.workflow,
            crm=self.crm,
            health=self.health,
            quality=self.quality,
        )
