"""``MatchSnapshot``: everything an entry-time match index needs besides the keys, as plain data.

A batch run (or ``InMemoryMatchIndex.build``) makes one from the features of every record: the
column kinds, the ``MatchConfig``, the trained ``Model``, the comparisons' specs (the comparators are
rebuilt from them), how common each shared value is (term frequencies), and per blocking rule the
keys whose block was oversized (looked up by a second key instead, as batch blocking splits them).

With it, two pure functions serve any index, in memory or in DynamoDB:

* ``keys_of``: the blocking keys of records, as strings (``"<rule>:<key>"``; a split key carries
  ``"\\x1e<second key>"``), so an index only stores and looks up strings;
* ``score``: one query record against a few candidate records, to ``MatchCandidate``s: the batch
  model's probability, its vetoes, and the evidence, best first, at or above the threshold.

``to_bytes``/``from_bytes`` store it as zlib-compressed JSON (no pickle): values of one record count
as 1 anyway, so only the values shared by several records are kept for the term frequencies.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from crm_hygiene.dedup.arrays import Index
from crm_hygiene.dedup.blocking import BlockingRule, every_value, record_keys
from crm_hygiene.dedup.comparators import Comparator
from crm_hygiene.dedup.config import ComparisonSpec, FieldKind, MatchConfig
from crm_hygiene.dedup.engine import comparators_for, conflict_mask, rules_for
from crm_hygiene.dedup.features import Population, Table, factorize, value_counts
from crm_hygiene.dedup.scoring import Model, compare_all, identical, probability_of
from crm_hygiene.models.merge import Contribution, MatchCandidate
from crm_hygiene.types import RecordId

FORMAT = 1
SPLIT = "\x1e"


@dataclass(frozen=True)
class RuleKeys:
    """The keys of one blocking rule for the rows of a table: ``names[codes[i]]`` is a key of row
    ``rows[i]`` (a row may have several keys or none)."""

    rule: BlockingRule
    rows: Index
    codes: Index
    names: list[str]

    def strings(self) -> list[str]:
        """``"<rule>:<key>"`` of each entry (the form an index stores)."""
        prefix = f"{self.rule.name}:"
        return [prefix + self.names[c] for c in self.codes.tolist()]


@dataclass
class MatchSnapshot:
    """See the module docstring. Build it with ``of``; ``comparators`` and ``rules`` are derived."""

    kinds: dict[str, FieldKind]
    config: MatchConfig
    model: Model
    specs: tuple[ComparisonSpec, ...]
    n: int
    common: dict[str, dict[str, int]]
    split: dict[str, frozenset[str]]
    comparators: list[Comparator] = field(init=False, repr=False)
    population: Population = field(init=False, repr=False)
    rules: list[BlockingRule] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.comparators = comparators_for(self.specs)
        self.population = Population.from_counts(self.n, self.common)
        self.rules = applicable_rules(self.table({c: [""] for c in self.columns}, 1), self.config)

    @classmethod
    def of(
        cls,
        table: Table,
        comparators: Sequence[Comparator],
        kinds: Mapping[str, FieldKind],
        config: MatchConfig,
        model: Model,
    ) -> tuple[MatchSnapshot, list[RuleKeys]]:
        """The snapshot of an index of every record of ``table`` (prepared by ``comparators``), and
        the keys of those records (the same as ``keys_of`` would give for them, computed once)."""
        counted = value_counts(population_columns(table, comparators))
        common = {name: {v: c for v, c in counter.items() if c > 1} for name, counter in counted.items()}
        split: dict[str, frozenset[str]] = {}
        found: list[RuleKeys] = []
        for rule in applicable_rules(table, config):
            names: list[str] = []
            rows, codes = record_keys(table, rule.inputs, rule.key, names=names)
            refine = refine_of(rule, table)
            cap = min(config.max_block_size, rule.max_block or config.max_block_size)
            if refine is not None and len(codes):
                sizes = np.bincount(codes, minlength=len(names))
                split[rule.name] = frozenset(names[i] for i in np.flatnonzero(sizes > cap).tolist())
            found.append(_refined(table, RuleKeys(rule, rows, codes, names), split.get(rule.name)))
        snapshot = cls(dict(kinds), config, model, tuple(c.spec for c in comparators), table.n, common, split)
        # The population (all values, not only the common ones) is the one this table has.
        snapshot.population = Population.from_counts(table.n, counted)
        return snapshot, found

    @property
    def columns(self) -> tuple[str, ...]:
        """The record fields the comparisons read (what an index keeps of each record)."""
        return tuple(dict.fromkeys(f for spec in self.specs for f in spec.fields))

    # --- pure functions of the snapshot ---------------------------------------------------------------

    def table(self, columns: Mapping[str, Sequence[str]], n: int) -> Table:
        """The features of ``n`` records (column -> values), with this population's frequencies."""
        table = Table(n, population=self.population)
        for comparator in self.comparators:
            inputs = [(self.kinds.get(c, "text"), columns[c]) for c in comparator.spec.fields]
            comparator.prepare(table, inputs)
        return table

    def table_of(self, records: Sequence[Mapping[str, str]]) -> Table:
        """The features of these records (missing fields are blank)."""
        return self.table({c: [r.get(c, "") for r in records] for c in self.columns}, len(records))

    def keys_of(self, table: Table) -> list[RuleKeys]:
        """The blocking keys of every row of ``table``, per rule (oversized keys refined)."""
        out = []
        for rule in self.rules:
            names: list[str] = []
            rows, codes = record_keys(table, rule.inputs, rule.key, names=names)
            out.append(_refined(table, RuleKeys(rule, rows, codes, names), self.split.get(rule.name)))
        return out

    def record_keys(self, record: Mapping[str, str]) -> list[str]:
        """The blocking keys of one record, ``"<rule>:<key>"``, by rule then key."""
        return [key for keys in self.keys_of(self.table_of([record])) for key in sorted(keys.strings())]

    def score(
        self,
        record: Mapping[str, str],
        ids: Sequence[RecordId],
        columns: Mapping[str, Sequence[str]],
        *,
        limit: int = 10,
    ) -> list[MatchCandidate]:
        """``record`` against the candidates ``ids`` (their fields as ``columns``, one value per id):
        those at or above the threshold and not vetoed, best first (ties: in the given order)."""
        if not ids:
            return []
        merged = {c: [record.get(c, ""), *columns.get(c, [""] * len(ids))] for c in self.columns}
        table = self.table(merged, len(ids) + 1)
        left = np.zeros(len(ids), dtype=np.int64)
        right = np.arange(1, len(ids) + 1, dtype=np.int64)
        compared = compare_all(table, self.comparators, left, right)
        frequencies = compared.frequencies(np.arange(len(ids), dtype=np.int64))
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
                    record_id=ids[i],
                    match_probability=float(probability[i]),
                    contributions=tuple(sorted(evidence, key=lambda c: -abs(c.weight))),
                )
            )
        return out

    # --- storage --------------------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """zlib-compressed JSON (see the module docstring)."""
        model = self.model
        data: dict[str, Any] = {
            "format": FORMAT,
            "kinds": self.kinds,
            "config": self.config.model_dump(mode="json"),
            "specs": [s.model_dump(mode="json") for s in self.specs],
            "n": self.n,
            "common": {name: sorted(counter.items()) for name, counter in self.common.items()},
            "split": {name: sorted(keys) for name, keys in self.split.items()},
            "model": {
                "names": model.names,
                "labels": [list(labels) for labels in model.labels],
                "m": [m.tolist() for m in model.m],
                "u": [u.tolist() for u in model.u],
                "prior": model.prior,
                "tf_levels": [sorted(levels) for levels in model.tf_levels],
                "candidates_matching": model.candidates_matching,
            },
        }
        return zlib.compress(json.dumps(data, separators=(",", ":")).encode(), 6)

    @classmethod
    def from_bytes(cls, blob: bytes) -> MatchSnapshot:
        data = json.loads(zlib.decompress(blob))
        if data.get("format") != FORMAT:
            raise ValueError(f"match snapshot format {data.get('format')!r}, expected {FORMAT}")
        m = data["model"]
        model = Model(
            names=list(m["names"]),
            labels=[tuple(labels) for labels in m["labels"]],
            m=[np.asarray(v, dtype=np.float64) for v in m["m"]],
            u=[np.asarray(v, dtype=np.float64) for v in m["u"]],
            prior=float(m["prior"]),
            tf_levels=[frozenset(levels) for levels in m["tf_levels"]],
            candidates_matching=float(m["candidates_matching"]),
        )
        return cls(
            kinds=dict(data["kinds"]),
            config=MatchConfig.model_validate(data["config"]),
            model=model,
            specs=tuple(ComparisonSpec.model_validate(s) for s in data["specs"]),
            n=int(data["n"]),
            common={name: dict(pairs) for name, pairs in data["common"].items()},
            split={name: frozenset(keys) for name, keys in data["split"].items()},
        )


