"""Enrich records from the enrich queue (SQS batches, partial failures retried by SQS)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from crm_hygiene.observability import logger, metrics, tracer
from crm_hygiene.services.enrich.pipeline import EnrichDeps, enrich_records
from crm_hygiene.types import ObjectType
from crm_hygiene.wiring.aws import enrich_deps
from crm_hygiene.wiring.sqs import EnrichRecord


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any, deps: EnrichDeps | None = None) -> Any:
    used = deps or enrich_deps()
    batches: dict[tuple[ObjectType, str], list[str]] = defaultdict(list)

    def collect(record: EnrichRecord) -> str:
        message = record.body
        batches[(message.object_type, message.run_id)].append(message.record_id)
        return message.record_id

    response = process_partial_response(
        event=event,
        record_handler=collect,
        processor=BatchProcessor(event_type=EventType.SQS, model=EnrichRecord),
        context=context,
    )
    for (object_type, run_id), ids in batches.items():
        counts = enrich_records(used, object_type, ids, run_id or "enrich")
        metrics.add_metric(name="EnrichProposals", unit="Count", value=counts["queued"])
    return response
