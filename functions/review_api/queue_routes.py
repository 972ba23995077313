"""Routes of the review API over the queue as a whole: counts under a filter, and one decision for
everything a filter matches (a background job). Dependencies arrive via ``review_routes.router``'s
context, as for every route of the app."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.models import Example
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import BaseModel, ConfigDict, Field
from review_errors import STORE, Unauthenticated, responses
from review_routes import ACCEPTED, ID_MAX, ID_PATTERN, SEARCH, _accepted, _deps, _jobs, reviewer

from crm_hygiene.errors import InvalidRequest
from crm_hygiene.models.jobs import FilterSelection, Job
from crm_hygiene.models.review import ReviewDecision
from crm_hygiene.models.review_query import ReviewCounts, ReviewFilter
from crm_hygiene.services.review import jobs
from crm_hygiene.types import ChangeStatus, DecidableStatus, ObjectType, QueueKind

router = APIGatewayRouter()  # type: ignore[no-untyped-call]  # powertools: not fully typed

BY_FILTER = {
    "approve_phones": Example(
        summary="Approve every queued phone normalization",
        value={"filter": {"status": "queued", "kind": "malformed", "field": "phone"},
               "decision": {"decision": "approve"}},
    ),
    "reject_search": Example(
        summary="Reject everything queued about one company",
        value={"filter": {"status": "queued", "q": "globex"},
               "decision": {"decision": "reject", "note": "handled by the account team"}},
    ),
}  # fmt: skip


class DecidableFilter(ReviewFilter):
    """A queue filter whose status, when given, is one a decision applies to (without one: every
    item awaiting a decision that matches the rest)."""

    status: DecidableStatus | None = None


class FilterDecisionRequest(BaseModel):
    """One decision for every item awaiting one that matches ``filter``."""

    model_config = ConfigDict(extra="forbid")

    filter: DecidableFilter = Field(default_factory=DecidableFilter)
    decision: ReviewDecision


@router.get(
    "/reviews/counts",
    summary="How many items match the filters: in all, per status, kind, field and object type",
    responses=responses(ReviewCounts, *STORE),
    operation_id="count_reviews",
)
def count_reviews(
    status: Annotated[ChangeStatus | None, Query()] = None,
    kind: Annotated[QueueKind | None, Query()] = None,
    object_type: Annotated[ObjectType | None, Query()] = None,
    field: Annotated[str | None, Query(min_length=1, max_length=128, description="A field name")] = None,
    run_id: Annotated[str | None, Query(min_length=1, max_length=ID_MAX, pattern=ID_PATTERN)] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=200, description=SEARCH)] = None,
) -> ReviewCounts:
    where = ReviewFilter(status=status, kind=kind, object_type=object_type, field=field, run_id=run_id, q=q)
    return _deps().queue.counts(where)


@router.post(
    "/reviews/decisions/by-filter",
    summary="Decide every item awaiting a decision that matches a filter, as a background job (202); "
    "each item is validated and audited as a single decision, its error in the job's results",
    responses=responses(
        Job, Unauthenticated, InvalidRequest, *STORE, status=HTTPStatus.ACCEPTED, description=ACCEPTED
    ),
    operation_id="decide_by_filter",
)
def decide_by_filter(
    request: Annotated[FilterDecisionRequest, Body(openapi_examples=BY_FILTER)],
) -> Response[Job]:
    where = ReviewFilter.model_validate(request.filter.model_dump())
    selection = FilterSelection(filter=where, decision=request.decision)
    job, _ = jobs.start_filter_decisions(_jobs(), selection, reviewer())
    return _accepted(job)
