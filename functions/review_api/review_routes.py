"""Routes of the review API. The handler builds the app; dependencies arrive via ``router.context``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import BaseModel, ConfigDict, Field

from crm_hygiene.errors import HygieneError
from crm_hygiene.models.audit import AuditEntry
from crm_hygiene.models.review import ReviewDecision, ReviewItemView
from crm_hygiene.services.review import core as review
from crm_hygiene.services.review.core import DecisionResult, ReviewDeps
from crm_hygiene.services.review.vocabulary import Vocabulary, vocabulary
from crm_hygiene.types import ChangeStatus, ObjectType

router = APIGatewayRouter()
PAGE = Path(__file__).with_name("static") / "index.html"


class Unauthenticated(HygieneError):
    """No reviewer identity in the request (API Gateway auth should have refused it)."""


class ReviewPage(BaseModel):
    items: list[ReviewItemView]
    next_cursor: str | None = None


class ReviewDetail(BaseModel):
    item: ReviewItemView
    history: list[AuditEntry]


class BulkDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    review_id: str
    decision: ReviewDecision


class BulkRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # ~6 DynamoDB/SQS/Step Functions calls a decision: 200 fit in API Gateway's 29 s with room to spare
    decisions: list[BulkDecision] = Field(min_length=1, max_length=200)


class BulkResult(BaseModel):
    results: list[DecisionResult]


def _deps() -> ReviewDeps:
    deps: ReviewDeps = router.context["deps"]
    return deps


def reviewer() -> str:
    """Who is deciding: the Cognito user, else the IAM caller; recorded in the audit trail."""
    context = router.current_event.request_context
    claims = (context.authorizer.raw_event or {}).get("claims") if context.authorizer else None
    if isinstance(claims, dict):
        for key in ("email", "cognito:username", "sub"):
            if claims.get(key):
                return str(claims[key])
    identity = context.identity
    who = identity.user_arn or identity.caller or identity.user
    if not who:
        raise Unauthenticated("no reviewer identity in the request")
    return str(who)


@router.get("/reviews")
def list_reviews(
    status: Annotated[ChangeStatus | None, Query()] = None,
    kind: Annotated[str | None, Query()] = None,
    object_type: Annotated[ObjectType | None, Query()] = None,
    run_id: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query()] = None,
) -> ReviewPage:
    items, nxt = _deps().queue.list(status=status, kind=kind, object_type=object_type, run_id=run_id,
                                    limit=limit, cursor=cursor)  # fmt: skip
    return ReviewPage(items=[i.view() for i in items], next_cursor=nxt)


@router.get("/reviews/<review_id>")
def get_review(review_id: str) -> ReviewDetail:
    item, history = review.item_detail(_deps(), review_id)
    return ReviewDetail(item=item.view(), history=history)


@router.post("/reviews/<review_id>/decision")
def decide(review_id: str, decision: Annotated[ReviewDecision, Body()]) -> ReviewItemView:
    return review.decide(_deps(), review_id, decision, reviewer()).view()


@router.post("/reviews/decisions")
def decide_many(request: Annotated[BulkRequest, Body()]) -> BulkResult:
    pairs = [(d.review_id, d.decision) for d in request.decisions]
    return BulkResult(results=review.decide_many(_deps(), pairs, reviewer()))


@router.post("/changes/<review_id>/rollback")
def rollback_change(review_id: str) -> ReviewItemView:
    return review.rollback_change(_deps(), review_id, reviewer()).view()


@router.post("/runs/<run_id>/rollback")
def rollback_run(run_id: str) -> BulkResult:
    return BulkResult(results=review.rollback_run(_deps(), run_id, reviewer()))


@router.get("/metrics")
def metrics(run_id: Annotated[str | None, Query()] = None) -> dict[str, Any]:
    return review.metrics(_deps(), run_id)


@router.get("/health")
def health() -> dict[str, Any]:
    return review.health(_deps())


@router.get(
    "/vocabulary",
    summary="Kinds, statuses, decisions and object types, with their labels",
    responses={
        200: {"description": "The vocabularies", "content": {"application/json": {"model": Vocabulary}}}
    },
)
def get_vocabulary() -> Vocabulary:
    return vocabulary()


@router.get("/", include_in_schema=False)
def page() -> Response[str]:
    return Response(
        status_code=200, content_type="text/html; charset=utf-8", body=PAGE.read_text(encoding="utf-8")
    )