Lookup = Callable[[Sequence[str]], Mapping[str, Sequence[RecordId]]]
"""Record ids under each of these keys (at most ``max_block_size`` a key, in a stable order)."""
Fetch = Callable[[Sequence[RecordId]], Mapping[RecordId, Mapping[str, str]]]
"""The stored fields of these records (records no longer stored are left out)."""


def match(
    snapshot: MatchSnapshot, record: Mapping[str, str], lookup: Lookup, fetch: Fetch, *, limit: int = 10
) -> list[MatchCandidate]:
    """``MatchIndex.candidates`` for an index that stores key -> ids and id -> fields (DynamoDB, a
    dict): the record's keys looked up, at most ``max_block_size`` ids per rule (as the in-memory
    index caps a rule's rows), their fields fetched, and the record scored against them."""
    keys = snapshot.record_keys(record)
    found = lookup(keys)
    cap = snapshot.config.max_block_size
    per_rule: dict[str, list[RecordId]] = {}
    for key in keys:
        per_rule.setdefault(key.split(":", 1)[0], []).extend(found.get(key, ()))
    ids = sorted({rid for rids in per_rule.values() for rid in rids[:cap]})
    fields = fetch(ids)
    ids = [rid for rid in ids if rid in fields]
    columns = {c: [fields[rid].get(c, "") for rid in ids] for c in snapshot.columns}
    return snapshot.score(record, ids, columns, limit=limit)


