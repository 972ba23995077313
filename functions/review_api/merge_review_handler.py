"""Merge workflow `AwaitReview` task: queue the merge for review and store its task token."""

from __future__ import annotations

from typing import Any

from crm_hygiene.models.messages import MergeTask
from crm_hygiene.observability import logger, tracer
from crm_hygiene.services.merge.core import register_review
from crm_hygiene.settings import MergeReviewSettings
from crm_hygiene.wiring.aws import AwsDeps, aws_deps


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def lambda_handler(
    event: dict[str, Any], context: Any, deps: AwsDeps[MergeReviewSettings] | None = None
) -> dict[str, Any]:
    used = deps or aws_deps(MergeReviewSettings)
    task = MergeTask.model_validate({**event, "action": "register"})
    logger.append_keys(review_id=task.review_id, run_id=task.run_id)
    item = register_review(task, queue=used.queue, audit=used.audit)
    return {"review_id": item.review_id, "status": item.status}
