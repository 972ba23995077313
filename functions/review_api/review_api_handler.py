"""The review API (API Gateway REST, IAM or Cognito auth): queue, decisions, rollback, figures."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from console_routes import router as console_router
from merge_routes import router as merge_router
from queue_routes import router as queue_router
from review_errors import complete_openapi, install
from review_routes import router
from scan_routes import router as scan_router

from crm_hygiene.observability import logger, metrics, tracer
from crm_hygiene.services.review.core import ReviewDeps
from crm_hygiene.services.review.jobs import JobDeps
from crm_hygiene.wiring.aws import job_deps, review_deps

IAM_PREFIX = "/iam"
"""With ``cognito`` on, the stack's IAM (SigV4) routes for machines: ``/iam/<route>`` is ``/<route>``."""
# Machines reach the same routes under /iam/ when the console signs in with Cognito (infra/components/api.py)
app = APIGatewayRestResolver(enable_validation=True, strip_prefixes=[IAM_PREFIX])
app.include_router(router)
app.include_router(scan_router)
app.include_router(merge_router)
app.include_router(queue_router)
app.include_router(console_router)  # the console's page and files (GET / and GET /static/{name})
install(app)  # every error answer is an ErrorBody (review_errors.py)

# Stateful API testing (and clients) follow these from a page of the queue to its items.
LINKS = {
    ("/reviews", "get"): {
        "GetReview": ("get_review", {"review_id": "$response.body#/items/0/review_id"}),
        "DecideReview": ("decide", {"review_id": "$response.body#/items/0/review_id"}),
        "RollbackChange": ("rollback_change", {"review_id": "$response.body#/items/0/review_id"}),
        "RollbackRun": ("rollback_run", {"run_id": "$response.body#/items/0/run_id"}),
        "Unmerge": ("unmerge", {"review_id": "$response.body#/items/0/review_id"}),
    },
    ("/reviews/{review_id}/decision", "post"): {
        "GetDecidedReview": ("get_review", {"review_id": "$response.body#/review_id"}),
        "RollbackDecidedChange": ("rollback_change", {"review_id": "$response.body#/review_id"}),
    },
}
# A job's 202 leads to its progress and results.
JOB_LINKS = {
    "GetJob": ("get_job", {"job_id": "$response.body#/job_id"}),
    "GetJobResults": ("get_job_results", {"job_id": "$response.body#/job_id"}),
}
ACCEPTED_LINKS = {
    ("/runs/{run_id}/rollback", "post"): JOB_LINKS,
    ("/reviews/decisions", "post"): JOB_LINKS,
    # a scan's 202 leads to its progress
    ("/scans", "post"): {"GetScan": ("get_scan", {"scan_id": "$response.body#/scan_id"})},
    ("/reviews/decisions/by-filter", "post"): JOB_LINKS,
}


def openapi_schema() -> str:
    """The OpenAPI document (``make docs`` writes it to docs/review-api.openapi.json)."""
    schema = json.loads(app.get_openapi_json_schema(title="crm-hygiene review API", version="1.0.0"))
    schema = complete_openapi(schema)
    for status, table in (("200", LINKS), ("202", ACCEPTED_LINKS)):
        for (path, method), links in table.items():
            ok = schema["paths"][path][method]["responses"][status]
            ok["links"] = {
                name: {"operationId": target, "parameters": params}
                for name, (target, params) in links.items()
            }
    return json.dumps(schema)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(
    event: dict[str, Any], context: Any, deps: ReviewDeps | None = None, jobs: JobDeps | None = None
) -> dict[str, Any]:
    # The router shares the context of the app that included it last; when a process holds more than one
    # app (the local stack's executor and a test), bind it to this one before resolving.
    router.context = scan_router.context = merge_router.context = queue_router.context = app.context
    if deps is None and jobs is None:
        deps, jobs = review_deps(), job_deps()
    app.append_context(deps=deps or (jobs.review if jobs else None), jobs=jobs)
    return app.resolve(event, context)
