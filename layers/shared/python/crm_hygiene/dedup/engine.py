"""``find_duplicates``: blocking -> comparison -> unsupervised scoring -> clustering, on columns.

The input is columnar (column name -> values, one per record) with a kind per column, so the same
engine serves ``crm-hygiene dedupe`` on any CSV, the scan extension (canonical CRM fields) and the
benchmarks. Nothing here reads files or talks to a CRM.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from crm_hygiene.dedup.arrays import Floats, Index
from crm_hygiene.dedup.blocking import RULES, BlockingRule, BlockingStats, candidate_pairs
from crm_hygiene.dedup.cluster import Clustering, cluster, components
from crm_hygiene.dedup.comparators import Comparator, build
from crm_hygiene.dedup.config import ComparatorKind, ComparisonSpec, FieldKind, MatchConfig
from crm_hygiene.dedup.features import Table, distinct, member
from crm_hygiene.dedup.scoring import (
    LevelMatrix,
    Model,
    TrainingSet,
    compare_all,
    identical,
    probability_of,
    train,
)

Rejected = Mapping[tuple[int, int], str] | None
_ALL_PAIRS_LIMIT = 200  # components up to this size are checked pair by pair for conflicts
# Blocking rules whose pairs train m (each for the comparisons it did not select on), in order,
# with the comparison levels a pair they select has (for their recall).
TRAINING_RULES: dict[str, tuple[str, tuple[str, ...]]] = {
    "email": ("email", ("exact",)),
    "name": ("name", ("exact", "nickname")),
    "identifier": ("identifier", ("exact",)),
    "account": ("account", ("exact",)),
    "date": ("date", ("exact",)),
    "company_name": ("company", ("exact",)),
    "domain": ("domain", ("exact",)),
    "text": ("text", ("exact",)),
}
_TRAINING_PAIRS = 400_000
_CHUNK = 1 << 18  # candidate pairs compared at a time (bounds the comparisons' temporaries)
_MAX_TRAINING_SETS = 3

# Zero-config comparisons: (name, comparator, kinds read, thresholds); only those whose kinds exist.
_PLAN: tuple[tuple[str, ComparatorKind, tuple[FieldKind, ...], tuple[float, ...]], ...] = (
    ("name", "person_name", ("first_name", "last_name", "full_name"), ()),
    ("email", "email", ("email",), ()),
    ("phone", "phone", ("phone",), ()),
    ("company", "company", ("company", "domain"), ()),
    ("address", "address", ("street_number", "address"), ()),
    ("location", "location", ("postcode", "city", "state"), ()),
    ("date", "date", ("date",), ()),
    ("identifier", "identifier", ("identifier",), ()),
    ("account", "exact", ("reference",), ()),
    ("amount", "number", ("amount",), ()),
    ("text", "string", ("text",), ()),
)


def plan(kinds: Mapping[str, FieldKind]) -> tuple[ComparisonSpec, ...]:
    """The comparisons for columns of these kinds (what zero-config means).

    Companies (a company column and no person name) compare the website on its own, as the
    strongest evidence two company records are one; for contacts it is part of "company".
    """
    present: dict[FieldKind, list[str]] = {}
    for column, kind in kinds.items():
        present.setdefault(kind, []).append(column)
    people = any(k in present for k in ("first_name", "last_name", "full_name"))
    specs: list[ComparisonSpec] = []
    for name, comparator, wanted, thresholds in _PLAN:
        if name == "company" and not people:
            wanted = ("company",)
        columns = [c for kind in wanted for c in present.get(kind, [])]
        if name == "address" and "address" not in present:
            columns = []
        if columns:
            specs.append(
                ComparisonSpec(name=name, comparator=comparator, fields=tuple(columns), thresholds=thresholds)
            )
    if not people and "domain" in present:
        specs.append(ComparisonSpec(name="domain", comparator="domain", fields=tuple(present["domain"])))
    return tuple(specs)


@dataclass
class Pairs:
    """Scored pairs (left < right, record positions), with their levels and term frequencies."""

    left: Index
    right: Index
    weight: Floats
    levels: LevelMatrix
    frequencies: list[Floats | None]

    @property
    def probability(self) -> Floats:
        return probability_of(self.weight)

    def codes(self, n: int) -> Index:
        return self.left * np.int64(n) + self.right


@dataclass
class DedupResult:
    """What ``find_duplicates`` found.

    Attributes:
        n: Records.
        table: Their features.
        comparators: The comparisons, in level-matrix column order.
        model: The trained Fellegi-Sunter model.
        left, right: Proposed pairs (record positions, left < right), every pair of each cluster.
        probability: Per proposed pair, the probability of the link that joined them.
        direct: Per proposed pair, its own match probability.
        levels: Per proposed pair, its comparison levels.
        contributions: Per proposed pair and comparison, the weight in bits.
        labels: Cluster id per record (singletons are their own cluster).
        stats: Figures for reports (candidates, blocking, refused links, timings).
    """

    n: int
    table: Table
    comparators: list[Comparator]
    model: Model
    left: Index
    right: Index
    probability: Floats
    direct: Floats
    levels: LevelMatrix
    contributions: Floats
    labels: Index
    stats: dict[str, Any] = field(default_factory=dict)

    def evidence(self, i: int) -> list[tuple[str, str, float]]:
        """(comparison, level, weight in bits) of proposed pair ``i``, strongest first."""
        found = []
        for k, comparator in enumerate(self.comparators):
            level = int(self.levels[i, k])
            if level == 0:
                continue
            found.append(
                (comparator.name, comparator.levels[level], round(float(self.contributions[i, k]), 2))
            )
        return sorted(found, key=lambda item: -abs(item[2]))


def _columns_for(
    spec: ComparisonSpec, columns: Mapping[str, Sequence[str]], kinds: Mapping[str, FieldKind]
) -> list[tuple[FieldKind, Sequence[str]]]:
    missing = [c for c in spec.fields if c not in columns]
    if missing:
        raise KeyError(f"comparison {spec.name!r} reads missing columns {missing}")
    return [(kinds.get(c, "text"), columns[c]) for c in spec.fields]


def prepare(
    columns: Mapping[str, Sequence[str]],
    kinds: Mapping[str, FieldKind],
    config: MatchConfig,
    n: int,
) -> tuple[Table, list[Comparator]]:
    """The feature table and the comparators for these columns."""
    comparators = comparators_for(config.comparisons or plan(kinds))
    table = Table(n)
    for comparator in comparators:
        comparator.prepare(table, _columns_for(comparator.spec, columns, kinds))
    return table, comparators


def comparators_for(specs: Sequence[ComparisonSpec]) -> list[Comparator]:
    """The comparators of these comparisons, in level-matrix order, adapted to each other (the same
    specs give the same comparators: a stored ``MatchSnapshot`` rebuilds them from its specs)."""
    comparators = [build(spec) for spec in specs]
    # Person names first: the email comparator looks at them (local parts that spell the name).
    comparators.sort(key=lambda c: c.family != "person_name")
    families = frozenset(c.family for c in comparators)
    for comparator in comparators:
        comparator.adapt(families)
    return comparators


def rules_for(config: MatchConfig) -> list[BlockingRule]:
    if not config.blocking:
        return list(RULES)
    by_name = {rule.name: rule for rule in RULES}
    unknown = [name for name in config.blocking if name not in by_name]
    if unknown:
        raise ValueError(f"unknown blocking rules {unknown}; known: {sorted(by_name)}")
    return [by_name[name] for name in config.blocking]


def score_candidates(
    table: Table, comparators: Sequence[Comparator], config: MatchConfig
) -> tuple[Pairs, Model, BlockingStats]:
    """Blocking, training, and the comparisons and match weights of the candidate pairs, in chunks:
    only the pairs at or above the threshold are kept (the others cost no memory afterwards)."""
    left, right, stats = candidate_pairs(
        table, rules_for(config), config.max_block_size, config.window, keep=tuple(TRAINING_RULES)
    )

    def sample() -> LevelMatrix:
        rng = np.random.default_rng(config.seed)
        at = np.sort(rng.choice(len(left), size=min(len(left), _TRAINING_PAIRS), replace=False))
        return compare_all(table, comparators, left[at], right[at]).levels

    model = train(
        table,
        comparators,
        sample,
        training_sets(table, comparators, config, stats.kept),
        candidate_count=len(left),
        random_pair_count=config.random_pairs,
        iterations=config.em_iterations,
        seed=config.seed,
    )
    floor = float(np.log2(config.threshold / (1.0 - config.threshold)))
    kept: list[tuple[Index, Floats, LevelMatrix, list[Floats | None]]] = []
    for start in range(0, len(left), _CHUNK):
        stop = min(start + _CHUNK, len(left))
        compared = compare_all(table, comparators, left[start:stop], right[start:stop], chunk=_CHUNK)
        weight = model.match_weights(compared, table.n, identical(table, left[start:stop], right[start:stop]))
        at = np.flatnonzero(weight >= floor)
        levels, frequencies = compared.take(at)
        kept.append((at + start, weight[at], levels, frequencies))
    return _joined_pairs(left, right, kept, len(comparators)), model, stats


def _joined_pairs(
    left: Index, right: Index, kept: list[tuple[Index, Floats, LevelMatrix, list[Floats | None]]], k: int
) -> Pairs:
    if not kept:
        empty = np.zeros(0, dtype=np.int64)
        return Pairs(empty, empty.copy(), np.zeros(0), np.zeros((0, k), dtype=np.int8), [None] * k)
    at = np.concatenate([part[0] for part in kept])
    frequencies = [_stack([part[3][j] for part in kept], [len(part[0]) for part in kept]) for j in range(k)]
    return Pairs(
        left[at],
        right[at],
        np.concatenate([part[1] for part in kept]),
        np.concatenate([part[2] for part in kept]),
        frequencies,
    )


def _stack(parts: list[Floats | None], sizes: list[int]) -> Floats | None:
    if all(p is None for p in parts):
        return None
    return np.concatenate(
        [p if p is not None else np.full(size, np.nan) for p, size in zip(parts, sizes, strict=True)]
    )


def training_sets(
    table: Table,
    comparators: Sequence[Comparator],
    config: MatchConfig,
    known: Mapping[str, Index] | None = None,
) -> list[TrainingSet]:
    """The pairs of a few single blocking rules (at most 400k each, sampled), with their levels.

    ``known``: rule -> its pairs (``left * n + right``) when blocking already made them.
    """
    by_name = {rule.name: rule for rule in RULES}
    rng = np.random.default_rng(config.seed)
    found: list[TrainingSet] = []
    n = np.int64(max(table.n, 1))
    for name, selects in TRAINING_RULES.items():
        rule = by_name[name]
        if not all(f in table for f in rule.inputs):
            continue
        if known is not None and name in known:
            left, right = known[name] // n, known[name] % n
        else:
            left, right, _ = candidate_pairs(table, [rule], config.max_block_size, config.window)
        total = len(left)
        if total < 50:
            continue
        if total > _TRAINING_PAIRS:
            keep = np.sort(rng.choice(total, size=_TRAINING_PAIRS, replace=False))
            left, right = left[keep], right[keep]
        fixed = frozenset(f.split(".", 1)[0] for f in rule.inputs)
        levels = compare_all(table, comparators, left, right).levels
        fill = float((table.get(f"{selects[0]}.value") != "").mean()) if table.n else 0.0
        found.append(TrainingSet(name, levels, fixed, total, selects, fill))
        if len(found) == _MAX_TRAINING_SETS:
            break
    return found


def conflict_mask(
    levels: LevelMatrix, comparators: Sequence[Comparator], disagreements: int
) -> npt.NDArray[np.bool_]:
    """Pairs whose levels say "two different people" (see ``cluster.py``), unless an identifier of
    one person (the same email address, the same id number) says otherwise."""
    out = np.zeros(len(levels), dtype=bool)
    decisive = np.zeros(len(levels), dtype=bool)
    identity = np.zeros(len(levels), dtype=np.int64)
    for k, comparator in enumerate(comparators):
        col = levels[:, k]
        if comparator.conflict_levels:
            out |= np.isin(col, list(comparator.conflict_levels))
        if comparator.decisive_levels:
            decisive |= np.isin(col, list(comparator.decisive_levels))
        if comparator.identity:
            identity += col == comparator.else_level
    return (out | (identity >= disagreements)) & ~decisive


@dataclass
class _Scored:
    """Directly scored pairs by code, for lookups during clustering and output."""

    codes: Index
    weight: Floats
    levels: LevelMatrix
    frequencies: list[Floats | None]

    def find(self, codes: Index) -> Index:
        at = np.searchsorted(self.codes, codes)
        at = np.minimum(at, max(len(self.codes) - 1, 0))
        hit = (self.codes[at] == codes) if len(self.codes) else np.zeros(len(codes), dtype=bool)
        return np.where(hit, at, -1)


def _intra_pairs(labels: Index, limit: int) -> tuple[Index, Index]:
    """Every pair inside each group of 3 to ``limit`` records with one label."""
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    starts = np.concatenate(([0], np.flatnonzero(np.diff(sorted_labels)) + 1))
    sizes = np.diff(np.concatenate((starts, [len(labels)])))
    lefts, rights = [], []
    for size in distinct(sizes[(sizes >= 3) & (sizes <= limit)]).tolist():
        first = starts[sizes == size]
        i, j = np.triu_indices(size, 1)
        a, b = order[(first[:, None] + i).ravel()], order[(first[:, None] + j).ravel()]
        lefts.append(np.minimum(a, b))
        rights.append(np.maximum(a, b))
    if not lefts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy()
    return np.concatenate(lefts), np.concatenate(rights)


def _scored_within_groups(
    table: Table, comparators: Sequence[Comparator], model: Model, pairs: Pairs, keep: npt.NDArray[np.bool_]
) -> _Scored:
    """Candidate pairs above the threshold plus every pair inside their groups, scored directly."""
    n = table.n
    labels = components(n, pairs.left[keep], pairs.right[keep])
    extra_l, extra_r = _intra_pairs(labels, _ALL_PAIRS_LIMIT)
    codes = pairs.codes(n)
    extra_codes = extra_l * np.int64(n) + extra_r
    known = member(extra_codes, codes)
    extra_l, extra_r, extra_codes = extra_l[~known], extra_r[~known], extra_codes[~known]
    in_groups = labels[pairs.left] == labels[pairs.right]
    in_groups &= np.bincount(labels, minlength=n)[labels[pairs.left]] >= 2
    positions = np.flatnonzero(in_groups)
    levels = pairs.levels[positions]
    frequencies = [None if f is None else f[positions] for f in pairs.frequencies]
    weight = pairs.weight[positions]
    all_codes = codes[positions]
    if len(extra_l):
        fresh = compare_all(table, comparators, extra_l, extra_r)
        fresh_freq = fresh.frequencies(np.arange(len(extra_l), dtype=np.int64))
        fresh_weight = model.weights(fresh.levels, fresh_freq, n, identical(table, extra_l, extra_r))
        levels = np.concatenate((levels, fresh.levels))
        frequencies = [
            _join(a, b, len(positions), len(extra_l)) for a, b in zip(frequencies, fresh_freq, strict=True)
        ]
        weight = np.concatenate((weight, fresh_weight))
        all_codes = np.concatenate((all_codes, extra_codes))
    order = np.argsort(all_codes)
    return _Scored(
        all_codes[order],
        weight[order],
        levels[order],
        [None if f is None else f[order] for f in frequencies],
    )


def _join(a: Floats | None, b: Floats | None, size_a: int, size_b: int) -> Floats | None:
    if a is None and b is None:
        return None
    first = a if a is not None else np.full(size_a, np.nan)
    second = b if b is not None else np.full(size_b, np.nan)
    return np.concatenate((first, second))


def find_duplicates(
    columns: Mapping[str, Sequence[str]],
    kinds: Mapping[str, FieldKind],
    config: MatchConfig | None = None,
    *,
    rejected: Callable[[int, int], bool] | None = None,
    release: Callable[[], None] | None = None,
) -> DedupResult:
    """Finds duplicate records.

    Args:
        columns: Column name -> one value per record ("" when blank); all the same length.
        kinds: Column -> field kind (``kinds.infer_kinds``); columns of kind ``ignore`` are unused.
        config: The matching configuration (zero-config when None).
        rejected: Whether a reviewer rejected a pair (record positions, smaller first): such a pair
            is never proposed and its records never share a cluster. Asked only for pairs at or
            above the threshold.
        release: Called once the features are computed, when ``columns`` are no longer needed (the
            caller may drop them: at 1M rows they are most of the memory).

    Returns:
        Every proposed pair with its probability and evidence, and a cluster id per record.
    """
    config = config or MatchConfig()
    n = len(next(iter(columns.values()))) if columns else 0
    used = {c: k for c, k in kinds.items() if k not in ("ignore", "record_id")}
    table, comparators = prepare(columns, used, config, n)
    if release is not None:
        release()
    if n < 2 or not comparators:
        return _empty(n, table, comparators)
    pairs, model, blocking = score_candidates(table, comparators, config)
    # Two people by the CRM's own signals are never linked, whatever their other similarities.
    vetoed = conflict_mask(pairs.levels, comparators, config.conflict_disagreements)
    refused: set[int] = set()
    if rejected is not None:
        for a, b in zip(pairs.left.tolist(), pairs.right.tolist(), strict=True):
            if rejected(a, b):
                refused.add(a * n + b)
        vetoed |= member(pairs.codes(n), distinct(np.asarray(sorted(refused), dtype=np.int64)))
    keep = (pairs.probability >= config.threshold) & ~vetoed
    scored = _scored_within_groups(table, comparators, model, pairs, keep)
    if rejected is not None:  # pairs joined only through the cluster were not asked about yet
        for code in scored.codes.tolist():
            if code not in refused and rejected(*divmod(code, n)):
                refused.add(code)
    conflicts = conflict_mask(scored.levels, comparators, config.conflict_disagreements)
    conflict_codes = set(scored.codes[conflicts].tolist())
    outcome = _cluster(n, pairs, config, conflict_codes, refused, keep)
    result = _assemble(n, table, comparators, model, scored, outcome)
    result.stats = {
        "records": n,
        "candidate_pairs": blocking.candidates,
        "pairs_by_rule": blocking.pairs,
        "oversized_blocks": blocking.oversized_blocks,
        "largest_block": blocking.largest_block,
        "pairs_above_threshold": len(pairs.left),
        "pairs_vetoed_conflict": int(vetoed.sum()),
        "links_refused_conflict": outcome.refused_conflict,
        "links_refused_size": outcome.refused_size,
        "expected_matches_among_candidates": round(model.candidates_matching, 1),
        "prior": model.prior,
    }
    return result


def _cluster(
    n: int,
    pairs: Pairs,
    config: MatchConfig,
    conflict_codes: set[int],
    refused: set[int],
    keep: npt.NDArray[np.bool_],
) -> Clustering:
    def conflicts(group_a: list[int], group_b: list[int], a: int, b: int) -> bool:
        # Refused when a reviewer rejected any pair across the two groups, or when at least half
        # of those pairs conflict: "J. Smith" may join "John Smith" but then not "Jane Smith"; a
        # record with one corrupted pair among five agreeing ones still joins.
        found = 0
        for x in group_a:
            for y in group_b:
                code = x * n + y if x < y else y * n + x
                if code in refused:
                    return True
                found += code in conflict_codes
        return len(group_a) * len(group_b) > 1 and 2 * found >= len(group_a) * len(group_b)

    return cluster(
        n,
        pairs.left[keep],
        pairs.right[keep],
        pairs.probability[keep],
        threshold=config.threshold,
        max_size=config.max_cluster_size,
        conflicts=conflicts,
    )


def _assemble(
    n: int, table: Table, comparators: list[Comparator], model: Model, scored: _Scored, outcome: Clustering
) -> DedupResult:
    linked = sorted(outcome.linked.items(), key=lambda item: (-item[1], item[0]))
    left = np.asarray([a for (a, _), _ in linked], dtype=np.int64)
    right = np.asarray([b for (_, b), _ in linked], dtype=np.int64)
    probability = np.asarray([p for _, p in linked], dtype=np.float64)
    at = scored.find(left * np.int64(n) + right)
    found = at >= 0
    levels = np.zeros((len(left), len(comparators)), dtype=np.int8)
    contributions = np.zeros((len(left), len(comparators)), dtype=np.float64)
    direct = np.zeros(len(left), dtype=np.float64)
    if found.any():
        pos = at[found]
        levels[found] = scored.levels[pos]
        freqs = [None if f is None else f[pos] for f in scored.frequencies]
        contributions[found] = model.contributions(scored.levels[pos], freqs, n)
        direct[found] = probability_of(scored.weight[pos])
    return DedupResult(
        n, table, comparators, model, left, right, probability, direct, levels, contributions, outcome.labels
    )


def _empty(n: int, table: Table, comparators: list[Comparator]) -> DedupResult:
    k = len(comparators)
    model = Model([c.name for c in comparators], [c.levels for c in comparators], [], [], 1e-12, [])
    empty = np.zeros(0, dtype=np.int64)
    return DedupResult(
        n, table, comparators, model, empty, empty.copy(), np.zeros(0), np.zeros(0),
        np.zeros((0, k), dtype=np.int8), np.zeros((0, k)), np.arange(n, dtype=np.int64),
        {"records": n, "candidate_pairs": 0},
    )  # fmt: skip
