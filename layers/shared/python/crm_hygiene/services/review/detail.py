"""What a reviewer sees of one item beyond the queue row: the record's current values in the CRM and,
for a merge, every member's values side by side with the field winners and why each won.

The winners come from the one survivorship code (``services.members.field_winners``, what the merge
writes): the proposal's around its suggested primary, recomputed around another member when the
reviewer picked it (``primary_id``) or asks how it would look (``GET /reviews/{id}?primary_id=``).
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

from crm_hygiene.errors import InvalidRequest, NotFound
from crm_hygiene.models.merge import FieldWinner
from crm_hygiene.models.record import Record
from crm_hygiene.models.review import ReviewItem
from crm_hygiene.services.members import field_winners
from crm_hygiene.services.review.core import ReviewDeps
from crm_hygiene.types import FIELD_RULES, FieldName, RecordId

_VIEW = ConfigDict(frozen=True, extra="forbid")


class MemberValues(BaseModel):
    """One member of a merge as the CRM holds it now.

    Attributes:
        values: Its fields (canonical names, then custom ones); empty when the CRM no longer answers it
            under its own id (merged away).
        primary: The member the others merge into (the reviewer's choice, else the suggestion).
        in_crm: Whether the CRM answered it under its own id.
    """

    model_config = _VIEW

    record_id: RecordId
    values: dict[str, str]
    primary: bool
    in_crm: bool = True


class WinnerView(BaseModel):
    """The value one field keeps after the merge, the member it comes from, and why, in words."""

    model_config = _VIEW

    field: FieldName
    value: str
    record_id: RecordId
    rule: str
    why: str


class ItemContext(BaseModel):
    """The CRM side of an item: the record now, and for merges the members and the winners."""

    model_config = _VIEW

    record: dict[str, str] | None = Field(
        default=None, description="The record's current values in the CRM; null when it is not there"
    )
    members: list[MemberValues] | None = None
    winners: list[WinnerView] | None = None
    primary_id: RecordId | None = Field(default=None, description="Merges: the member the winners are around")


def _values(record: Record) -> dict[str, str]:
    return {**record.fields, **{k: v for k, v in record.custom.items() if k not in record.fields}}


def item_context(deps: ReviewDeps, item: ReviewItem, primary_id: RecordId | None = None) -> ItemContext:
    """The record's current values, and for a merge its members and field winners around
    ``primary_id`` (default: the reviewer's chosen primary, else the suggested one).

    Raises:
        InvalidRequest: ``primary_id`` given for an item that is not a merge, or not one of its members.
    """
    proposal = item.proposal
    if proposal is None:
        if primary_id is not None:
            raise InvalidRequest(f"review {item.review_id} is not a merge: it has no primary to choose")
        records = deps.crm.get_records(item.object_type, [item.record_id])
        found = next((r for r in records if r.record_id == item.record_id), None)
        return ItemContext(record=_values(found) if found is not None else None)
    chosen = item.final_value if item.final_value in proposal.members else None
    primary = primary_id or chosen or proposal.suggested_primary
    if primary not in proposal.members:
        joined = ", ".join(proposal.members)
        raise InvalidRequest(f"primary_id {primary} is not one of the records this merge joins ({joined})")
    by_id = {r.record_id: r for r in deps.crm.get_records(proposal.object_type, list(proposal.members))}
    members = [
        MemberValues(
            record_id=m,
            values=_values(by_id[m]) if m in by_id else {},
            primary=m == primary,
            in_crm=m in by_id,
        )
        for m in proposal.members
    ]
    record = by_id.get(item.record_id)
    try:
        winners = field_winners(proposal, primary, deps.crm, deps.standard)
    except NotFound:  # the chosen member is gone from the CRM: nothing to recompute around
        winners = {}
    return ItemContext(
        record=_values(record) if record is not None else None,
        members=members,
        winners=_explained(winners, {c.field for c in proposal.protected_conflicts}),
        primary_id=primary,
    )


def _explained(winners: Mapping[FieldName, FieldWinner], conflicts: set[FieldName]) -> list[WinnerView]:
    views = []
    for name, winner in sorted(winners.items()):
        why = f"{FIELD_RULES[winner.rule]}, from record {winner.source_record}"
        if name in conflicts:
            why += "; a protected field whose members disagree: it keeps the primary's value"
        if winner.alternatives:
            why += f"; other values: {', '.join(winner.alternatives)}"
        views.append(WinnerView(field=name, value=winner.value, record_id=winner.source_record,
                                rule=winner.rule, why=why))  # fmt: skip
    return views
