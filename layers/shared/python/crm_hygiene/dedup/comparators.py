"""Comparators: for each candidate pair, the level of agreement of one comparison, vectorized.

Every comparator has ordered levels, ``null`` first (a value is missing: no evidence either way)
and ``else`` last; a pair gets the first level whose condition holds. Conditions are numpy masks
over the pairs, and similarities come from rapidfuzz ``process.cpdist`` (one C call for all
pairs that need one), so there is no Python loop over pairs. A level may be term-frequency
adjusted (the pair's u is then the frequency of the shared value), a conflict (the two records
must never share a cluster) or, for identity fields, count as a disagreement.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from crm_hygiene.dedup import keys
from crm_hygiene.dedup.arrays import Floats, Index
from crm_hygiene.dedup.config import ComparatorKind, ComparisonSpec, FieldKind
from crm_hygiene.dedup.features import (
    Strings,
    Table,
    coalesce_coded,
    distinct_inverse,
    fold,
    map_coded,
    map_distinct,
    smoothed_share,
    squash,
    strings,
)

Mask = npt.NDArray[np.bool_]
Levels = npt.NDArray[np.int8]
Inputs = Sequence[tuple[FieldKind, Sequence[str]]]

_STREET_WORDS = {
    "street": "st", "str": "st", "road": "rd", "avenue": "ave", "av": "ave", "boulevard": "blvd",
    "drive": "dr", "lane": "ln", "court": "ct", "place": "pl", "crescent": "cres", "circuit": "cct",
    "terrace": "tce", "highway": "hwy", "parade": "pde", "square": "sq", "north": "n", "south": "s",
    "east": "e", "west": "w", "apartment": "apt", "suite": "ste", "unit": "u",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Compared:
    """Levels of a batch of pairs, and for term-frequency levels the shared value's frequency."""

    levels: Levels
    frequency: Floats | None = None


def _similarity(scorer: Callable[..., float], left: Strings, right: Strings) -> npt.NDArray[np.float32]:
    from rapidfuzz.process import cpdist

    if len(left) == 0:
        return np.zeros(0, dtype=np.float32)
    out: npt.NDArray[np.float32] = cpdist(left, right, scorer=scorer, workers=1, dtype=np.float32)
    return out


def jaro_winkler(left: Strings, right: Strings) -> npt.NDArray[np.float32]:
    """Jaro-Winkler similarity in [0, 1] of each pair (left[i], right[i])."""
    from rapidfuzz.distance import JaroWinkler

    return _similarity(JaroWinkler.normalized_similarity, left, right)


def edit_distance(left: Strings, right: Strings) -> npt.NDArray[np.float32]:
    """Damerau-Levenshtein distance (a transposition is one edit) of each pair."""
    from rapidfuzz.distance import DamerauLevenshtein

    return _similarity(DamerauLevenshtein.distance, left, right)


def indel_ratio(left: Strings, right: Strings) -> npt.NDArray[np.float32]:
    """Normalized edit (insertions and deletions) similarity in [0, 1] of each pair."""
    from rapidfuzz.distance import Indel

    return _similarity(Indel.normalized_similarity, left, right)


def token_sort(left: Strings, right: Strings) -> npt.NDArray[np.float32]:
    """Token-sort ratio in [0, 1]: word order does not matter ("12 main st" = "main st 12")."""
    from rapidfuzz import fuzz

    return _similarity(fuzz.token_sort_ratio, left, right) / np.float32(100.0)


def pick_levels(size: int, rules: Sequence[tuple[Mask, int]], otherwise: int) -> Levels:
    """The level of each pair: the first rule whose mask holds, else ``otherwise``."""
    out = np.full(size, otherwise, dtype=np.int8)
    for mask, level in reversed(rules):
        out[mask] = level
    return out


def _where(mask: Mask, sub: Mask) -> Mask:
    """A full-size mask from ``sub``, a mask over the pairs where ``mask`` holds."""
    out = np.zeros(len(mask), dtype=bool)
    out[np.flatnonzero(mask)[sub]] = True
    return out


class Comparator(ABC):
    """Base of the comparator families (see the module docstring).

    Attributes:
        name: The comparison's name (evidence, feature prefix).
        levels: Level labels, ``null`` first and ``else`` last.
        prior_m: Share of true matches expected at each level (the EM's start and prior); the
            ``null`` entry is unused.
        tf_levels: Levels whose u is the frequency of the shared value.
        conflict_levels: Levels at which two records must not share a cluster.
        decisive_levels: Levels that outweigh conflicts (one person's own identifier agrees).
        identity: The ``else`` level counts as a disagreement of an identity field.
        frequency_parts: Features whose value frequencies the term-frequency levels use.
    """

    family: ClassVar[ComparatorKind]
    levels: tuple[str, ...] = ("null", "exact", "else")
    prior_m: tuple[float, ...] = (0.0, 0.9, 0.1)
    tf_levels: frozenset[int] = frozenset({1})
    conflict_levels: frozenset[int] = frozenset()
    decisive_levels: frozenset[int] = frozenset()
    identity: bool = False
    frequency_parts: tuple[str, ...] = ("value",)

    def __init__(self, spec: ComparisonSpec) -> None:
        self.spec = spec
        self.name = spec.name
        if not spec.term_frequency:
            self.tf_levels = frozenset()

    def feature(self, part: str) -> str:
        return f"{self.name}.{part}"

    @property
    def else_level(self) -> int:
        return len(self.levels) - 1

    @property
    def prior_u(self) -> Floats:
        """What random pairs are expected to show before any are seen: agreement rare (1 in 1,000
        shared among the agreeing levels), the rest ``else``; a prior worth 10,000 pairs."""
        agreeing = len(self.levels) - 2
        out = np.full(len(self.levels), 1e-3 / max(agreeing, 1))
        out[0], out[-1] = 0.0, 1.0 - 1e-3
        return out

    @abstractmethod
    def prepare(self, table: Table, inputs: Inputs) -> None:
        """Adds this comparison's features to ``table`` from its input columns."""

    def adapt(self, families: frozenset[str]) -> None:  # noqa: B027 - an optional hook, not abstract
        """Adjusts to the other comparisons present (their families); nothing by default."""

    @abstractmethod
    def compare(self, table: Table, left: Index, right: Index) -> Compared:
        """The level of each pair (left[i], right[i])."""

    def describe(self, table: Table, row: int) -> str:
        """The record's value as compared (for evidence); "" when missing."""
        return str(table[self.feature("value")][row])

    def _frequency(self, table: Table, feature: str, rows: Index) -> Floats:
        return table.frequency(feature, rows)


