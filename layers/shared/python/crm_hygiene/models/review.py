"""Review-queue items (the change queue) and the decisions reviewers send.

``ReviewItem`` is the domain value; adapters map it to and from their persisted shape explicitly.
``ReviewItemView`` is what the API returns: it never carries the workflow task token.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from crm_hygiene.models.merge import MergeProposal
from crm_hygiene.types import (
    ChangeKind,
    ChangeStatus,
    Confidence,
    FieldName,
    ObjectType,
    QueueDecision,
    QueueKind,
    RecordId,
)

HumanDecision = Literal["approved", "rejected", "edited"]
"""What a person decided on an item (``ReviewItem.decided_as``): set by a reviewer's decision only,
never by apply, rollback or the system, so figures over human decisions count people."""

# Which statuses may follow which (the change lifecycle in ARCHITECTURE.md).
TRANSITIONS: dict[ChangeStatus, frozenset[ChangeStatus]] = {
    "proposed": frozenset({"auto_applied", "queued", "blocked", "suppressed"}),
    "queued": frozenset({"approved", "rejected", "edited", "suppressed"}),
    "blocked": frozenset({"approved", "rejected", "edited"}),
    "auto_applied": frozenset({"applied", "conflict", "failed"}),
    "approved": frozenset({"applied", "conflict", "failed"}),
    "edited": frozenset({"applied", "conflict", "failed"}),
    "conflict": frozenset({"approved", "rejected", "edited"}),
    # a failed item is retried by redelivery (failed -> applied | conflict | failed) or re-decided
    "failed": frozenset({"approved", "rejected", "edited", "applied", "conflict", "failed"}),
    "applied": frozenset({"rolled_back"}),
    "rejected": frozenset(),
    "suppressed": frozenset(),
    "rolled_back": frozenset(),
}


def _now() -> datetime:
    return datetime.now(UTC)


class _ReviewFields(BaseModel):
    """What a review item holds, apart from the workflow's task token."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    review_id: str
    run_id: str
    kind: QueueKind
    change_kind: ChangeKind
    object_type: ObjectType
    record_id: RecordId
    field: FieldName
    current_value: str
    suggested_value: str
    evidence: str
    confidence: Confidence
    protected: bool
    decision: QueueDecision
    status: ChangeStatus
    source: str
    created_at: datetime = Field(default_factory=_now)
    updated_at: datetime = Field(default_factory=_now)
    reviewer: str | None = None
    decided_by: str | None = None
    decided_as: HumanDecision | None = None
    note: str | None = None
    final_value: str | None = None
    proposal: MergeProposal | None = None
    priority: Literal["high", "normal"] = "normal"
    label: str = Field(
        default="",
        description="Who the item is about, in words: the record's name, e-mail and company (a merge: "
        "every member's); what the queue's search finds besides the ids. Empty on items queued before "
        "it existed.",
    )
    version: int = 0


class ReviewItem(_ReviewFields):
    """One queued change or merge, with its whole story so far.

    Attributes:
        review_id: The change's stable ``change_id`` (or the merge's id): enqueueing twice is a no-op.
        change_kind: normalize, enrich, fill_derived, flag (a finding with no change) or merge.
        final_value: What was (or will be) written: the suggestion, or a reviewer's edit.
        decided_by / decided_as: Who decided it and what they decided (a human decision only; the
            last one when an item was re-decided). ``reviewer`` is whoever last acted on it.
        current_value: The value the change expects the CRM to hold (its write is optimistic): the
            value when proposed, the CRM's value read when a reviewer gave a finding a value, or the
            CRM's value found by a conflicting write (re-approving then writes against it).
        proposal: For merges, the proposal (members, suggested primary, field winners, evidence).
        priority: ``high`` for an item a person must see first (a value a failed write must get back).
        label: The record's name, e-mail and company when it was queued (``record_label``), for the
            console and the search; a copy, never read back into the CRM.
        task_token: The merge workflow's token while it waits; never leaves the server.
        version: Bumped on every status change (optimistic concurrency between reviewers).
    """

    task_token: str | None = Field(default=None, repr=False)

    @property
    def is_change(self) -> bool:
        """Whether approving it writes a value: a flag (a finding) only asks a person to look, until
        the person gives it a value (edit-and-approve), which makes it the change it implies."""
        return self.change_kind != "flag" or self.final_value is not None

    @property
    def value_to_write(self) -> str:
        """What applying it writes: the reviewer's value, else the suggestion."""
        return self.final_value if self.final_value is not None else self.suggested_value

    def view(self) -> ReviewItemView:
        return ReviewItemView.model_validate(self.model_dump(exclude={"task_token"}))


class ReviewItemView(_ReviewFields):
    """A review item as the API shows it: everything but the task token."""


class Approve(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve"]
    note: str | None = None
    primary_id: RecordId | None = Field(
        default=None, description="Merges: keep this record instead of the suggested one"
    )


class Reject(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["reject"]
    note: str | None = Field(default=None, description="Why; remembered so the proposal is not raised again")


class EditAndApprove(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["edit_and_approve"]
    value: str = Field(min_length=1, description="The value to write instead of the suggestion (never empty)")
    note: str | None = None


ReviewDecision = Annotated[Approve | Reject | EditAndApprove, Field(discriminator="decision")]


def advance(item: ReviewItem, status: ChangeStatus, **changes: Any) -> ReviewItem:
    """``item`` moved to ``status`` with ``changes``, its version bumped; ``ValueError`` if illegal.

    Every ``ChangeQueue`` implementation calls this, then stores the result only if the stored
    version is still ``item.version``.
    """
    if status not in TRANSITIONS[item.status] and status != item.status:
        raise ValueError(f"review {item.review_id}: cannot go from {item.status} to {status}")
    unknown = set(changes) - set(ReviewItem.model_fields)
    if unknown:
        raise ValueError(f"unknown review item fields: {sorted(unknown)}")
    return item.model_copy(
        update={**changes, "status": status, "version": item.version + 1, "updated_at": _now()}
    )
