"""Merge workflow `AwaitReview` task: queue the merge for review and store its task token."""

from __future__ import annotations

from typing import Any

from crm_hygiene.models.messages import MergeTask
from crm_hygiene.observability import logger, tracer
from crm_hygiene.services.merge.core import register_review
from crm_hygiene.settings import load_settings
from crm_hygiene.wiring.aws import AwsDeps

_deps: AwsDeps | None = None


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: Any, deps: AwsDeps | None = None) -> dict[str, Any]:
    global _deps
    if deps is None and _deps is None:
        _deps = AwsDeps(load_settings())
    deps = deps or _deps
    assert deps is not None
    task = MergeTask.model_validate({**event, "action": "register"})
    logger.append_keys(review_id=task.review_id, run_id=task.run_id)
    item = register_review(task, queue=deps.queue, audit=deps.audit)
    return {"review_id": item.review_id, "status": item.status}
