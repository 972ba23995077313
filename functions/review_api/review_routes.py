"""Routes of the review API. The handler builds the app; dependencies arrive via ``router.context``."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.models import Example
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.openapi.params import Path as PathParam
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel, ConfigDict, Field
from review_errors import STORE, Unauthenticated, responses

from crm_hygiene.audit.verify import VerificationReport
from crm_hygiene.errors import Conflict, Gone, HygieneError, InvalidDecision, InvalidRequest, NotFound
from crm_hygiene.models.jobs import Job, JobResults
from crm_hygiene.models.review import ReviewDecision, ReviewItem, ReviewItemView
from crm_hygiene.observability import logger
from crm_hygiene.observability import metrics as cloudwatch
from crm_hygiene.services.audit.core import CheckedEntry, check_history, verify
from crm_hygiene.services.review import core as review
from crm_hygiene.services.review import jobs
from crm_hygiene.services.review import metrics as figures
from crm_hygiene.services.review.core import DecisionResult, ReviewDeps
from crm_hygiene.services.review.detail import ItemContext, item_context
from crm_hygiene.services.review.jobs import JobDeps
from crm_hygiene.services.review.vocabulary import Vocabulary, vocabulary
from crm_hygiene.types import REVIEW_SORTS, ChangeStatus, ObjectType, QueueKind, ReviewSort

router = APIGatewayRouter()
# Ids this system issues (change ids, "merge-...", run ids "20261207T194553-963c6edb"): anything else
# is refused before it reaches a store (DynamoDB answered an empty or 2 kB key with its own error text).
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._~-]*$"
ID_MAX = 128
ReviewId = Annotated[
    str, PathParam(min_length=1, max_length=ID_MAX, pattern=ID_PATTERN, description="A review item's id")
]
RunId = Annotated[
    str, PathParam(min_length=1, max_length=ID_MAX, pattern=ID_PATTERN, description="A run's id")
]
JobId = Annotated[
    str, PathParam(min_length=1, max_length=ID_MAX, pattern=ID_PATTERN, description="A background job's id")
]
SEARCH = "Search, case- and accent-insensitive: name, e-mail, company, record id, review id (every word)"
SORTS = "; ".join(f"{name}: {meaning}" for name, meaning in REVIEW_SORTS.items())

DECISIONS = {
    "approve": Example(summary="Approve the suggestion", value={"decision": "approve"}),
    "reject": Example(
        summary="Reject, with the reason", value={"decision": "reject", "note": "not a duplicate"}
    ),
    "edit": Example(
        summary="Write another value", value={"decision": "edit_and_approve", "value": "Acme Inc."}
    ),
}
BULK = {
    "two": Example(
        summary="Decide two items",
        value={
            "decisions": [
                {"review_id": "3f9a0c1d2e4b5a6978877665", "decision": {"decision": "approve"}},
                {"review_id": "merge-0a1b2c3d4e5f60718293a4b5", "decision": {"decision": "reject"}},
            ]
        },
    )
}


class ReviewPage(BaseModel):
    items: list[ReviewItemView]
    next_cursor: str | None = None


class ReviewDetail(ItemContext):
    """One item, the audit history of its record, and the CRM side (``services/review/detail.py``):
    ``record`` (its current values), for merges ``members`` side by side and ``winners`` with why."""

    item: ReviewItemView
    history: list[CheckedEntry]
    audit_warnings: list[str] = Field(
        default_factory=list, description="Set when an entry of the history does not verify"
    )


class BulkDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    review_id: str = Field(min_length=1, max_length=ID_MAX, pattern=ID_PATTERN)
    decision: ReviewDecision


class BulkRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # ~6 DynamoDB/SQS/Step Functions calls a decision: up to jobs.SYNC_LIMIT (200) fit in API Gateway's
    # 29 s with room to spare and are decided in the request; more become a background job
    decisions: list[BulkDecision] = Field(min_length=1, max_length=jobs.BULK_LIMIT)


class BulkResult(BaseModel):
    results: list[DecisionResult]


def _deps() -> ReviewDeps:
    deps: ReviewDeps = router.context["deps"]
    return deps


def _jobs() -> JobDeps:
    deps: JobDeps | None = router.context.get("jobs")
    if deps is None:
        raise HygieneError("background jobs are not configured for this API")
    return deps


def _accepted(job: Job) -> Response[Job]:
    """202: the job runs in the background; ``GET /jobs/{job_id}`` (the Location) reports its progress."""
    return Response(status_code=202, content_type="application/json", body=job,
                    headers={"Location": f"/jobs/{job.job_id}"})  # fmt: skip


ACCEPTED = (
    "Accepted: the job (new, resumed, or the one already running for the same request), to follow at "
    "GET /jobs/{job_id} (the Location header)"
)


def reviewer() -> str:
    """Who is deciding: the Cognito user (their verified e-mail, else their user name), else the IAM
    caller; recorded in the audit trail. An unverified e-mail names nobody: anyone could type it."""
    context = router.current_event.request_context
    claims = (context.authorizer.raw_event or {}).get("claims") if context.authorizer else None
    if isinstance(claims, dict):
        verified = str(claims.get("email_verified", "")).lower() == "true"
        for key in ("email", "cognito:username", "sub"):
            if claims.get(key) and (key != "email" or verified):
                return str(claims[key])
    identity = context.identity
    who = identity.user_arn or identity.caller or identity.user
    if not who:
        raise Unauthenticated("no reviewer identity in the request")
    return str(who)


@router.get(
    "/reviews",
    summary="A page of the review queue: filtered, searched and sorted in the query, every page full "
    "until the last",
    responses=responses(ReviewPage, InvalidRequest, *STORE),
    operation_id="list_reviews",
)
def list_reviews(
    status: Annotated[ChangeStatus | None, Query()] = None,
    kind: Annotated[QueueKind | None, Query()] = None,
    object_type: Annotated[ObjectType | None, Query()] = None,
    field: Annotated[str | None, Query(min_length=1, max_length=128, description="A field name")] = None,
    run_id: Annotated[str | None, Query(min_length=1, max_length=ID_MAX, pattern=ID_PATTERN)] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=200, description=SEARCH)] = None,
    sort: Annotated[ReviewSort, Query(description=SORTS)] = "newest",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[
        str | None, Query(min_length=1, max_length=4096, description="next_cursor of the page before")
    ] = None,
) -> ReviewPage:
    items, nxt = _deps().queue.list(status=status, kind=kind, object_type=object_type, run_id=run_id,
                                    field=field, q=q, sort=sort, limit=limit, cursor=cursor)  # fmt: skip
    return ReviewPage(items=[i.view() for i in items], next_cursor=nxt)


@router.get(
    "/reviews/<review_id>",
    summary="One item, the audit history of its record (each entry verified), the record's current "
    "values and, for merges, every member's values side by side with the field winners and why",
    responses=responses(ReviewDetail, NotFound, InvalidRequest, *STORE),
    operation_id="get_review",
)
def get_review(
    review_id: ReviewId,
    primary_id: Annotated[
        str | None,
        Query(min_length=1, max_length=ID_MAX, pattern=ID_PATTERN,
              description="Merges: show the winners around this member instead (a primary picker's preview)"),
    ] = None,
) -> ReviewDetail:  # fmt: skip
    deps = _deps()
    item, history = review.item_detail(deps, review_id)
    context = item_context(deps, item, primary_id).model_dump()
    if deps.integrity is None:
        unchecked = [
            CheckedEntry(**e.model_dump(), verified=None, verification="not checked") for e in history
        ]
        warning = ["audit verification is not configured"]
        return ReviewDetail(item=item.view(), history=unchecked, audit_warnings=warning, **context)
    checked, warnings = check_history(deps.integrity, history)
    return ReviewDetail(item=item.view(), history=checked, audit_warnings=warnings, **context)


@router.get(
    "/audit/verify",
    summary="Verify the whole audit trail against its keyed MACs and signed digests",
    responses={
        200: {"description": "Every chain and digest verifies",
              "content": {"application/json": {"model": VerificationReport}}},
        409: {"description": "Something does not verify: the report lists each problem",
              "content": {"application/json": {"model": VerificationReport}}},
    },
    operation_id="verify_audit",
)  # fmt: skip
def verify_audit() -> Response[str]:
    integrity = _deps().integrity
    if integrity is None:
        raise HygieneError("audit verification is not configured")
    report = verify(integrity)
    return Response(
        status_code=200 if report.ok else 409,
        content_type="application/json",
        body=report.model_dump_json(),
    )


@router.post(
    "/reviews/<review_id>/decision",
    summary="Approve, reject or edit-and-approve one item",
    responses=responses(ReviewItemView, Unauthenticated, NotFound, Conflict, Gone, InvalidDecision, *STORE),
    operation_id="decide",
)
def decide(
    review_id: ReviewId, decision: Annotated[ReviewDecision, Body(openapi_examples=DECISIONS)]
) -> ReviewItemView:
    item = review.decide(_deps(), review_id, decision, reviewer())
    _after_decisions(lambda: [item])
    return item.view()


@router.post(
    "/reviews/decisions",
    summary="Decide many items: up to 200 in the request (one result per item, one failing item does not "
    "stop the others), more as a background job (202)",
    responses={
        **responses(BulkResult, Unauthenticated, *STORE),
        202: responses(Job, status=HTTPStatus.ACCEPTED, description=ACCEPTED)[202],
    },
    operation_id="decide_many",
)
def decide_many(request: Annotated[BulkRequest, Body(openapi_examples=BULK)]) -> Response[BulkResult | Job]:
    pairs = [(d.review_id, d.decision) for d in request.decisions]
    if len(pairs) > jobs.SYNC_LIMIT:
        job, _ = jobs.start_bulk_decisions(_jobs(), pairs, reviewer())
        return _accepted(job)  # type: ignore[return-value]
    results = review.decide_many(_deps(), pairs, reviewer())
    _after_decisions(lambda: [_deps().queue.get(r.review_id) for r in results if r.status != "error"])
    return Response(status_code=200, content_type="application/json", body=BulkResult(results=results))


def _after_decisions(decided: Callable[[], list[ReviewItem]]) -> None:
    """Counts the batch's decisions by kind (CloudWatch) and sends its runs' decision figures (SNS).
    The decisions are made by now: figures that cannot be read or sent never turn them into an error."""
    try:
        items = decided()
        for name, count in figures.decision_metrics(items).items():
            cloudwatch.add_metric(name=name, unit=MetricUnit.Count, value=count)
        deps = _deps()
        figures.publish_decisions(deps.queue, deps.signals, [i.run_id for i in items])
    except HygieneError as exc:
        logger.warning("decision figures not sent", extra={"error": type(exc).__name__})


@router.post(
    "/changes/<review_id>/rollback",
    summary="Restore the value an applied change replaced",
    responses=responses(ReviewItemView, Unauthenticated, NotFound, Conflict, *STORE),
    operation_id="rollback_change",
)
def rollback_change(review_id: ReviewId) -> ReviewItemView:
    return review.rollback_change(_deps(), review_id, reviewer()).view()


@router.post(
    "/runs/<run_id>/rollback",
    summary="Roll back every applied change of a run, newest first, as a background job (202)",
    responses=responses(Job, Unauthenticated, *STORE, status=HTTPStatus.ACCEPTED, description=ACCEPTED),
    operation_id="rollback_run",
)
def rollback_run(run_id: RunId) -> Response[Job]:
    job, _ = jobs.start_run_rollback(_jobs(), run_id, reviewer())
    return _accepted(job)


@router.get(
    "/jobs/<job_id>",
    summary="A background job: status, counts, checkpoint, timestamps, who started it",
    responses=responses(Job, NotFound, *STORE),
    operation_id="get_job",
)
def get_job(job_id: JobId) -> Job:
    return jobs.get_job(_jobs(), job_id)


@router.get(
    "/jobs/<job_id>/results",
    summary="A background job's per-item results so far, in plan order",
    responses=responses(JobResults, NotFound, InvalidRequest, *STORE),
    operation_id="get_job_results",
)
def get_job_results(
    job_id: JobId,
    cursor: Annotated[
        str | None,
        Query(min_length=1, max_length=16, pattern=r"^[0-9]+$", description="next_cursor of the page before"),
    ] = None,
) -> JobResults:
    return jobs.job_results(_jobs(), job_id, cursor)


@router.get(
    "/metrics",
    summary="Queue figures and decision rates",
    responses=responses(None, *STORE),
    operation_id="metrics",
)
def metrics(
    run_id: Annotated[str | None, Query(min_length=1, max_length=ID_MAX, pattern=ID_PATTERN)] = None,
) -> dict[str, Any]:
    return figures.figures(_deps().queue, run_id, failures=_deps().failures)


@router.get(
    "/health",
    summary="The latest aggregate health per object type",
    responses=responses(None, *STORE),
    operation_id="health",
)
def health() -> dict[str, Any]:
    return review.health(_deps())


@router.get(
    "/vocabulary",
    summary="Kinds, statuses, decisions and object types, with their labels",
    responses=responses(Vocabulary, description="The vocabularies"),
    operation_id="get_vocabulary",
)
def get_vocabulary() -> Vocabulary:
    return vocabulary()
