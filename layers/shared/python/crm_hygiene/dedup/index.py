"""``InMemoryMatchIndex``: the ``MatchIndex`` port in memory, for entry-time matching.

It holds, for every blocking rule, the keys of the existing records (sorted 64-bit hashes with the
record's position: 12 bytes a key), the raw values of the matching columns, and how common each
value is (for term frequencies). Given one new or changed record, it computes that record's keys
with the same key functions as batch blocking, looks them up, and scores the few candidates with the
batch model, so entry-time and batch matching agree on what a duplicate is.

A key shared by more records than ``max_block_size`` (a company's main phone line) is stored once
per value of the rule's second key instead (the main line plus the surname), as batch blocking
splits such blocks; lookups split the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from crm_hygiene.dedup.blocking import BlockingRule, distinct_inputs, every_value, record_keys
from crm_hygiene.dedup.comparators import Comparator
from crm_hygiene.dedup.config import FieldKind, MatchConfig
from crm_hygiene.dedup.engine import conflict_mask, prepare, rules_for, score_candidates
from crm_hygiene.dedup.features import Population, Table
from crm_hygiene.dedup.scoring import Model, compare_all, identical, probability_of
from crm_hygiene.models.merge import Contribution, MatchCandidate
from crm_hygiene.types import RecordId

Index = npt.NDArray[np.int64]
_SPLIT = "\x1e"


@dataclass
class _Postings:
    """One rule's keys: sorted key hashes and the record position of each."""

    rule: BlockingRule
    keys: Index
    rows: npt.NDArray[np.int32]
    split: frozenset[int] = frozenset()  # key hashes stored per second-key value instead
    refine: str | None = None

    def lookup(self, hashes: Sequence[int]) -> Index:
        """Positions of the records that share any of these keys."""
        found = []
        for h in hashes:
            lo = int(np.searchsorted(self.keys, h, side="left"))
            hi = int(np.searchsorted(self.keys, h, side="right"))
            if hi > lo:
                found.append(self.rows[lo:hi].astype(np.int64))
        return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)


def _hash(key: str, refine: str = "") -> int:
    return hash(f"{key}{_SPLIT}{refine}" if refine else key)


@dataclass
class InMemoryMatchIndex:
    """The in-memory ``MatchIndex`` (see the module docstring). Build it with ``build``."""

    kinds: dict[str, FieldKind]
    config: MatchConfig
    model: Model
    comparators: list[Comparator]
    columns: dict[str, list[str]]
    ids: list[RecordId]
    population: Population
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
        n = len(ids)
        table, comparators = prepare(kept, used, config, n)
        if model is None:
            model = _train(table, comparators, config)
        index = cls(dict(used), config, model, comparators, kept, list(ids), _population(table, comparators))
        index._position = {rid: i for i, rid in enumerate(index.ids)}
        index.postings = [_postings(table, rule, config) for rule in _applicable(table, config)]
        return index

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
        table = self._table([position])
        for postings in self.postings:
            added = self._added.setdefault(postings.rule.name, {})
            for h in self._query_keys(postings, table):
                added.setdefault(h, []).append(position)

    def remove(self, record_id: RecordId) -> None:
        """Forgets a record (merged away or deleted in the CRM)."""
        position = self._position.pop(record_id, None)
        if position is not None:
            self.removed.add(position)

    def candidates(self, record: Mapping[str, str], *, limit: int = 10) -> list[MatchCandidate]:
        """The existing records this one may duplicate, best first, at or above the review threshold."""
        query = self._table_of([record])
        rows = self._candidate_rows(query)
        if len(rows) == 0:
            return []
        table = self._table_of([record], rows.tolist())
        left = np.zeros(len(rows), dtype=np.int64)
        right = np.arange(1, len(rows) + 1, dtype=np.int64)
        compared = compare_all(table, self.comparators, left, right)
        frequencies = compared.frequencies(np.arange(len(rows), dtype=np.int64))
        contributions = self.model.contributions(compared.levels, frequencies, self.population.n)
        same = identical(table, left, right)
        probability = probability_of(
            self.model.weights(compared.levels, frequencies, self.population.n, same)
        )
        # The batch's vetoes hold at entry too: two people by the CRM's own signals are no candidates.
        vetoed = conflict_mask(compared.levels, self.comparators, self.config.conflict_disagreements)
        probability[vetoed] = 0.0
        order = np.argsort(-probability, kind="stable")
        out = []
        for i in order[:limit].tolist():
            if probability[i] < self.config.threshold:
                break
            evidence = tuple(
                Contribution(comparison=c.name, level=c.levels[int(compared.levels[i, k])],
                             weight=round(float(contributions[i, k]), 2))
                for k, c in enumerate(self.comparators)
                if compared.levels[i, k] != 0
            )  # fmt: skip
            out.append(
                MatchCandidate(
                    record_id=self.ids[int(rows[i])],
                    match_probability=float(probability[i]),
                    contributions=tuple(sorted(evidence, key=lambda c: -abs(c.weight))),
                )
            )
        return out

    # --- internals ----------------------------------------------------------------------------------

    def _candidate_rows(self, query: Table) -> Index:
        cap = self.config.max_block_size
        found: list[Index] = []
        for postings in self.postings:
            hashes = self._query_keys(postings, query)
            rows = postings.lookup(hashes)
            added = self._added.get(postings.rule.name)
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

    def _query_keys(self, postings: _Postings, table: Table) -> list[int]:
        rule = postings.rule
        if not all(name in table for name in rule.inputs):
            return []
        _, joined = distinct_inputs(table, rule.inputs, np.zeros(1, dtype=np.int64))
        keys = sorted(rule.key(joined[0])) if joined else []
        out = []
        for key in keys:
            h = _hash(key)
            if h in postings.split and postings.refine is not None:
                refine = str(table[postings.refine][0]) if postings.refine in table else ""
                if not refine:
                    continue
                h = _hash(key, refine)
            out.append(h)
        return out

    def _table(self, rows: Sequence[int]) -> Table:
        columns = {c: [values[r] for r in rows] for c, values in self.columns.items()}
        return self._prepared(columns, len(rows))

    def _table_of(self, records: Sequence[Mapping[str, str]], rows: Sequence[int] = ()) -> Table:
        columns = {
            c: [r.get(c, "") for r in records] + [values[i] for i in rows]
            for c, values in self.columns.items()
        }
        return self._prepared(columns, len(records) + len(rows))

    def _prepared(self, columns: Mapping[str, Sequence[str]], n: int) -> Table:
        table = Table(n, population=self.population)
        for comparator in self.comparators:
            inputs = [(self.kinds.get(c, "text"), columns[c]) for c in comparator.spec.fields]
            comparator.prepare(table, inputs)
        return table


