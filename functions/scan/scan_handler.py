"""Scan workflow tasks: plan the partitions, scan one partition page by page, finalize the run."""

from __future__ import annotations

from typing import Any

from crm_hygiene.models.messages import Partition, ScanAction
from crm_hygiene.observability import logger, metrics, tracer
from crm_hygiene.services.scan import pipeline
from crm_hygiene.settings import load_settings
from crm_hygiene.wiring.aws import AwsDeps

_deps: AwsDeps | None = None


def build_deps() -> AwsDeps:
    global _deps
    if _deps is None:
        _deps = AwsDeps(load_settings())
    return _deps


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any, deps: AwsDeps | None = None) -> dict[str, Any]:
    action = ScanAction.model_validate(event)
    deps = deps or build_deps()
    if action.action == "plan":
        parts = pipeline.plan(deps.crm, action.object_types, deps.settings.scan_partitions, action.run_id)
        logger.append_keys(run_id=parts[0].run_id if parts else None)
        return {
            "run_id": parts[0].run_id if parts else action.run_id,
            "partitions": [p.model_dump() for p in parts],
        }
    if action.action == "scan_partition":
        part = Partition.model_validate({k: v for k, v in event.items() if k != "action"})
        logger.append_keys(run_id=part.run_id, object_type=part.object_type, segment=part.segment)
        done = pipeline.scan_partition(
            deps.pipeline(), part, lambda: context.get_remaining_time_in_millis() / 1000
        )
        metrics.add_metric(name="RecordsScanned", unit="Count", value=done.scanned - part.scanned)
        return done.model_dump()
    logger.append_keys(run_id=action.run_id)
    summary = pipeline.finalize(deps.pipeline(), action.run_id or "")
    metrics.add_metric(
        name="QueueOldestAgeSeconds", unit="Seconds", value=summary["queue_oldest_age_seconds"]
    )
    return summary
