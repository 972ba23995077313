"""Apply decided changes from the apply queue (partial batch failures); merge tasks of the merge workflow."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse

from crm_hygiene.errors import HygieneError
from crm_hygiene.models.messages import MergeTask
from crm_hygiene.observability import logger, metrics, tracer
from crm_hygiene.services.apply.core import MAX_RECEIVES, ApplyOutcome, apply_changes
from crm_hygiene.services.merge.core import perform_merge
from crm_hygiene.settings import ApplySettings
from crm_hygiene.wiring.aws import AwsDeps, aws_deps
from crm_hygiene.wiring.sqs import ApplyRecord


class RetryLater(HygieneError):
    """The CRM failed this write in a retryable way: leave the message for SQS to redeliver."""


def _apply_one(record: ApplyRecord, deps: AwsDeps[ApplySettings]) -> ApplyOutcome:
    message = record.body
    report = apply_changes(
        [message.review_id],
        queue=deps.queue,
        crm=deps.crm,
        audit=deps.audit,
        alerts=deps.alerts,
        last_attempt=int(record.attributes.ApproximateReceiveCount) >= MAX_RECEIVES,
    )
    outcome = report.outcomes.get(message.review_id, "missing")
    metrics.add_metric(name=f"Apply_{outcome}", unit="Count", value=1)
    if outcome == "retry":
        raise RetryLater(f"review {message.review_id}: the CRM write failed; it will be retried")
    return outcome


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any, deps: AwsDeps[ApplySettings] | None = None) -> Any:
    used = deps or aws_deps(ApplySettings)
    if event.get("action") == "merge":
        task = MergeTask.model_validate(event)
        logger.append_keys(review_id=task.review_id, run_id=task.run_id)
        standard, _ = used.standard  # an invalid standard falls back to the default's rules and protections
        outcome = perform_merge(task, queue=used.queue, crm=used.crm, audit=used.audit, standard=standard)
        return outcome.model_dump(mode="json")
    response: PartialItemFailureResponse = process_partial_response(
        event=event,
        record_handler=lambda record: _apply_one(record, used),
        processor=BatchProcessor(event_type=EventType.SQS, model=ApplyRecord),
        context=context,
    )
    return response
