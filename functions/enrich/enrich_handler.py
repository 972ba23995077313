"""Enrich records from the enrich queue (SQS batches, partial failures retried by SQS)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from crm_hygiene.models.messages import EnrichMessage
from crm_hygiene.observability import logger, metrics, tracer
from crm_hygiene.services.enrich.pipeline import EnrichDeps, crm_directory, enrich_records
from crm_hygiene.settings import load_settings
from crm_hygiene.wiring.aws import AwsDeps

_aws: AwsDeps | None = None
_enrich: EnrichDeps | None = None


def build_deps() -> EnrichDeps:
    """Built once per container: the CRM directory is read once, not for every batch."""
    global _aws, _enrich
    if _enrich is None:
        _aws = AwsDeps(load_settings())
        standard, valid = _aws.standard
        _enrich = EnrichDeps(
            crm=_aws.crm,
            queue=_aws.queue,
            apply_queue=_aws.apply_queue,
            signals=_aws.signals,
            standard=standard,
            standard_valid=valid,
            directory=crm_directory(_aws.crm),
            quality=_aws.quality,
        )
    return _enrich


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any, deps: EnrichDeps | None = None) -> Any:
    deps = deps or build_deps()
    processor = BatchProcessor(event_type=EventType.SQS)
    batches: dict[tuple[str, str], list[str]] = defaultdict(list)

    def collect(record: Any) -> str:
        message = EnrichMessage.model_validate_json(record.body)
        batches[(message.object_type, message.run_id)].append(message.record_id)
        return message.record_id

    response = process_partial_response(
        event=event, record_handler=collect, processor=processor, context=context
    )
    for (object_type, run_id), ids in batches.items():
        counts = enrich_records(deps, object_type, ids, run_id or "enrich")  # type: ignore[arg-type]
        metrics.add_metric(name="EnrichProposals", unit="Count", value=counts["queued"])
    return response
