"""``InMemoryMatchIndex``: the ``MatchIndex`` port in memory, for entry-time matching.

It holds, for every blocking rule, the keys of the existing records (sorted 64-bit hashes with the
record's position: 12 bytes a key), the raw values of the matching columns, and how common each
value is (for term frequencies). Given one new or changed record, it computes that record's keys
with the same key functions as batch blocking, looks them up, and scores the few candidates with the
batch model, so entry-time and batch matching agree on what a duplicate is.

A key shared by more records than ``max_block_size`` (a company's main phone line) is stored once
per value of the rule's second key instead (the main line plus the surname), as batch blocking
splits such blocks; lookups split the same way.

Which keys a record has, and how a query record scores against its candidates, are the functions of
``dedup.snapshot.MatchSnapshot``, which the DynamoDB index (``adapters/aws/match_index.py``) uses too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from crm_hygiene.dedup.arrays import Index
from crm_hygiene.dedup.config import FieldKind, MatchConfig
from crm_hygiene.dedup.engine import prepare, score_candidates
from crm_hygiene.dedup.scoring import Model
from crm_hygiene.dedup.snapshot import MatchSnapshot, RuleKeys
from crm_hygiene.models.merge import MatchCandidate
from crm_hygiene.types import RecordId


@dataclass
class _Postings:
    """One rule's keys: sorted key hashes and the record position of each."""

    rule: str
    keys: Index
    rows: npt.NDArray[np.int32]

    @classmethod
    def of(cls, keys: RuleKeys) -> _Postings:
        name_hashes = np.fromiter(map(hash, keys.names), dtype=np.int64, count=len(keys.names))
        hashes = name_hashes[keys.codes] if len(keys.codes) else np.zeros(0, dtype=np.int64)
        order = np.argsort(hashes, kind="stable")
        return cls(keys.rule.name, hashes[order], keys.rows[order].astype(np.int32))

    def lookup(self, hashes: Sequence[int]) -> Index:
        """Positions of the records that share any of these keys."""
        found = []
        for h in hashes:
            lo = int(np.searchsorted(self.keys, h, side="left"))
            hi = int(np.searchsorted(self.keys, h, side="right"))
            if hi > lo:
                found.append(self.rows[lo:hi].astype(np.int64))
        return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)


@dataclass
class InMemoryMatchIndex:
    """The in-memory ``MatchIndex`` (see the module docstring). Build it with ``build``."""

    snapshot: MatchSnapshot
    columns: dict[str, list[str]]
    ids: list[RecordId]
    postings: list[_Postings] = field(default_factory=list)
    removed: set[int] = field(default_factory=set)
    _position: dict[RecordId, int] = field(default_factory=dict)
    _added: dict[str, dict[int, list[int]]] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        columns: Mapping[str, Sequence[str]],
        kinds: Mapping[str, FieldKind],
        ids: Sequence[RecordId],
        *,
        config: MatchConfig | None = None,
        model: Model | None = None,
    ) -> InMemoryMatchIndex:
        """Indexes existing records; trains the model on them unless one is given (a batch run's)."""
        config = config or MatchConfig()
        used = {c: k for c, k in kinds.items() if k not in ("ignore", "record_id") and c in columns}
        kept = {c: list(columns[c]) for c in used}
        table, comparators = prepare(kept, used, config, len(ids))
        if model is None:
            _, model, _ = score_candidates(table, comparators, config)
        snapshot, keys = MatchSnapshot.of(table, comparators, used, config, model)
        index = cls(snapshot, kept, list(ids))
        index._position = {rid: i for i, rid in enumerate(index.ids)}
        index.postings = [_Postings.of(k) for k in keys]
        return index

    @property
    def config(self) -> MatchConfig:
        return self.snapshot.config

    @property
    def model(self) -> Model:
        return self.snapshot.model

    def __len__(self) -> int:
        return len(self.ids) - len(self.removed)

    def add(self, record_id: RecordId, record: Mapping[str, str]) -> None:
        """Adds (or replaces) a record; its keys are looked up from then on."""
        if record_id in self._position:
            self.remove(record_id)
        position = len(self.ids)
        self.ids.append(record_id)
        self._position[record_id] = position
        for column, values in self.columns.items():
            values.append(record.get(column, ""))
        for rule, hashes in self._query_keys(record).items():
            added = self._added.setdefault(rule, {})
            for h in hashes:
                added.setdefault(h, []).append(position)

    def remove(self, record_id: RecordId) -> None:
        """Forgets a record (merged away or deleted in the CRM)."""
        position = self._position.pop(record_id, None)
        if position is not None:
            self.removed.add(position)

    def candidates(self, record: Mapping[str, str], *, limit: int = 10) -> list[MatchCandidate]:
        """The existing records this one may duplicate, best first, at or above the review threshold."""
        rows = self._candidate_rows(record).tolist()
        columns = {c: [values[r] for r in rows] for c, values in self.columns.items()}
        return self.snapshot.score(record, [self.ids[r] for r in rows], columns, limit=limit)

    # --- internals ----------------------------------------------------------------------------------

    def _candidate_rows(self, record: Mapping[str, str]) -> Index:
        cap = self.config.max_block_size
        found: list[Index] = []
        keys = self._query_keys(record)
        for postings in self.postings:
            hashes = keys.get(postings.rule, [])
            rows = postings.lookup(hashes)
            added = self._added.get(postings.rule)
            if added:
                extra = [p for h in hashes for p in added.get(h, [])]
                rows = np.concatenate((rows, np.asarray(extra, dtype=np.int64)))
            found.append(rows[:cap] if len(rows) > cap else rows)
        if not found:
            return np.zeros(0, dtype=np.int64)
        rows = np.unique(np.concatenate(found))
        if self.removed:
            rows = rows[~np.isin(rows, list(self.removed))]
        return rows

    def _query_keys(self, record: Mapping[str, str]) -> dict[str, list[int]]:
        """Per rule, the hashes of the record's keys (in key order)."""
        keys = self.snapshot.keys_of(self.snapshot.table_of([record]))
        return {
            k.rule.name: [hash(name) for name in sorted(k.names[c] for c in k.codes.tolist())] for k in keys
        }
