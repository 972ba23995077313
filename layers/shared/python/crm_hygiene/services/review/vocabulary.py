"""The closed vocabularies the review console shows (kinds, statuses, decisions, object types).

The console fills its filters from ``GET /vocabulary`` instead of listing members in its HTML, so a
new finding kind or status shows up there by being added to ``crm_hygiene.types``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from crm_hygiene.models.review import TRANSITIONS
from crm_hygiene.services.apply.core import APPLICABLE
from crm_hygiene.services.review.core import DECIDABLE
from crm_hygiene.types import (
    DECISIONS,
    FINDING_MEANINGS,
    OBJECT_TYPES,
    QUEUE_MEANINGS,
    STATUS_LABELS,
    ChangeStatus,
    ObjectType,
    QueueDecision,
    QueueKind,
)

_VIEW = ConfigDict(frozen=True, extra="forbid")


class KindView(BaseModel):
    """A queue kind and what it means (``types.QUEUE_MEANINGS``).

    Attributes:
        kind: The value of the queue's ``kind`` column.
        label: Human text.
        finding: A check finding (else a proposal: duplicate, enrichment, job change).
        trust: A finding of this kind lowers the record's trust.
        enrichable: Enrichment may fill the field.
        summary_key: The measurement figure counting records with it, if any.
    """

    model_config = _VIEW

    kind: QueueKind
    label: str
    finding: bool
    trust: bool
    enrichable: bool
    summary_key: str | None


class StatusView(BaseModel):
    """A change status and what a reviewer may do with an item in it.

    Attributes:
        status: The status.
        label: Human text.
        decidable: A reviewer may approve, edit or reject it.
        applicable: The apply step carries it out.
        terminal: Nothing follows it.
        rollback: It may be rolled back.
    """

    model_config = _VIEW

    status: ChangeStatus
    label: str
    decidable: bool
    applicable: bool
    terminal: bool
    rollback: bool


class DecisionView(BaseModel):
    """A queue decision and the status it leads to.

    Attributes:
        decision: The decision.
        label: Human text.
        status: The status a change with it is queued in.
        merge_status: The status a merge proposal with it is queued in.
    """

    model_config = _VIEW

    decision: QueueDecision
    label: str
    status: ChangeStatus
    merge_status: ChangeStatus


class Vocabulary(BaseModel):
    """Every closed vocabulary the console filters or labels by, in display order."""

    model_config = _VIEW

    kinds: list[KindView]
    statuses: list[StatusView]
    decisions: list[DecisionView]
    object_types: list[ObjectType]


def vocabulary() -> Vocabulary:
    """The vocabularies, built from their one definition in ``crm_hygiene.types``."""
    return Vocabulary(
        kinds=[
            KindView(
                kind=kind,
                label=m.label,
                finding=kind in FINDING_MEANINGS,
                trust=m.trust,
                enrichable=m.enrichable,
                summary_key=m.summary_key,
            )
            for kind, m in QUEUE_MEANINGS.items()
        ],
        statuses=[
            StatusView(
                status=status,
                label=label,
                decidable=status in DECIDABLE,
                applicable=status in APPLICABLE,
                terminal=not TRANSITIONS[status],
                rollback="rolled_back" in TRANSITIONS[status],
            )
            for status, label in STATUS_LABELS.items()
        ],
        decisions=[
            DecisionView(decision=d, label=m.label, status=m.status, merge_status=m.merge_status)
            for d, m in DECISIONS.items()
        ],
        object_types=list(OBJECT_TYPES),
    )
