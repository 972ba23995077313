"""Duplicate check at entry: one new or changed record against the match index of existing records.

The index (``dedup.index.InMemoryMatchIndex``, trained on the CRM's own records) returns scored
candidates; the best one becomes a two-member merge proposal with the same survivorship, evidence
and decision band as a batch run's, unless a reviewer already rejected it.
"""

from __future__ import annotations

from collections.abc import Sequence

from crm_hygiene.dedup.index import InMemoryMatchIndex
from crm_hygiene.dedup.kinds import CANONICAL_KINDS
from crm_hygiene.dedup.proposals import band_of, summary_of
from crm_hygiene.dedup.survivorship import Member, survive
from crm_hygiene.models.merge import MergeProposal, PairEvidence, pair_key
from crm_hygiene.models.record import Record
from crm_hygiene.normalize.date import parse_instant
from crm_hygiene.ports import CrmStore, DecisionMemory, MatchIndex
from crm_hygiene.standard.model import DataStandard
from crm_hygiene.types import ObjectType


def build_index(crm: CrmStore, object_type: ObjectType, page: int = 500) -> InMemoryMatchIndex | None:
    """The match index of every record of one type, read through the CRM port (None: too few records)."""
    kinds = CANONICAL_KINDS[object_type]
    columns: dict[str, list[str]] = {name: [] for name in kinds}
    ids: list[str] = []
    cursor: str | None = None
    while True:
        result = crm.list_records(object_type, cursor=cursor, limit=page)
        for record in result.records:
            ids.append(record.record_id)
            for name, values in columns.items():
                values.append(record.get(name))
        cursor = result.next_cursor
        if cursor is None:
            break
    return InMemoryMatchIndex.build(columns, kinds, ids) if len(ids) >= 2 else None


def _member(record: Record) -> Member:
    active = parse_instant(record.get("last_activity_at")) or parse_instant(record.get("updated_at"))
    return Member(
        record_id=record.record_id,
        fields=dict(record.fields),
        source=record.source,
        created=parse_instant(record.get("created_at")),
        active=active,
    )


def entry_proposal(
    record: Record,
    index: MatchIndex,
    crm: CrmStore,
    standard: DataStandard,
    *,
    standard_valid: bool = True,
    memory: DecisionMemory | None = None,
) -> MergeProposal | None:
    """A merge proposal for ``record`` and its best match among existing records, if it has one."""

    def rejected(other: str) -> bool:
        return memory is not None and memory.was_rejected(
            pair_key(record.object_type, other, record.record_id)
        )

    candidates = index.candidates(record.fields, limit=3)
    best = next(
        (c for c in candidates if c.record_id != record.record_id and not rejected(c.record_id)), None
    )
    if best is None:
        return None
    existing = crm.get_records(record.object_type, [best.record_id])
    if not existing:
        return None
    members: Sequence[Member] = [_member(existing[0]), _member(record)]
    rules = standard.for_object(record.object_type)
    outcome = survive(members, standard.match.survivorship, rules.is_protected)
    evidence = PairEvidence(
        id_l=best.record_id,
        id_r=record.record_id,
        match_probability=best.match_probability,
        direct_probability=best.match_probability,
        contributions=best.contributions,
    )
    proposal = MergeProposal(
        object_type=record.object_type,
        members=(best.record_id, record.record_id),
        match_probability=best.match_probability,
        suggested_primary=outcome.primary.record_id,
        primary_reason=outcome.reason,
        field_winners=outcome.winners,
        protected_conflicts=outcome.conflicts,
        evidence=(evidence,),
        evidence_summary=summary_of(evidence, 1),
    )
    band, reason = band_of(proposal, standard, standard_valid, standard.match, memory)
    if band is None:
        return None  # a reviewer rejected this same merge before
    return proposal.model_copy(update={"band": band, "band_reason": reason})