def _first_column(inputs: Inputs, wanted: tuple[FieldKind, ...]) -> Sequence[str] | None:
    for kind, values in inputs:
        if kind in wanted:
            return values
    return None


def _coalesce(columns: list[Strings], n: int) -> Strings:
    """The first non-empty value across ``columns``, per row."""
    out = columns[0].copy() if columns else strings([""] * n)
    for more in columns[1:]:
        empty = out == ""
        out[empty] = more[empty]
    return out


class ExactComparator(Comparator):
    """Null, exact (after folding), else."""

    family: ClassVar[ComparatorKind] = "exact"

    def prepare(self, table: Table, inputs: Inputs) -> None:
        columns = [map_coded(values, squash) for _, values in inputs]
        table.add(self.feature("value"), coalesce_coded(columns, table.n))

    def compare(self, table: Table, left: Index, right: Index) -> Compared:
        values = table[self.feature("value")]
        lv, rv = values[left], values[right]
        null = (lv == "") | (rv == "")
        exact = (lv == rv) & ~null
        levels = pick_levels(len(left), [(null, 0), (exact, 1)], 2)
        return Compared(levels, self._frequency(table, self.feature("value"), left))


class DomainComparator(ExactComparator):
    """Websites: null, the same registered domain ("www.acme.com/about" = "acme.com"), else."""

    family: ClassVar[ComparatorKind] = "domain"

    def prepare(self, table: Table, inputs: Inputs) -> None:
        columns = [map_coded(values, keys.website_key) for _, values in inputs]
        table.add(self.feature("value"), coalesce_coded(columns, table.n))


class StringComparator(Comparator):
    """Null, exact, Jaro-Winkler at each threshold, else."""

    family: ClassVar[ComparatorKind] = "string"
    default_thresholds: ClassVar[tuple[float, ...]] = (0.92, 0.8)

    def key(self, raw: str) -> str:
        """The matching key of one raw value."""
        return fold(raw)

    def __init__(self, spec: ComparisonSpec) -> None:
        super().__init__(spec)
        self.thresholds = spec.thresholds or self.default_thresholds
        self.levels = ("null", "exact", *(f"similar≥{t:g}" for t in self.thresholds), "else")
        agree = [0.15 / len(self.thresholds)] * len(self.thresholds)
        self.prior_m = (0.0, 0.75, *agree, 0.1)

    def adapt(self, families: frozenset[str]) -> None:
        # Free text of records that are not people (deal names): an unrelated name is another deal.
        if self.family == "string" and "person_name" not in families:
            self.conflict_levels = frozenset({self.else_level})

    def prepare(self, table: Table, inputs: Inputs) -> None:
        columns = [map_coded(values, self.key) for _, values in inputs]
        table.add(self.feature("value"), coalesce_coded(columns, table.n))

    def similarity(self, left: Strings, right: Strings) -> npt.NDArray[np.float32]:
        # Edit similarity, not Jaro-Winkler, and of what follows the words both start with:
        # "Acme - Renewal" and "Acme - Platform License" share a long prefix; they are two deals.
        found = indel_ratio(left, right)
        check = np.flatnonzero(found >= min(self.thresholds, default=1.0))
        if len(check):
            tails = [_tail_similarity(a, b) for a, b in zip(left[check], right[check], strict=True)]
            found[check] = np.minimum(found[check], np.asarray(tails, dtype=np.float32))
        return found

    def compare(self, table: Table, left: Index, right: Index) -> Compared:
        values = table[self.feature("value")]
        lv, rv = values[left], values[right]
        null = (lv == "") | (rv == "")
        exact = (lv == rv) & ~null
        rest = ~null & ~exact
        sims = self.similarity(lv[rest], rv[rest])
        rules: list[tuple[Mask, int]] = [(null, 0), (exact, 1)]
        for i, threshold in enumerate(self.thresholds):
            rules.append((_where(rest, sims >= threshold), 2 + i))
        levels = pick_levels(len(left), rules, self.else_level)
        return Compared(levels, self._frequency(table, self.feature("value"), left))


def _tail_similarity(a: str, b: str) -> float:
    """Edit similarity of two texts after the words they both start with."""
    from rapidfuzz.distance import Indel

    wa, wb = a.split(), b.split()
    common = 0
    for x, y in zip(wa, wb, strict=False):
        if x != y:
            break
        common += 1
    ta, tb = " ".join(wa[common:]), " ".join(wb[common:])
    if not ta and not tb:
        return 1.0
    return float(Indel.normalized_similarity(ta, tb))


