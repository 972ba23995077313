"""Merge routes of the review API: undo a performed merge (``services/merge/unmerge.py``)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from review_errors import STORE, Unauthenticated, responses
from review_routes import ReviewId, reviewer

from crm_hygiene.errors import Conflict, HygieneError, NotFound
from crm_hygiene.models.unmerge import UnmergeResult
from crm_hygiene.services.merge.unmerge import unmerge
from crm_hygiene.services.review.core import ReviewDeps

router = APIGatewayRouter()


def _deps() -> ReviewDeps:
    deps: ReviewDeps | None = router.context.get("deps")
    if deps is None:
        raise HygieneError("the review API has no dependencies bound")
    return deps


@router.post(
    "/merges/<review_id>/unmerge",
    summary="Undo a performed merge: the merged-away records back, the survivor's fields back",
    description=(
        "Reinstates the merged-away records (internal CRM) or recreates each as a new record from its "
        "before-image (HubSpot), re-associated, with the old -> new id mapping; the survivor's fields "
        "the merge changed and nobody changed since go back, the others become review items. "
        "409 when the merge was never performed or was already unmerged (the message says when)."
    ),
    responses=responses(UnmergeResult, Unauthenticated, NotFound, Conflict, *STORE),
    operation_id="unmerge",
)
def unmerge_route(review_id: ReviewId) -> UnmergeResult:
    deps = _deps()
    return unmerge(review_id, reviewer(), queue=deps.queue, crm=deps.crm, audit=deps.audit)