def keys_by_row(keys: Sequence[RuleKeys], n: int, chunk: int = 10_000) -> Iterator[list[str]]:
    """Each row's keys (``RuleKeys.strings`` form, by rule), row after row, ``chunk`` rows of
    strings at a time (a 1M-record table's keys are never all strings at once)."""
    ordered = []
    for rule_keys in keys:
        order = np.argsort(rule_keys.rows, kind="stable")
        ordered.append((rule_keys, rule_keys.rows[order], rule_keys.codes[order]))
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        rows: list[list[str]] = [[] for _ in range(stop - start)]
        for rule_keys, positions, codes in ordered:
            lo, hi = np.searchsorted(positions, [start, stop])
            prefix = f"{rule_keys.rule.name}:"
            for row, code in zip(positions[lo:hi].tolist(), codes[lo:hi].tolist(), strict=True):
                rows[row - start].append(prefix + rule_keys.names[code])
        yield from rows


def population_columns(table: Table, comparators: Sequence[Comparator]) -> dict[str, list[str]]:
    """The feature values whose frequencies the term-frequency levels use, per feature."""
    columns: dict[str, list[str]] = {}
    for comparator in comparators:
        for part in comparator.frequency_parts:
            name = comparator.feature(part)
            if part == "numbers":
                slots = table.extra.get(comparator.feature("slot_columns"), [])
                columns[name] = [v for column in slots for v in column]
            elif name in table:
                columns[name] = list(table[name])
    return columns


def applicable_rules(table: Table, config: MatchConfig) -> list[BlockingRule]:
    """The blocking rules whose inputs the table has (as batch blocking chooses them)."""
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


def refine_of(rule: BlockingRule, table: Table) -> str | None:
    """The feature that splits the rule's oversized blocks (the first of its ``refine`` present)."""
    return next((name for name in rule.refine if name in table), None)


def _refined(table: Table, keys: RuleKeys, split: frozenset[str] | None) -> RuleKeys:
    """Keys of oversized blocks replaced by ``key + SPLIT + second key``; without a second key,
    that record has no key under the rule (as batch blocking leaves it out of the split block)."""
    refine = refine_of(keys.rule, table)
    if not split or refine is None or len(keys.codes) == 0:
        return keys
    big = np.fromiter((name in split for name in keys.names), dtype=bool, count=len(keys.names))
    over = big[keys.codes]
    if not over.any():
        return keys
    second = table[refine][keys.rows[over]]
    refined = [
        f"{keys.names[c]}{SPLIT}{s}" if s else ""
        for c, s in zip(keys.codes[over].tolist(), second.tolist(), strict=True)
    ]
    codes_of, distinct = factorize(refined)
    codes = keys.codes.copy()
    codes[over] = codes_of.astype(np.int64) + len(keys.names)
    keep = np.ones(len(codes), dtype=bool)
    keep[np.flatnonzero(over)] = np.asarray([bool(r) for r in refined], dtype=bool)
    return RuleKeys(keys.rule, keys.rows[keep], codes[keep], keys.names + distinct)
