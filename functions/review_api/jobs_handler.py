"""Jobs state machine tasks: run a job's chunks from its checkpoint, or record that its worker stopped."""

from __future__ import annotations

from typing import Any

from crm_hygiene.models.jobs import JobStep, JobStepResult
from crm_hygiene.observability import logger, metrics, tracer
from crm_hygiene.services.review.jobs import JobDeps, fail_job, run_job
from crm_hygiene.wiring.aws import job_worker_deps


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any, deps: JobDeps | None = None) -> dict[str, Any]:
    used = deps or job_worker_deps()
    step = JobStep.model_validate(event)
    logger.append_keys(job_id=step.job_id, attempt=step.attempt)
    if step.action == "fail":
        job = fail_job(used, step.job_id, step.attempt, step.error or "unknown")
    else:
        before = used.jobs.get(step.job_id).next_chunk
        job = run_job(used, step.job_id, step.attempt, lambda: context.get_remaining_time_in_millis() / 1000)
        metrics.add_metric(name="JobChunks", unit="Count", value=job.next_chunk - before)
    logger.info("job step", extra={"status": job.status, "next_chunk": job.next_chunk, "chunks": job.chunks})
    done = job.finished or job.attempt != step.attempt or step.action == "fail"
    return JobStepResult(job_id=job.job_id, attempt=step.attempt, status=job.status, done=done).model_dump(
        mode="json"
    )
