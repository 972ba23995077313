"""The survivorship view of a record, one for every driver: the weekly scan, the entry check and a
merge recomputed for a reviewer-chosen primary.

Its own module beside the use-case folders so that dedup and merge both build on it without a
services.dedup <-> services.merge cycle (dedup's drivers start merges).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from crm_hygiene.dedup.config import FieldKind
from crm_hygiene.dedup.kinds import CANONICAL_KINDS
from crm_hygiene.dedup.survivorship import META_FIELDS, Member, survive
from crm_hygiene.errors import NotFound
from crm_hygiene.models.merge import FieldWinner, MergeProposal
from crm_hygiene.models.record import Record
from crm_hygiene.normalize.date import parse_instant
from crm_hygiene.ports import CrmStore
from crm_hygiene.standard.consent import mentions_contact
from crm_hygiene.standard.model import DataStandard, ObjectStandard
from crm_hygiene.types import FieldName, RecordId

_OWNER_FIELDS: tuple[FieldName, ...] = ("owner",)


def survivorship_fields(
    record: Record, standard: DataStandard | None
) -> tuple[dict[FieldName, FieldKind], tuple[FieldName, ...], tuple[str, ...]]:
    """What a duplicate check keeps of a record of this shape: (matching fields and their kinds, the
    fields survivorship sees: matching, owner and protected ones, the protected custom fields)."""
    kinds = CANONICAL_KINDS[record.object_type]
    matching = [n for n in record.fields if kinds.get(n, "ignore") not in ("ignore", "record_id")]
    rules = standard.for_object(record.object_type) if standard is not None else None
    protected = [n for n in record.fields if rules is not None and rules.is_protected(n)]
    kept = tuple(dict.fromkeys([*matching, *_OWNER_FIELDS, *protected]))
    # protected custom columns, and those a group's values may show to be permissions (yes/no
    # columns about contacting someone: ``protection_of`` decides per group)
    custom = tuple(
        n for n in record.custom if rules is not None and (rules.is_protected(n) or mentions_contact(n))
    )
    return {n: kinds[n] for n in matching}, kept, custom


def protection_of(rules: ObjectStandard | None, members: Sequence[Member]) -> Callable[[FieldName], bool]:
    """Which fields a group protects: the standard's one rule (``ObjectStandard.is_protected``), each
    field judged with its values across the members, so a yes/no contact-permission column is
    protected by its values' shape as well as by its name. Survivorship keeps the primary's value of
    a protected field and a merge whose members differ in one goes to a person."""
    if rules is None:
        return lambda _: False
    return lambda name: rules.is_protected(name, [m.fields.get(name, "") for m in members])


def member_of(record: Record, fields: Sequence[FieldName], custom: Sequence[str] = ()) -> Member:
    """The survivorship view of a record: the one way the weekly scan and the entry check see it.

    Args:
        record: The record.
        fields: The canonical fields survivorship compares (``survivorship_fields``).
        custom: The custom fields it compares (protected ones).

    ``active`` is the last recorded activity only: a modification time moves with every sync and
    with our own writes, so it says nothing about which record people use. Both dates keep their
    full resolution. ``filled`` counts every non-blank field but ids and timestamps.
    """
    values = {name: record.fields.get(name, "") for name in fields}
    values.update({name: record.custom.get(name, "") for name in custom})
    filled = sum(1 for name, v in record.fields.items() if name not in META_FIELDS and v.strip())
    return Member(
        record_id=record.record_id,
        fields=values,
        source=record.source,
        created=parse_instant(record.get("created_at")),
        active=parse_instant(record.get("last_activity_at")),
        filled=min(filled, 32767),
    )


def field_winners(
    proposal: MergeProposal, primary: RecordId, crm: CrmStore, standard: DataStandard
) -> Mapping[FieldName, FieldWinner]:
    """The field winners of a merge kept around ``primary`` (with their rules and source records):
    the proposal's own around its suggested primary, else survivorship run again around ``primary``
    over the members' current values (what ``winners_for`` writes; the review API shows them).

    Raises:
        NotFound: ``primary`` is no longer in the CRM.
    """
    if primary == proposal.suggested_primary:
        return proposal.field_winners
    records = crm.get_records(proposal.object_type, list(proposal.members))
    chosen = next((r for r in records if r.record_id == primary), None)
    if chosen is None:
        raise NotFound(f"the chosen primary {primary} is not in the CRM")
    _, kept, custom = survivorship_fields(chosen, standard)  # the fields the proposal's winners cover
    members = [member_of(r, kept, custom) for r in records]
    rules = standard.for_object(proposal.object_type)
    protected = protection_of(rules, members)  # the one rule, with the members' values
    return survive(members, standard.match.survivorship, protected, primary).winners
