"""Duplicate check at entry: one new or changed record against the match index of existing records.

The index returns scored candidates; the best one becomes a two-member merge proposal with the same
survivorship, evidence and decision band as a batch run's, unless a reviewer already rejected it.
Which index: the one the last scan's Finalize stored (``save_index``; DynamoDB in the pipeline),
opened by ``IndexCache``; until a scan stored one, an ``InMemoryMatchIndex`` built from the CRM
(``build_index``: one read of every record).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from crm_hygiene.dedup.config import MatchConfig
from crm_hygiene.dedup.index import InMemoryMatchIndex
from crm_hygiene.dedup.kinds import CANONICAL_KINDS
from crm_hygiene.dedup.survivorship import Member, survive
from crm_hygiene.models.merge import MergeProposal, PairEvidence, pair_key
from crm_hygiene.models.record import Record
from crm_hygiene.ports import CrmStore, DecisionMemory, MatchIndex, MatchIndexStore, every_record
from crm_hygiene.services.dedup.core import ScanDuplicates
from crm_hygiene.services.dedup.proposals import band_of, summary_of
from crm_hygiene.services.members import member_of, protection_of, survivorship_fields
from crm_hygiene.standard.model import DataStandard
from crm_hygiene.types import ObjectType


def build_index(crm: CrmStore, object_type: ObjectType, page: int = 500) -> InMemoryMatchIndex | None:
    """The match index of every record of one type, read through the CRM port (None: too few records)."""
    kinds = CANONICAL_KINDS[object_type]
    columns: dict[str, list[str]] = {name: [] for name in kinds}
    ids: list[str] = []
    for record in every_record(crm, object_type, page):
        ids.append(record.record_id)
        for name, values in columns.items():
            values.append(record.get(name))
    return InMemoryMatchIndex.build(columns, kinds, ids) if len(ids) >= 2 else None


def open_index(store: MatchIndexStore | None, crm: CrmStore, object_type: ObjectType) -> MatchIndex | None:
    """The stored index when a scan saved one for this type; else (first deploy, before any scan
    finished) the index built from the CRM, which reads every record once."""
    stored = store.open(object_type) if store is not None else None
    return stored if stored is not None else build_index(crm, object_type)


@dataclass
class IndexCache:
    """A container's match indexes, one per object type, opened on first use (``open_index``) and
    reopened when the stored snapshot changed (a scan finished), checked every ``max_age`` seconds
    with one read of the snapshot's head item."""

    max_age: float = 300.0
    clock: Callable[[], float] = time.monotonic
    _open: dict[ObjectType, tuple[MatchIndex | None, str | None, float]] = field(default_factory=dict)

    def get(self, store: MatchIndexStore | None, crm: CrmStore, object_type: ObjectType) -> MatchIndex | None:
        now = self.clock()
        cached = self._open.get(object_type)
        if cached is not None and now - cached[2] < self.max_age:
            return cached[0]
        generation = store.generation(object_type) if store is not None else None
        if cached is not None and generation == cached[1]:
            self._open[object_type] = (cached[0], generation, now)
            return cached[0]
        index = open_index(store, crm, object_type)
        self._open[object_type] = (index, generation, now)
        return index

    def clear(self) -> None:
        self._open.clear()


def save_index(store: MatchIndexStore, finder: ScanDuplicates) -> dict[str, int]:
    """Saves the index of the records a scan's duplicate finder just matched: the batch's model,
    config and features (nothing is computed twice), every record's fields and keys."""
    from crm_hygiene.dedup.snapshot import MatchSnapshot, keys_by_row

    projection, result = finder.projection, finder.result
    if projection is None or result is None or result.n < 2 or not result.comparators:
        return {}
    config = finder.standard.match if finder.standard is not None else MatchConfig()
    snapshot, keys = MatchSnapshot.of(
        result.table, result.comparators, projection.kinds, config, result.model
    )
    columns = snapshot.columns

    def records() -> Iterator[tuple[str, Mapping[str, str], Sequence[str]]]:
        for row, row_keys in enumerate(keys_by_row(keys, result.n)):
            fields = {c: projection.columns[c][row] for c in columns if c in projection.columns}
            yield projection.ids[row], fields, row_keys

    return store.save(projection.object_type, snapshot, records())


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
    _, kept, custom = survivorship_fields(record, standard)
    members: Sequence[Member] = [member_of(r, kept, custom) for r in (existing[0], record)]
    rules = standard.for_object(record.object_type)
    outcome = survive(members, standard.match.survivorship, protection_of(rules, members))
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