class AddressComparator(Comparator):
    """Street addresses of one or two lines (the house number joins the first line).

    The lines are compared both ways round and the better alignment counts, so swapped lines still
    agree. Levels: exact (the same lines, in any order), similar (≥ 0.9 on average), loosely similar
    (≥ 0.75), one line the same and the other different (a new street, the same building), else.
    """

    family: ClassVar[ComparatorKind] = "address"
    levels = ("null", "exact", "similar", "loosely similar", "one line", "else")
    prior_m = (0.0, 0.55, 0.2, 0.1, 0.05, 0.1)

    def prepare(self, table: Table, inputs: Inputs) -> None:
        numbers = [map_distinct(v, _street) for k, v in inputs if k == "street_number"]
        lines = [map_distinct(v, _street) for k, v in inputs if k != "street_number"]
        number = _coalesce(numbers, table.n) if numbers else strings([""] * table.n)
        first = lines[0] if lines else strings([""] * table.n)
        second = lines[1] if len(lines) > 1 else strings([""] * table.n)
        for extra in lines[2:]:
            second = strings(f"{a} {b}".strip() for a, b in zip(second, extra, strict=True))
        first = strings(f"{a} {b}".strip() for a, b in zip(number, first, strict=True))
        table.add(self.feature("line1"), first)
        table.add(self.feature("line2"), second)
        # Exact: the same words, whichever line (or the number's own column) they were typed in.
        table.add(
            self.feature("value"),
            strings(" ".join(sorted(f"{a} {b}".split())) for a, b in zip(first, second, strict=True)),
        )

    def compare(self, table: Table, left: Index, right: Index) -> Compared:
        value = self.feature("value")
        vc = table.codes(value)
        null = (vc[left] < 0) | (vc[right] < 0)
        exact = (vc[left] == vc[right]) & ~null
        at = np.flatnonzero(~null & ~exact)
        one, two = table[self.feature("line1")], table[self.feature("line2")]
        a1, a2, b1, b2 = one[left[at]], two[left[at]], one[right[at]], two[right[at]]
        straight = _line_pair(a1, b1, a2, b2)
        crossed = _line_pair(a1, b2, a2, b1)
        best = np.maximum(straight[0], crossed[0])
        one_line = np.maximum(straight[1], crossed[1]) >= 0.85
        rules = [(null, 0), (exact, 1)]
        for level, ok in ((2, best >= 0.9), (3, best >= 0.75), (4, one_line)):
            mask = np.zeros(len(left), dtype=bool)
            mask[at[ok]] = True
            rules.append((mask, level))
        levels = pick_levels(len(left), rules, 5)
        return Compared(levels, self._frequency(table, value, left))