def _train(table: Table, comparators: list[Comparator], config: MatchConfig) -> Model:
    _, model, _ = score_candidates(table, comparators, config)
    return model


def _population(table: Table, comparators: Sequence[Comparator]) -> Population:
    columns: dict[str, list[str]] = {}
    for comparator in comparators:
        for part in comparator.frequency_parts:
            name = comparator.feature(part)
            if part == "numbers":
                slots = table.extra.get(comparator.feature("slot_columns"), [])
                columns[name] = [v for column in slots for v in column]
            elif name in table:
                columns[name] = list(table[name])
    return Population.of(table.n, columns)


def _applicable(table: Table, config: MatchConfig) -> list[BlockingRule]:
    people = "name.value" in table
    contactable = "email.value" in table or "phone.value" in table
    rules = [replace(r, inputs=every_value(table)) if r.inputs == ("*",) else r for r in rules_for(config)]
    return [
        rule
        for rule in rules
        if all(name in table for name in rule.inputs)
        and rule.people in (None, people)
        and not (rule.fallback and contactable)
    ]


def _postings(table: Table, rule: BlockingRule, config: MatchConfig) -> _Postings:
    names: list[str] = []
    rows, codes = record_keys(table, rule.inputs, rule.key, names=names)
    key_hashes = np.fromiter((_hash(k) for k in names), dtype=np.int64, count=len(names))
    hashes = key_hashes[codes] if len(codes) else np.zeros(0, dtype=np.int64)
    cap = min(config.max_block_size, rule.max_block or config.max_block_size)
    refine = next((name for name in rule.refine if name in table), None)
    split: frozenset[int] = frozenset()
    if len(hashes):
        values, counts = np.unique(hashes, return_counts=True)
        big = values[counts > cap]
        if len(big) and refine is not None:
            split = frozenset(big.tolist())
            over = np.isin(hashes, big)
            second = table[refine][rows[over]]
            split_keys = [names[c] for c in codes[over].tolist()]
            hashes[over] = np.fromiter(
                (_hash(k, str(s)) if s else 0 for k, s in zip(split_keys, second, strict=True)),
                dtype=np.int64,
                count=len(split_keys),
            )
    order = np.argsort(hashes, kind="stable")
    return _Postings(rule, hashes[order], rows[order].astype(np.int32), split, refine)
