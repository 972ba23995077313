"""Fellegi-Sunter scoring: match weights learned without labels, and the evidence behind each score.

For each comparison level, ``m`` is how often true matches agree at that level and ``u`` how often
two records that are not the same agree by chance. ``u`` comes from random pairs (almost all of
which are non-matches); ``m`` comes from expectation-maximisation over the candidate pairs. A
pair's match weight is ``log2(prior odds) + sum(log2(m / u))`` over its levels, with ``null``
levels (a value missing) contributing nothing; an exact agreement on a term-frequency level uses the
frequency of the shared value as its ``u``, so "Smith" counts for less than "Szymborska".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from crm_hygiene.dedup.arrays import Floats, Index
from crm_hygiene.dedup.comparators import Comparator, Compared
from crm_hygiene.dedup.features import Table, distinct_inverse

LevelMatrix = npt.NDArray[np.int8]
_PRIOR_STRENGTH = 20.0  # pseudo-pairs behind the default m of each comparison (a weak prior)
_U_PRIOR_PAIRS = 10_000.0  # pseudo-pairs behind the default u (1% of a usual sample of random pairs)


@dataclass
class Model:
    """The trained model.

    Attributes:
        names: Comparison names, in column order of the level matrix.
        labels: Level labels per comparison.
        m: Per comparison, P(level | match) for each level (index 0, null, unused).
        u: Per comparison, P(level | non-match) from random pairs.
        prior: P(match) of two records drawn at random.
        tf_levels: Per comparison, the levels whose u is the shared value's frequency.
        candidates_matching: The EM's estimate of matching pairs among the candidates.
    """

    names: list[str]
    labels: list[tuple[str, ...]]
    m: list[Floats]
    u: list[Floats]
    prior: float
    tf_levels: list[frozenset[int]]
    candidates_matching: float = 0.0

    def level_weights(self) -> list[Floats]:
        """log2(m / u) per comparison and level; 0 for null."""
        out = []
        for m, u in zip(self.m, self.u, strict=True):
            w = np.log2(np.maximum(m, 1e-12) / np.maximum(u, 1e-12))
            w[0] = 0.0
            out.append(w)
        return out

    @property
    def prior_weight(self) -> float:
        return float(np.log2(self.prior / (1.0 - self.prior)))

    def contributions(self, levels: LevelMatrix, frequencies: Sequence[Floats | None], n: int) -> Floats:
        """Per pair and comparison, the weight in bits (columns in ``names`` order)."""
        weights = self.level_weights()
        out = np.zeros(levels.shape, dtype=np.float64)
        floor = 1.0 / max(n, 1)
        for k, w in enumerate(weights):
            col = levels[:, k].astype(np.int64)
            out[:, k] = w[col]
            freq = frequencies[k]
            if freq is None or not self.tf_levels[k]:
                continue
            tf = np.isin(col, list(self.tf_levels[k])) & ~np.isnan(freq)
            if tf.any():
                m_level = self.m[k][col[tf]]
                out[tf, k] = np.log2(np.maximum(m_level, 1e-12) / np.maximum(freq[tf], floor))
        return out

    def probability(self, contributions: Floats) -> Floats:
        """Match probability from the per-comparison weights."""
        return probability_of(self.prior_weight + contributions.sum(axis=1))

    def match_weights(
        self,
        comparisons: Comparisons,
        n: int,
        same: npt.NDArray[np.bool_] | None = None,
        chunk: int = 1 << 20,
    ) -> Floats:
        """The match weight (bits) of every pair, in chunks (``same``: see ``weights``)."""
        total = len(comparisons.levels)
        out = np.zeros(total, dtype=np.float64)
        for start in range(0, total, chunk):
            positions = np.arange(start, min(start + chunk, total), dtype=np.int64)
            levels, frequencies = comparisons.take(positions)
            part = None if same is None else same[start : start + len(positions)]
            out[start : start + len(positions)] = self.weights(levels, frequencies, n, part)
        return out

    def weights(
        self,
        levels: LevelMatrix,
        frequencies: Sequence[Floats | None],
        n: int,
        same: npt.NDArray[np.bool_] | None = None,
    ) -> Floats:
        """Match weight (bits) of each pair: prior plus contributions. Pairs marked ``same`` (identical
        in every compared field) are a match whatever the model says."""
        weight: Floats = self.contributions(levels, frequencies, n).sum(axis=1) + self.prior_weight
        if same is not None:
            weight[same] = IDENTICAL_WEIGHT
        return weight


IDENTICAL_WEIGHT = 60.0
"""The match weight of two records identical in every compared field (probability 1 - 1e-18)."""


def identical(table: Table, left: Index, right: Index) -> npt.NDArray[np.bool_]:
    """Pairs with the same value in every compared field (and at least one value)."""
    same = np.ones(len(left), dtype=bool)
    filled = np.zeros(len(left), dtype=bool)
    for name in table.values:
        if name.endswith(".value"):
            codes = table.codes(name)
            same &= codes[left] == codes[right]
            filled |= codes[left] >= 0
    out: npt.NDArray[np.bool_] = same & filled
    return out


def probability_of(weight: Floats) -> Floats:
    """Match probability of a match weight in bits."""
    return 1.0 / (1.0 + np.exp2(-np.clip(weight, -60.0, 60.0)))


@dataclass
class Comparisons:
    """The levels of every comparison for a batch of pairs, and the term frequencies kept sparse
    (only pairs at a term-frequency level have one).

    Attributes:
        levels: (pairs, comparisons) level matrix.
        tf_index: Per comparison, the pair positions (ascending) that have a frequency.
        tf_value: Per comparison, those frequencies.
    """

    levels: LevelMatrix
    tf_index: list[Index]
    tf_value: list[npt.NDArray[np.float32]]

    def frequencies(self, positions: Index) -> list[Floats | None]:
        """Dense frequencies (NaN where none) for the pairs at ``positions``."""
        out: list[Floats | None] = []
        for index, value in zip(self.tf_index, self.tf_value, strict=True):
            if len(index) == 0:
                out.append(None)
                continue
            dense = np.full(len(positions), np.nan)
            at = np.searchsorted(index, positions)
            at = np.minimum(at, len(index) - 1)
            hit = index[at] == positions
            dense[hit] = value[at[hit]]
            out.append(dense)
        return out

    def take(self, positions: Index) -> tuple[LevelMatrix, list[Floats | None]]:
        return self.levels[positions], self.frequencies(positions)


def compare_all(
    table: Table, comparators: Sequence[Comparator], left: Index, right: Index, chunk: int = 1 << 20
) -> Comparisons:
    """The level of every comparison for every pair (in chunks, to bound memory)."""
    levels = np.zeros((len(left), len(comparators)), dtype=np.int8)
    tf_index: list[list[Index]] = [[] for _ in comparators]
    tf_value: list[list[npt.NDArray[np.float32]]] = [[] for _ in comparators]
    for start in range(0, len(left), chunk):
        stop = min(start + chunk, len(left))
        for k, comparator in enumerate(comparators):
            compared: Compared = comparator.compare(table, left[start:stop], right[start:stop])
            levels[start:stop, k] = compared.levels
            if compared.frequency is None or not comparator.tf_levels:
                continue
            at = np.flatnonzero(np.isin(compared.levels, list(comparator.tf_levels)))
            tf_index[k].append(at.astype(np.int64) + start)
            tf_value[k].append(compared.frequency[at].astype(np.float32))
    return Comparisons(
        levels,
        [np.concatenate(x) if x else np.zeros(0, dtype=np.int64) for x in tf_index],
        [np.concatenate(x) if x else np.zeros(0, dtype=np.float32) for x in tf_value],
    )


def random_pairs(n: int, size: int, seed: int) -> tuple[Index, Index]:
    """``size`` random distinct pairs (all pairs when there are fewer)."""
    total = n * (n - 1) // 2
    if total <= size:
        i, j = np.triu_indices(n, 1)
        return i.astype(np.int64), j.astype(np.int64)
    rng = np.random.default_rng(seed)
    left = rng.integers(0, n, size=size, dtype=np.int64)
    right = rng.integers(0, n - 1, size=size, dtype=np.int64)
    right += right >= left  # never the same record
    return left, right


def estimate_u(table: Table, comparators: Sequence[Comparator], size: int, seed: int) -> list[Floats]:
    """u per comparison and level from random pairs (smoothed so no level has u = 0)."""
    # A small file needs fewer pairs for the same precision (40 per record, at least 200,000).
    left, right = random_pairs(table.n, min(size, max(200_000, 40 * table.n)), seed)
    levels = compare_all(table, comparators, left, right).levels
    out = []
    for k, comparator in enumerate(comparators):
        counts = np.bincount(levels[:, k], minlength=len(comparator.levels)).astype(np.float64)
        counts[0] = 0.0
        counts += _U_PRIOR_PAIRS * comparator.prior_u  # matters only when few pairs were seen
        u = counts / max(counts.sum(), 1.0)
        u[0] = 1.0
        out.append(u)
    return out


def _patterns(levels: LevelMatrix, sizes: Sequence[int]) -> tuple[LevelMatrix, Floats]:
    """Distinct rows of the level matrix and how many pairs have each."""
    if len(levels) == 0:
        return levels, np.zeros(0)
    radix = np.cumprod([1, *sizes[:-1]]).astype(np.int64)
    codes = levels.astype(np.int64) @ radix
    space = int(np.prod(sizes))
    if space <= 50_000_000:  # level patterns are few: count them directly
        counted = np.bincount(codes, minlength=space)
        found_codes = np.flatnonzero(counted)
        patterns = (found_codes[:, None] // radix[None, :]) % np.asarray(sizes)[None, :]
        return patterns.astype(np.int8), counted[found_codes].astype(np.float64)
    found, inverse = distinct_inverse(codes)
    counts = np.bincount(inverse, minlength=len(found)).astype(np.float64)
    first = np.zeros(len(found), dtype=np.int64)
    first[inverse[::-1]] = np.arange(len(codes) - 1, -1, -1)
    return levels[first], counts


def estimate_m(
    levels: LevelMatrix,
    comparators: Sequence[Comparator],
    u: Sequence[Floats],
    free: Sequence[bool],
    iterations: int,
) -> tuple[list[Floats], float]:
    """m per comparison by EM over one training set of pairs, with u fixed.

    Comparisons that are not ``free`` (those the training set was selected on: they agree by
    construction) take no part. A weak Dirichlet prior built from each comparator's ``prior_m``
    keeps rare levels sensible. Returns (m, share of matches in the set).
    """
    sizes = [len(c.levels) for c in comparators]
    patterns, counts = _patterns(levels, sizes)
    m = [_normalized(np.asarray(c.prior_m, dtype=np.float64)) for c in comparators]
    used = [k for k, ok in enumerate(free) if ok]
    share = 0.5
    total = max(counts.sum(), 1.0)
    for _ in range(iterations):
        posterior = _posterior(patterns, m, u, share, used)
        matched = counts * posterior
        share = float(np.clip(matched.sum() / total, 1e-6, 1 - 1e-6))
        for k in used:
            prior = _PRIOR_STRENGTH * _normalized(np.asarray(comparators[k].prior_m, dtype=np.float64))
            prior[0] = 0.0
            m[k] = _normalized(np.bincount(patterns[:, k], weights=matched, minlength=sizes[k]) + prior)
    return m, share


def expected_matches(
    levels: LevelMatrix,
    comparators: Sequence[Comparator],
    m: Sequence[Floats],
    u: Sequence[Floats],
    iterations: int = 30,
) -> float:
    """Matching pairs among the candidates, by EM on the match share alone (m and u fixed)."""
    sizes = [len(c.levels) for c in comparators]
    patterns, counts = _patterns(levels, sizes)
    used = list(range(len(comparators)))
    share = 0.01
    total = max(counts.sum(), 1.0)
    for _ in range(iterations):
        matched = (counts * _posterior(patterns, m, u, share, used)).sum()
        share = float(np.clip(matched / total, 1e-9, 1 - 1e-9))
    return float((counts * _posterior(patterns, m, u, share, used)).sum())


def _normalized(values: Floats) -> Floats:
    out = values.astype(np.float64).copy()
    out[0] = 0.0
    total = out.sum()
    out = out / total if total > 0 else np.full_like(out, 1.0 / max(len(out) - 1, 1))
    out[0] = 1.0  # null: the same for both classes, so it weighs nothing
    return out


def _posterior(
    patterns: LevelMatrix, m: Sequence[Floats], u: Sequence[Floats], share: float, used: Sequence[int]
) -> Floats:
    log_odds = np.full(len(patterns), np.log(share) - np.log(1.0 - share))
    for k in used:
        col = patterns[:, k].astype(np.int64)
        log_odds += np.log(np.maximum(m[k][col], 1e-300)) - np.log(np.maximum(u[k][col], 1e-300))
    posterior: Floats = 1.0 / (1.0 + np.exp(np.clip(-log_odds, -700, 700)))
    return posterior


@dataclass(frozen=True)
class TrainingSet:
    """Pairs selected by one blocking rule, and the comparisons that rule selected them on.

    Attributes:
        name: The blocking rule.
        levels: Level matrix of (a sample of) its pairs.
        fixed: Names of the comparisons the rule selects on (not trained on this set).
        total_pairs: All pairs the rule makes (the sample may be smaller).
        selects: (comparison, levels) that a pair chosen by the rule has: with the fill rate of
            that comparison's fields, how likely the rule is to find a match at all (its recall).
        fill_rate: Share of records that have a value for that comparison.
    """

    name: str
    levels: LevelMatrix
    fixed: frozenset[str]
    total_pairs: int = 0
    selects: tuple[str, tuple[str, ...]] | None = None
    fill_rate: float = 1.0


def _matches_from_rules(
    training_sets: Sequence[TrainingSet],
    shares: Sequence[float],
    comparators: Sequence[Comparator],
    m: Sequence[Floats],
) -> float | None:
    """How many matching pairs there are: the matches a training rule found, divided by the share
    of all matches that rule can find (its recall, from m learnt on the other sets and the fill
    rate). The first rule with a usable recall answers (the most specific rules come first)."""
    by_name = {c.name: (k, c) for k, c in enumerate(comparators)}
    for training, share in zip(training_sets, shares, strict=True):
        if training.selects is None or training.selects[0] not in by_name:
            continue
        k, comparator = by_name[training.selects[0]]
        levels = [
            comparator.levels.index(label) for label in training.selects[1] if label in comparator.levels
        ]
        recall = training.fill_rate**2 * float(sum(m[k][level] for level in levels))
        if recall >= 0.05:
            return share * training.total_pairs / recall
    return None


def train(
    table: Table,
    comparators: Sequence[Comparator],
    candidates: Callable[[], LevelMatrix],
    training_sets: Sequence[TrainingSet],
    *,
    candidate_count: int,
    random_pair_count: int,
    iterations: int,
    seed: int,
) -> Model:
    """u from random pairs; m by EM on each training set for the comparisons it was not selected
    on (as Splink's training sessions do), averaged over the sets weighted by their matches; the
    prior from the matches a training rule found divided by its recall, or else from EM on the
    match share of a sample of the candidates (``candidates`` is only called then)."""
    u = estimate_u(table, comparators, random_pair_count, seed)
    sums = [np.zeros(len(c.levels)) for c in comparators]
    weights = np.zeros(len(comparators))
    shares: list[float] = []
    for training in training_sets:
        free = [c.name not in training.fixed for c in comparators]
        m_set, share = estimate_m(training.levels, comparators, u, free, iterations)
        shares.append(share)
        matched = share * len(training.levels)
        for k, ok in enumerate(free):
            if ok:
                sums[k] += matched * m_set[k]
                weights[k] += matched
    m = []
    for k, comparator in enumerate(comparators):
        if weights[k] > 0:
            m.append(_normalized(sums[k] / weights[k]))
        else:
            m.append(_normalized(np.asarray(comparator.prior_m, dtype=np.float64)))
    matching = _matches_from_rules(training_sets, shares, comparators, m)
    if matching is None:  # no rule to count from: EM on the match share of (a sample of) the candidates
        sample = candidates()
        found = expected_matches(sample, comparators, m, u) if len(sample) else 0.0
        matching = found * candidate_count / max(len(sample), 1)
    total_pairs = max(table.n * (table.n - 1) / 2, 1.0)
    prior = float(np.clip(matching / total_pairs, 1e-12, 0.5))
    return Model(
        names=[c.name for c in comparators],
        labels=[c.levels for c in comparators],
        m=m,
        u=u,
        prior=prior,
        tf_levels=[c.tf_levels for c in comparators],
        candidates_matching=matching,
    )