def _line_pair(
    a1: Strings, b1: Strings, a2: Strings, b2: Strings
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """(mean similarity of the two aligned lines, the better of the two) for one alignment.

    A line missing on either side does not count in the mean."""
    s1 = token_sort(a1, b1)
    s2 = token_sort(a2, b2)
    has1 = (a1 != "") & (b1 != "")
    has2 = (a2 != "") & (b2 != "")
    count = has1.astype(np.float32) + has2.astype(np.float32)
    total = np.where(has1, s1, 0) + np.where(has2, s2, 0)
    mean = np.where(count > 0, total / np.maximum(count, 1), 0).astype(np.float32)
    best = np.maximum(np.where(has1, s1, 0), np.where(has2, s2, 0)).astype(np.float32)
    return mean, best


def _street(raw: str) -> str:
    return " ".join(_STREET_WORDS.get(w, w) for w in fold(raw).split())


class EditComparator(StringComparator):
    """Null, exact, at most N edits (Damerau-Levenshtein) for each N in thresholds, else.

    For identifiers, postcodes and dates, where a typo is one wrong, missing or swapped character.
    """

    default_thresholds: ClassVar[tuple[float, ...]] = (1.0,)

    def __init__(self, spec: ComparisonSpec) -> None:
        super().__init__(spec)
        self.levels = (
            "null",
            "exact",
            *(f"{int(t)} edit{'s' if t > 1 else ''}" for t in self.thresholds),
            "else",
        )

    def compare(self, table: Table, left: Index, right: Index) -> Compared:
        values = table[self.feature("value")]
        lv, rv = values[left], values[right]
        null = (lv == "") | (rv == "")
        exact = (lv == rv) & ~null
        rest = ~null & ~exact
        distance = edit_distance(lv[rest], rv[rest])
        rules: list[tuple[Mask, int]] = [(null, 0), (exact, 1)]
        for i, threshold in enumerate(self.thresholds):
            rules.append((_where(rest, distance <= threshold), 2 + i))
        levels = pick_levels(len(left), rules, self.else_level)
        return Compared(levels, self._frequency(table, self.feature("value"), left))


class IdentifierComparator(EditComparator):
    """Identifiers (national id, tax or registration number): exact, one typo, else. An agreement
    up to a typo is decisive: a different given name on the same id number is a misspelling."""

    family: ClassVar[ComparatorKind] = "identifier"

    def key(self, raw: str) -> str:
        return keys.identifier_key(raw)

    decisive_levels = frozenset({1, 2})


class PostcodeComparator(EditComparator):
    family: ClassVar[ComparatorKind] = "postcode"

    def key(self, raw: str) -> str:
        return keys.postcode_key(raw)


class DateComparator(EditComparator):
    """Dates as YYYYMMDD: exact, day and month swapped or one typo, two typos, else."""

    family: ClassVar[ComparatorKind] = "date"

    def key(self, raw: str) -> str:
        return keys.date_key(raw)

    default_thresholds: ClassVar[tuple[float, ...]] = (1.0, 2.0)
    # The same date of birth (up to a typo) is personal: it outweighs a conflicting given name.
    decisive_levels = frozenset({1, 2})

    def adapt(self, families: frozenset[str]) -> None:
        # Deal-like records (no person, an amount or an account): dates are compared by days apart,
        # and a date far apart (next year's renewal) is another record; it says nothing personal.
        if "person_name" not in families and families & {"number", "exact"}:
            self.by_days = True
            self.levels = ("null", "exact", "within 7 days", "within 31 days", "else")
            self.prior_m = (0.0, 0.6, 0.2, 0.1, 0.1)
            self.conflict_levels = frozenset({4})
            self.decisive_levels = frozenset()

    def compare(self, table: Table, left: Index, right: Index) -> Compared:
        if not self.by_days:
            return self._compare_edits(table, left, right)
        days: npt.NDArray[np.int64] = table.extra[self.feature("days")]
        dl, dr = days[left], days[right]
        null = (dl < 0) | (dr < 0)
        apart = np.abs(dl - dr)
        rules = [(null, 0), (apart == 0, 1), (apart <= 7, 2), (apart <= 31, 3)]
        levels = pick_levels(len(left), rules, 4)
        return Compared(levels, self._frequency(table, self.feature("value"), left))

    by_days = False

    def prepare(self, table: Table, inputs: Inputs) -> None:
        super().prepare(table, inputs)
        # Year, month and day as numbers, so a swapped day and month is found without strings,
        # and the day number, for dates compared by days apart.
        values = table[self.feature("value")]
        parts = np.zeros((table.n, 3), dtype=np.int32)
        days = np.full(table.n, -1, dtype=np.int64)
        for i, v in enumerate(values.tolist()):
            if len(v) == 8 and v.isdigit():
                parts[i] = (int(v[:4]), int(v[4:6]), int(v[6:]))
                days[i] = _day_number(int(v[:4]), int(v[4:6]), int(v[6:]))
        table.extra[self.feature("parts")] = parts
        table.extra[self.feature("days")] = days

    def _compare_edits(self, table: Table, left: Index, right: Index) -> Compared:
        compared = super().compare(table, left, right)
        parts = table.extra[self.feature("parts")]
        pl, pr = parts[left], parts[right]
        swapped = (pl[:, 0] == pr[:, 0]) & (pl[:, 1] == pr[:, 2]) & (pl[:, 2] == pr[:, 1]) & (pl[:, 0] > 0)
        compared.levels[swapped & (compared.levels > 2)] = 2
        return compared


def _day_number(year: int, month: int, day: int) -> int:
    from datetime import date

    try:
        return date(year, month, day).toordinal()
    except ValueError:  # a typo that is not a real date
        return -1


class NumberComparator(Comparator):
    """Amounts: exact, within 1 %, within 10 %, else."""

    family: ClassVar[ComparatorKind] = "number"
    levels = ("null", "exact", "within 1%", "within 10%", "else")
    prior_m = (0.0, 0.7, 0.1, 0.1, 0.1)

    def prepare(self, table: Table, inputs: Inputs) -> None:
        columns = [map_distinct(values, keys.amount_key) for _, values in inputs]
        value = _coalesce(columns, table.n)
        table.add(self.feature("value"), value)
        numbers = np.array([float(v) if v else np.nan for v in value], dtype=np.float64)
        table.extra[self.feature("number")] = numbers

    def compare(self, table: Table, left: Index, right: Index) -> Compared:
        numbers: Floats = table.extra[self.feature("number")]
        lv, rv = numbers[left], numbers[right]
        null = np.isnan(lv) | np.isnan(rv)
        with np.errstate(invalid="ignore", divide="ignore"):
            gap = np.abs(lv - rv) / np.maximum(np.maximum(np.abs(lv), np.abs(rv)), 1e-9)
        exact = ~null & (lv == rv)
        rules = [(null, 0), (exact, 1), (~null & (gap <= 0.01), 2), (~null & (gap <= 0.1), 3)]
        levels = pick_levels(len(left), rules, 4)
        return Compared(levels, self._frequency(table, self.feature("value"), left))


class EmailComparator(Comparator):
    """Emails: same address, same local part elsewhere, a typo at the same domain, another address
    at the same company domain (two people: a conflict), else.

    Distinct addresses at one company domain are the CRM's own statement that two records are
    two people, so that level is a conflict; at a free-mail domain it means nothing special.
    """

    family: ClassVar[ComparatorKind] = "email"
    levels = ("null", "exact", "same local part", "similar local part", "other address same domain", "else")
    prior_m = (0.0, 0.65, 0.08, 0.04, 0.01, 0.22)
    tf_levels = frozenset({1, 2})
    conflict_levels = frozenset({4})
    decisive_levels = frozenset({1})
    identity = True
    frequency_parts = ("value", "local")

    def prepare(self, table: Table, inputs: Inputs) -> None:
        parts = [_email_columns(values) for _, values in inputs]
        for i, name in enumerate(("value", "local", "domain")):
            table.add(self.feature(name), _coalesce([p[i] for p in parts], table.n))
        names = table.extra.get("person_names")
        local = table[self.feature("local")]
        named = np.zeros(table.n, dtype=bool)
        if names is not None:
            named[:] = [_spells_name(lo, g, s) for lo, g, s in zip(local, names[0], names[1], strict=True)]
        table.extra[self.feature("named")] = named
        free = keys.FREE_MAIL
        domains = table[self.feature("domain")]
        table.extra[self.feature("free")] = np.fromiter(
            (d in free for d in domains), dtype=bool, count=table.n
        )

    def compare(self, table: Table, left: Index, right: Index) -> Compared:
        a_name, l_name, d_name = (self.feature(p) for p in ("value", "local", "domain"))
        ac, lc, dc = table.codes(a_name), table.codes(l_name), table.codes(d_name)
        null = (ac[left] < 0) | (ac[right] < 0)
        exact = (ac[left] == ac[right]) & ~null
        # "john.smith" at two domains says no more than the names do: only a local part that
        # does not spell the person's name ("jsx71") is evidence of its own.
        named = table.extra[self.feature("named")][left]
        long_local = table.lengths(l_name)[left] >= 3
        same_local = (lc[left] == lc[right]) & ~null & ~exact & ~named & long_local
        same_domain = (dc[left] == dc[right]) & ~null & ~exact
        local = table[l_name]
        near = _typo_locals(table, l_name, local[left], local[right], left, right, same_domain)
        free = table.extra[self.feature("free")][left]
        rules = [(null, 0), (exact, 1), (same_local, 2), (near, 3), (same_domain & ~free, 4)]
        levels = pick_levels(len(left), rules, 5)
        frequency = np.full(len(left), np.nan)
        for level, part in ((1, a_name), (2, l_name)):
            at = levels == level
            if at.any():
                frequency[at] = self._frequency(table, part, left[at])
        return Compared(levels, frequency)

    def describe(self, table: Table, row: int) -> str:
        return str(table[self.feature("value")][row])


def _typo_locals(
    table: Table, feature: str, ll: Strings, lr: Strings, left: Index, right: Index, where: Mask
) -> Mask:
    """Local parts one keystroke apart that are a typo, not two colleagues' addresses.

    Not a typo: the addresses of two people whose surnames differ ("maryn@" / "maryb@"), or a
    number a mail admin added for a namesake ("harper.brown@" / "harperbrown2@").
    """
    near = where.copy()
    if not where.any():
        return near
    at = np.flatnonzero(where)
    lengths = table.lengths(feature)
    ok = (lengths[left[at]] >= 5) & (lengths[right[at]] >= 5)
    ok[ok] = edit_distance(ll[at[ok]], lr[at[ok]]) <= 1
    check = at[ok]
    stems = [
        (a.rstrip("0123456789"), b.rstrip("0123456789")) for a, b in zip(ll[check], lr[check], strict=True)
    ]
    ok[ok] = np.fromiter((sa != sb for sa, sb in stems), dtype=bool, count=len(stems))
    names = table.extra.get("person_names")
    if names is not None and ok.any():
        check = at[ok]
        sl, sr = names[1][left[check]], names[1][right[check]]
        known = (sl != "") & (sr != "")
        ok[ok] = ~known | (sl == sr) | (jaro_winkler(sl, sr) >= 0.9)
    near[at] = ok
    return near


def _spells_name(local: str, given: str, surname: str) -> bool:
    if not local:
        return False
    return (len(surname) >= 3 and surname in local) or (len(given) >= 3 and given in local)


def _email_columns(values: Sequence[str]) -> tuple[Strings, Strings, Strings]:
    from crm_hygiene.dedup.features import factorize

    codes, distinct = factorize(values)
    shared: dict[str, str] = {}  # one string per domain, not one per address
    parts = [(a, lo, shared.setdefault(d, d)) for a, lo, d in map(keys.email_parts, distinct)]
    out = []
    for i in range(3):
        column = np.empty(len(distinct), dtype=object)
        column[:] = [p[i] for p in parts]
        out.append(column[codes] if len(codes) else strings([]))
    return out[0], out[1], out[2]


class PhoneComparator(Comparator):
    """Phones (any of the record's numbers): one number in common, else. Shared office lines
    are common in a CRM, so the exact level is weighed by how many records carry the number."""

    family: ClassVar[ComparatorKind] = "phone"
    levels = ("null", "exact", "else")
    prior_m = (0.0, 0.75, 0.25)
    identity = True
    slots: ClassVar[int] = 3
    frequency_parts = ("numbers",)

    def prepare(self, table: Table, inputs: Inputs) -> None:
        columns = [map_distinct(values, keys.phone_key) for _, values in inputs][: self.slots]
        # Missing slots are empty columns, so blocking always finds value.0 to value.2.
        columns += [strings([""] * table.n) for _ in range(self.slots - len(columns))]
        for i, column in enumerate(columns):
            table.add(self.feature(f"value.{i}"), column)
        table.add(self.feature("value"), _coalesce(columns, table.n))
        table.extra[self.feature("slot_columns")] = columns
        # One numbering of every slot's numbers, so equal numbers in different slots compare equal,
        # and how many records carry each number (in any slot).
        from crm_hygiene.dedup.features import factorize

        codes, distinct = factorize(v for column in columns for v in column)
        blank = distinct.index("") if "" in distinct else -1
        per_code = np.bincount(codes, minlength=len(distinct)).astype(np.float64)
        population = table.population
        if population is not None and self.feature("numbers") in population.hashes:
            per_code = population.count(self.feature("numbers"), distinct).astype(np.float64)
        codes = codes.reshape(len(columns), table.n)
        table.extra[self.feature("codes")] = [np.where(c == blank, -1, c) for c in codes]
        table.extra[self.feature("counts")] = per_code

    def compare(self, table: Table, left: Index, right: Index) -> Compared:
        slots: list[npt.NDArray[np.int32]] = table.extra[self.feature("codes")]
        counts: Floats = table.extra[self.feature("counts")]
        size = len(left)
        has_l = np.zeros(size, dtype=bool)
        has_r = np.zeros(size, dtype=bool)
        best = np.full(size, np.inf)
        right_codes = [b[right] for b in slots]
        for a in slots:
            la = a[left]
            present = la >= 0
            has_l |= present
            shared = counts[np.maximum(la, 0)]
            for rb in right_codes:
                hit = (la == rb) & present
                best[hit] = np.minimum(best[hit], shared[hit])
        for rb in right_codes:
            has_r |= rb >= 0
        exact = np.isfinite(best)
        null = ~(has_l & has_r)
        levels = pick_levels(size, [(null, 0), (exact, 1)], 2)
        best[~exact] = np.nan
        n = table.population.n if table.population is not None else table.n
        return Compared(levels, smoothed_share(best, n))

    def describe(self, table: Table, row: int) -> str:
        found = [str(table[self.feature(f"value.{i}")][row]) for i in range(self.slots)]
        return " ".join(v for v in found if v)


class LocationComparator(Comparator):
    """Where a record is: same postcode, same city, a near miss (postcode one edit away or a
    misspelt city), same state or region, else. One comparison for all of them, because a shared
    postcode already implies the shared city and state: counted apart they would be counted thrice."""

    family: ClassVar[ComparatorKind] = "location"
    levels = ("null", "postcode", "city", "near", "state", "else")
    prior_m = (0.0, 0.7, 0.12, 0.08, 0.04, 0.06)
    tf_levels = frozenset({1, 2})
    frequency_parts = ("postcode", "city")

    def prepare(self, table: Table, inputs: Inputs) -> None:
        for part, wanted, key in (
            ("postcode", ("postcode",), keys.postcode_key),
            ("city", ("city",), fold),
            ("state", ("state",), squash),
        ):
            columns = [map_coded(v, key) for k, v in inputs if k in wanted]
            if columns:  # absent parts stay absent, so blocking rules on them do not apply
                table.add(self.feature(part), coalesce_coded(columns, table.n))
        place = [table.get(self.feature("postcode")), table.get(self.feature("city"))]
        table.add(self.feature("value"), _coalesce(place, table.n))

    def describe(self, table: Table, row: int) -> str:
        parts = (table.get(self.feature(p))[row] for p in ("postcode", "city", "state"))
        return " ".join(str(p) for p in parts if p)

    def compare(self, table: Table, left: Index, right: Index) -> Compared:
        names = [self.feature(p) for p in ("postcode", "city", "state")]
        codes = [table.codes(n) if n in table else np.full(table.n, -1, dtype=np.int32) for n in names]
        (pl, pr), (cl, cr), (sl, sr) = ((c[left], c[right]) for c in codes)
        null = ~(((pl >= 0) | (cl >= 0) | (sl >= 0)) & ((pr >= 0) | (cr >= 0) | (sr >= 0)))
        same_post = (pl == pr) & (pl >= 0)
        same_city = (cl == cr) & (cl >= 0)
        rest = ~null & ~same_post & ~same_city
        near = np.zeros(len(left), dtype=bool)
        # A near miss starts with the same letter or digit (typos rarely hit the first one).
        for name, scorer, limit in ((names[0], edit_distance, -1.0), (names[1], jaro_winkler, 0.9)):
            if name not in table:
                continue
            initials = table.initials(name)
            at = np.flatnonzero(rest & ~near & (initials[left] == initials[right]) & (initials[left] > 0))
            values = table[name]
            found = scorer(values[left[at]], values[right[at]])
            near[at] = found <= 1 if limit < 0 else found >= limit
        same_state = (sl == sr) & (sl >= 0)
        rules = [(null, 0), (same_post, 1), (same_city, 2), (near, 3), (same_state, 4)]
        levels = pick_levels(len(left), rules, 5)
        frequency = np.full(len(left), np.nan)
        for level, feature in ((1, names[0]), (2, names[1])):
            hit = levels == level
            if hit.any():
                frequency[hit] = self._frequency(table, feature, left[hit])
        return Compared(levels, frequency)


class CompanyComparator(Comparator):
    """Company: same name key (legal suffix and punctuation ignored) or same website, a similar
    name, else."""

    family: ClassVar[ComparatorKind] = "company"
    levels = ("null", "exact", "similar", "else")
    prior_m = (0.0, 0.75, 0.1, 0.15)
    identity = True
    frequency_parts = ("value", "site")

    def prepare(self, table: Table, inputs: Inputs) -> None:
        names = [map_coded(v, keys.company_name_key) for k, v in inputs if k != "domain"]
        sites = [map_coded(v, keys.website_key) for k, v in inputs if k == "domain"]
        table.add(self.feature("value"), coalesce_coded(names, table.n))
        table.add(self.feature("site"), coalesce_coded(sites, table.n))

    def compare(self, table: Table, left: Index, right: Index) -> Compared:
        n_name, s_name = self.feature("value"), self.feature("site")
        nc, sc = table.codes(n_name), table.codes(s_name)
        nl, nr, sl, sr = nc[left], nc[right], sc[left], sc[right]
        null = ~(((nl >= 0) | (sl >= 0)) & ((nr >= 0) | (sr >= 0)))
        same_name = (nl == nr) & (nl >= 0)
        exact = (same_name | ((sl == sr) & (sl >= 0))) & ~null
        initials = table.initials(n_name)
        at = np.flatnonzero(~null & ~exact & (nl >= 0) & (nr >= 0) & (initials[left] == initials[right]))
        names = table[n_name]
        similar = np.zeros(len(left), dtype=bool)
        similar[at] = jaro_winkler(names[left[at]], names[right[at]]) >= 0.92
        levels = pick_levels(len(left), [(null, 0), (exact, 1), (similar, 2)], 3)
        frequency = self._frequency(table, self.feature("value"), left)
        by_site = exact & ~same_name
        frequency[by_site] = self._frequency(table, self.feature("site"), left[by_site])
        return Compared(levels, frequency)


class PersonNameComparator(Comparator):
    """First and last name together, the way people mistype them.

    Levels: exact; a nickname ("Bob" / "Robert"); a typo in one part; first and last swapped (with a
    typo or an initial); an initial or a missing first name; typos in both; same surname but another
    given name (colleagues, family: a conflict); same first name, other surname; two complete and
    unrelated names (a conflict); else (too little of either name to say).
    """

    family: ClassVar[ComparatorKind] = "person_name"
    levels = (
        "null", "exact", "nickname", "typo", "swapped", "initial", "similar", "surname only",
        "first name only", "different names", "else",
    )  # fmt: skip
    prior_m = (0.0, 0.5, 0.06, 0.15, 0.05, 0.1, 0.05, 0.02, 0.02, 0.01, 0.04)
    conflict_levels = frozenset({7, 9})

    def adapt(self, families: frozenset[str]) -> None:
        # Where records carry workplace fields, the same first name with another surname is a
        # colleague; in census-like files (no email, phone or company) it is as likely a new
        # married name, so the scores decide.
        if families & {"email", "phone", "company"}:
            self.conflict_levels = frozenset({7, 8, 9})

    def prepare(self, table: Table, inputs: Inputs) -> None:
        first = _first_column(inputs, ("first_name",))
        last = _first_column(inputs, ("last_name",))
        full = _first_column(inputs, ("full_name",))
        n = table.n
        given, surname = _split_names(first, last, full, n)
        table.add(self.feature("first"), given)
        table.add(self.feature("last"), surname)
        table.extra["person_names"] = (given, surname)
        full_key = strings(f"{g} {s}" if g or s else "" for g, s in zip(given, surname, strict=True))
        table.add(self.feature("value"), full_key)

    def describe(self, table: Table, row: int) -> str:
        return str(table[self.feature("value")][row]).strip()

    def compare(self, table: Table, left: Index, right: Index) -> Compared:
        f_name, l_name = self.feature("first"), self.feature("last")
        first, last = table[f_name], table[l_name]
        fc, lc = table.codes(f_name), table.codes(l_name)
        fcl, fcr, lcl, lcr = fc[left], fc[right], lc[left], lc[right]
        null = ((fcl < 0) & (lcl < 0)) | ((fcr < 0) & (lcr < 0))
        both_first, both_last = (fcl >= 0) & (fcr >= 0), (lcl >= 0) & (lcr >= 0)
        last_eq, first_eq = (lcl == lcr) & both_last, (fcl == fcr) & both_first
        open_ = ~null & ~(last_eq & first_eq)
        fl, fr, ll, lr = first[left], first[right], last[left], last[right]
        # Similarities only where they can change the level: a first-name comparison matters
        # only when the surnames are close, so random pairs cost one Jaro-Winkler, not four.
        sim_last = _similar_where(jaro_winkler, ll, lr, open_ & both_last & ~last_eq)
        sim_last[last_eq] = 1.0
        lastish = both_last & (sim_last >= 0.85)
        close_last = both_last & (sim_last >= 0.88)
        sim_first = _similar_where(jaro_winkler, fl, fr, open_ & both_first & ~first_eq & lastish)
        sim_first[first_eq] = 1.0
        nick = _nicknames(table, f_name, left, right, open_ & both_first & ~first_eq & lastish)
        typo_first = last_eq & both_first & ~first_eq
        typo_first &= _one_typo(table, f_name, left, right, typo_first) | (sim_first >= 0.92)
        typo_last = first_eq & both_last & ~last_eq
        typo_last &= _one_typo(table, l_name, left, right, typo_last) | (sim_last >= 0.92)
        typo = typo_first | typo_last
        init = _initials(table, f_name, left, right)
        swapped = _swapped(table, f_name, l_name, left, right, open_ & both_first & both_last & ~lastish)
        initial = close_last & (init | ((fcl >= 0) ^ (fcr >= 0)))
        # Typos in both parts (or a nickname and a typo); one part exact and the other merely
        # similar is another person ("Jonathan Jones" / "Johanna Jones").
        similar = both_first & lastish & (nick | ((sim_first >= 0.8) & ~first_eq)) & ~last_eq
        complete = both_last & both_first
        # Exact: the same first and last name, or the same one part with the other blank on both.
        exact = (fcl == fcr) & (lcl == lcr) & ~null
        rules = [
            (null, 0), (exact, 1), (nick & last_eq, 2), (typo & open_, 3), (swapped & open_, 4),
            (initial & open_, 5), (similar & open_, 6), (close_last & both_first & open_, 7),
            (first_eq & both_last & open_, 8), (complete & open_, 9),
        ]  # fmt: skip
        levels = pick_levels(len(left), rules, 10)
        return Compared(levels, self._frequency(table, self.feature("value"), left))


def _one_typo(table: Table, feature: str, left: Index, right: Index, where: Mask) -> Mask:
    """The values are one keystroke apart (two for names of 8 letters or more)."""
    out = np.zeros(len(left), dtype=bool)
    at = np.flatnonzero(where)
    if len(at) == 0:
        return out
    lengths = np.minimum(table.lengths(feature)[left[at]], table.lengths(feature)[right[at]])
    values = table[feature]
    distance = edit_distance(values[left[at]], values[right[at]])
    out[at] = (lengths >= 3) & (distance <= np.where(lengths >= 8, 2, 1))
    return out


def _similar_where(
    scorer: Callable[[Strings, Strings], npt.NDArray[np.float32]], a: Strings, b: Strings, where: Mask
) -> npt.NDArray[np.float32]:
    out = np.zeros(len(a), dtype=np.float32)
    if where.any():
        out[where] = scorer(a[where], b[where])
    return out


def _swapped(table: Table, f_name: str, l_name: str, left: Index, right: Index, where: Mask) -> Mask:
    """First name of one is the other's last name and the other way round, give or take a typo or an
    initial. Only pairs whose crossed initials agree are compared (a typo rarely hits the first letter)."""
    f_init, l_init = table.initials(f_name), table.initials(l_name)
    at = np.flatnonzero(where & (f_init[left] == l_init[right]) & (l_init[left] == f_init[right]))
    first, last = table[f_name], table[l_name]
    ok = jaro_winkler(first[left[at]], last[right[at]]) >= 0.9
    ok |= _initials_between(table, f_name, l_name, left[at], right[at])
    at = at[ok]
    ok = jaro_winkler(last[left[at]], first[right[at]]) >= 0.9
    ok |= _initials_between(table, l_name, f_name, left[at], right[at])
    out = np.zeros(len(left), dtype=bool)
    out[at[ok]] = True
    return out


def _split_names(
    first: Sequence[str] | None, last: Sequence[str] | None, full: Sequence[str] | None, n: int
) -> tuple[Strings, Strings]:
    """(given name, surname) per row from whichever name columns exist."""
    given = map_distinct(first, lambda v: keys.split_given(v)[0]) if first is not None else strings([""] * n)
    surname = map_distinct(last, keys.surname_key) if last is not None else strings([""] * n)
    if last is not None:
        # "Mary Howard" typed into the last-name field with no first name: split it.
        for i in np.flatnonzero(given == "").tolist():
            raw = last[i]
            if " " in raw.strip():
                given[i], _, surname[i] = keys.split_full(raw)
    for source in (s for s in (first, full) if s is not None):
        # "John Smith" typed into the first-name field, or a full-name column: split it.
        for i in np.flatnonzero(surname == "").tolist():
            raw = source[i]
            if raw and (" " in raw.strip() or "," in raw):
                g, _, found = keys.split_full(raw)
                if found:
                    given[i], surname[i] = g, found
    return given, surname


def _initials(table: Table, feature: str, left: Index, right: Index) -> Mask:
    """One value is a single letter that starts the other ("J" / "john")."""
    return _initials_between(table, feature, feature, left, right)


def _initials_between(table: Table, a: str, b: str, left: Index, right: Index) -> Mask:
    la, lb = table.lengths(a)[left], table.lengths(b)[right]
    ia, ib = table.initials(a)[left], table.initials(b)[right]
    out: Mask = ((la == 1) | (lb == 1)) & (ia == ib) & (ia > 0)
    return out


def _nicknames(table: Table, feature: str, left: Index, right: Index, where: Mask) -> Mask:
    """Whether the given names of each pair (where asked) are nickname-compatible, checked once
    per distinct pair of names."""
    codes = table.codes(feature)
    cl, cr = codes[left], codes[right]
    ok = where & (cl >= 0) & (cr >= 0) & (cl != cr)
    out = np.zeros(len(left), dtype=bool)
    if not ok.any():
        return out
    lo, hi = np.minimum(cl[ok], cr[ok]), np.maximum(cl[ok], cr[ok])
    combined = lo.astype(np.int64) * (int(codes.max()) + 1) + hi
    distinct, inverse = distinct_inverse(combined)
    names = table[feature]
    first_row = np.full(int(codes.max()) + 1, -1, dtype=np.int64)
    present = np.flatnonzero(codes >= 0)
    first_row[codes[present][::-1]] = present[::-1]
    width = int(codes.max()) + 1
    verdict = np.fromiter(
        (
            keys.nickname_compatible(names[first_row[d // width]], names[first_row[d % width]])
            for d in distinct.tolist()
        ),
        dtype=bool,
        count=len(distinct),
    )
    out[ok] = verdict[inverse]
    return out


FAMILIES: dict[ComparatorKind, type[Comparator]] = {
    "person_name": PersonNameComparator,
    "email": EmailComparator,
    "phone": PhoneComparator,
    "company": CompanyComparator,
    "string": StringComparator,
    "address": AddressComparator,
    "date": DateComparator,
    "number": NumberComparator,
    "identifier": IdentifierComparator,
    "postcode": PostcodeComparator,
    "exact": ExactComparator,
    "domain": DomainComparator,
    "location": LocationComparator,
}


def build(spec: ComparisonSpec) -> Comparator:
    """The comparator a spec describes."""
    return FAMILIES[spec.comparator](spec)
