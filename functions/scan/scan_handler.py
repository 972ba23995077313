"""Scan workflow tasks: plan the partitions, scan one partition page by page, finalize the run."""

from __future__ import annotations

from typing import Any

from crm_hygiene.models.messages import SCAN_TASK, FinalizeTask, PlanTask
from crm_hygiene.observability import logger, metrics, tracer
from crm_hygiene.services.scan import pipeline
from crm_hygiene.settings import ScanSettings
from crm_hygiene.wiring.aws import AwsDeps, aws_deps


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(
    event: dict[str, Any], context: Any, deps: AwsDeps[ScanSettings] | None = None
) -> dict[str, Any]:
    task = SCAN_TASK.validate_python(event)
    deps = deps or aws_deps(ScanSettings)
    if isinstance(task, PlanTask):
        plan = pipeline.plan_run(
            deps.crm, task.object_types, deps.scan_partitions, task.run_id, manifest=deps.manifest
        )
        logger.append_keys(run_id=plan.run_id)
        return plan.payload()
    if isinstance(task, FinalizeTask):
        logger.append_keys(run_id=task.run_id)
        summary = pipeline.finalize(deps.pipeline(), task.run_id, task.started_at)
        metrics.add_metric(
            name="QueueOldestAgeSeconds", unit="Seconds", value=summary["queue_oldest_age_seconds"]
        )
        objects = summary["objects"].items()
        metrics.add_metric(name="QueueVolume", unit="Count", value=sum(f["queue_volume"] for _, f in objects))
        for object_type, figures in objects:  # the dashboard's health graph
            if figures["health"].get("mean") is not None:
                metrics.add_metric(
                    name=f"HealthMean_{object_type}", unit="None", value=figures["health"]["mean"]
                )
        return summary
    part = task.partition()
    logger.append_keys(run_id=part.run_id, object_type=part.object_type, segment=part.segment)
    done = pipeline.scan_partition(
        deps.pipeline(), part, lambda: context.get_remaining_time_in_millis() / 1000
    )
    metrics.add_metric(name="RecordsScanned", unit="Count", value=done.scanned - part.scanned)
    return done.model_dump()
