"""Scan requests from webhooks (SQS batches): validate each record at entry, partial failures retried."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from crm_hygiene.observability import logger, metrics, tracer
from crm_hygiene.ports import MatchIndex
from crm_hygiene.services.scan.entry import scan_entry
from crm_hygiene.settings import EntryScanSettings
from crm_hygiene.types import ObjectType
from crm_hygiene.wiring.aws import AwsDeps, aws_deps
from crm_hygiene.wiring.sqs import ScanRequestRecord


def _index(deps: AwsDeps[EntryScanSettings], object_type: ObjectType) -> MatchIndex | None:
    """The match index of existing contacts or companies: the one the last scan stored (snapshot
    loaded once per container), else built from the CRM; kept current by the entry scans."""
    if object_type not in deps.pipeline().dedup_objects:
        return None
    return deps.index_cache.get(deps.match_index, deps.crm, object_type)


def _scan_one(record: ScanRequestRecord, deps: AwsDeps[EntryScanSettings]) -> str:
    request = record.body
    index = _index(deps, request.object_type)
    [result] = scan_entry(deps.pipeline(), request.object_type, [request.record_id], index=index)
    metrics.add_metric(name="EntryScans", unit="Count", value=1)
    outcome = result.duplicate_check
    if outcome is not None:  # ids only: no names, emails or phones in logs
        where = {"object_type": request.object_type, "record_id": request.record_id}
        logger.info(
            "duplicate check", extra={**where, "outcome": outcome, "merge_review": result.merge_review}
        )
        name = "AcceptedAsNew" if outcome == "accept_as_new" else "EntryMergeProposals"
        metrics.add_metric(name=name, unit="Count", value=1)
    return "scanned" if result.found else "not found"


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(
    event: dict[str, Any], context: Any, deps: AwsDeps[EntryScanSettings] | None = None
) -> Any:
    used = deps or aws_deps(EntryScanSettings)
    return process_partial_response(
        event=event,
        record_handler=lambda record: _scan_one(record, used),
        processor=BatchProcessor(event_type=EventType.SQS, model=ScanRequestRecord),
        context=context,
    )
