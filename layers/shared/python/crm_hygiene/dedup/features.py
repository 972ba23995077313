"""The feature table: every matching key as a column, computed once per distinct raw value.

A column of N raw strings is factorized (distinct values -> codes) and each distinct value is
normalized once, with the normalizers of ``crm_hygiene/normalize``; the result is mapped back by
code. A 1M-row export has far fewer distinct cities, companies, first and last names than rows, so
the per-value Python work stays small; the per-row work is list comprehensions and numpy.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from crm_hygiene.normalize.country import fold as _fold

Strings = npt.NDArray[np.object_]
Codes = npt.NDArray[np.int32]

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def factorize(values: Iterable[str]) -> tuple[Codes, list[str]]:
    """(codes, distinct values): ``codes[i]`` is the position of ``values[i]`` among the distinct values."""
    seen: dict[str, int] = {}
    setdefault = seen.setdefault
    codes = np.array([setdefault(v, len(seen)) for v in values], dtype=np.int32)
    return codes, list(seen)


def distinct(values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Sorted distinct values (``np.unique`` by sorting: numpy 2's hash-based unique is ~50x slower
    on millions of int64)."""
    ordered = np.sort(values)
    if len(ordered) < 2:
        return ordered
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]


def distinct_inverse(values: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(sorted distinct values, position of each input among them)."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    flag = np.ones(len(ordered), dtype=bool)
    flag[1:] = ordered[1:] != ordered[:-1]
    inverse = np.empty(len(values), dtype=np.int64)
    inverse[order] = np.cumsum(flag) - 1
    return ordered[flag], inverse


def member(values: npt.NDArray[np.int64], sorted_set: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Whether each value is in ``sorted_set`` (ascending), by binary search."""
    if len(sorted_set) == 0:
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_set, values), len(sorted_set) - 1)
    found: npt.NDArray[np.bool_] = sorted_set[at] == values
    return found


def map_distinct(values: Sequence[str], fn: Callable[[str], str]) -> Strings:
    """``fn`` applied to each distinct value once, broadcast back to every row."""
    codes, distinct = factorize(values)
    mapped = np.empty(len(distinct), dtype=object)
    mapped[:] = [fn(v) for v in distinct]
    out: Strings = mapped[codes] if len(codes) else np.empty(0, dtype=object)
    return out


@dataclass(frozen=True)
class Coded:
    """A feature column with its codes (-1 where blank) and its distinct non-blank values."""

    values: Strings
    codes: Codes
    distinct: list[str]


def map_coded(values: Sequence[str], fn: Callable[[str], str]) -> Coded:
    """``map_distinct``, keeping the codes: the feature is then never factorized again."""
    raw_codes, raw_distinct = factorize(values)
    mapped = [fn(v) for v in raw_distinct]
    codes_of_mapped, found = factorize(mapped)
    if "" in found:
        blank = found.index("")
        codes_of_mapped = np.where(
            codes_of_mapped == blank, -1, codes_of_mapped - (codes_of_mapped > blank)
        ).astype(np.int32)
        found = found[:blank] + found[blank + 1 :]
    column = np.empty(len(mapped), dtype=object)
    column[:] = mapped
    if len(raw_codes) == 0:
        return Coded(np.empty(0, dtype=object), np.zeros(0, dtype=np.int32), [])
    return Coded(column[raw_codes], codes_of_mapped[raw_codes], found)


def coalesce_coded(columns: Sequence[Coded], n: int) -> Coded | Strings:
    """The first non-blank value across columns per row; one column keeps its codes."""
    if len(columns) == 1:
        return columns[0]
    out = columns[0].values.copy() if columns else strings([""] * n)
    for more in columns[1:]:
        empty = out == ""
        out[empty] = more.values[empty]
    return out


def strings(values: Iterable[str]) -> Strings:
    """A numpy object array of str (the form every feature has)."""
    items = list(values)
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


# Letters that Unicode does not decompose into a base letter and an accent, so accent folding
# alone would drop them ("Søren" -> "s ren").
_LETTERS = str.maketrans(
    {"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ł": "l", "Ł": "L", "đ": "d",
     "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "TH", "ı": "i", "ħ": "h"}
)  # fmt: skip


def fold(text: str) -> str:
    """``normalize.country.fold`` (lower case, accents removed, punctuation to spaces) after spelling
    out the letters that have no decomposition."""
    return _fold(text if text.isascii() else text.translate(_LETTERS))


def squash(text: str) -> str:
    """``fold`` (accents and case folded, punctuation to spaces) without spaces: the key of a value
    whose spacing varies ("Van Dyke" = "vandyke")."""
    return _NON_ALNUM.sub("", fold(text))


TYPICAL_SHARE = 1e-4
"""What share of records a value of a matching field typically has (a name, a postcode...)."""
PSEUDO_RECORDS = 1000.0
"""How many records' worth of belief that prior is worth."""


def smoothed_share(counts: npt.NDArray[np.float64], n: int) -> npt.NDArray[np.float64]:
    """A value's share of ``n`` records, with a prior of ``TYPICAL_SHARE`` worth ``PSEUDO_RECORDS``.

    In 4 records two sharing "Smith" is 50%; in a CRM it is under 1%. The prior keeps small files
    honest and vanishes as files grow (at 100,000 records it moves a share by about 1%).
    """
    out: npt.NDArray[np.float64] = (counts + PSEUDO_RECORDS * TYPICAL_SHARE) / (n + PSEUDO_RECORDS)
    return out


def value_counts(columns: Mapping[str, Iterable[str]]) -> dict[str, dict[str, int]]:
    """Per column, how many rows carry each non-blank value."""
    out: dict[str, dict[str, int]] = {}
    for name, values in columns.items():
        counter: dict[str, int] = {}
        for v in values:
            if v:
                counter[v] = counter.get(v, 0) + 1
        out[name] = counter
    return out


@dataclass
class Population:
    """How many records of a larger population carry each value of some features.

    Entry-time matching scores one record against a few candidates: a table of those few rows
    cannot tell how common "Smith" is, so term frequencies come from the whole index instead.
    Values are held as sorted hashes (12 bytes per distinct value, not a dict of strings).
    """

    n: int
    hashes: dict[str, npt.NDArray[np.int64]] = field(default_factory=dict)
    counts: dict[str, npt.NDArray[np.int64]] = field(default_factory=dict)

    @classmethod
    def of(cls, n: int, columns: Mapping[str, Iterable[str]]) -> Population:
        """Counts the values of each named column (blank values are not counted)."""
        return cls.from_counts(n, value_counts(columns))

    @classmethod
    def from_counts(cls, n: int, counted: Mapping[str, Mapping[str, int]]) -> Population:
        """From value -> count per column (``value_counts``). A value left out counts 1, as a value
        of one record does: a serialized population may keep only the values shared by several."""
        out = cls(n)
        for name, counter in counted.items():
            hashes = np.fromiter(map(hash, counter), dtype=np.int64, count=len(counter))
            counts = np.fromiter(counter.values(), dtype=np.int64, count=len(counter))
            order = np.argsort(hashes)
            out.hashes[name], out.counts[name] = hashes[order], counts[order]
        return out

    def count(self, name: str, values: Iterable[str]) -> npt.NDArray[np.int64]:
        """How many records of the population carry each value (at least 1: the record itself)."""
        hashes = self.hashes[name]
        wanted = np.fromiter(map(hash, values), dtype=np.int64)
        if len(hashes) == 0:
            return np.ones(len(wanted), dtype=np.int64)
        at = np.minimum(np.searchsorted(hashes, wanted), len(hashes) - 1)
        found = np.where(hashes[at] == wanted, self.counts[name][at], 0)
        return np.maximum(found, 1)


@dataclass
class Table:
    """Features of N records: name -> object array of str ("" = missing), with codes and counts.

    Attributes:
        n: Number of records.
        values: Feature name -> values.
        extra: Feature name -> any other per-feature data a comparator keeps (nickname sets, ...).
    """

    n: int
    values: dict[str, Strings] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    population: Population | None = None
    _codes: dict[str, tuple[Codes, npt.NDArray[np.int64]]] = field(default_factory=dict, repr=False)
    _distinct: dict[str, list[str]] = field(default_factory=dict, repr=False)

    def add(self, name: str, values: Strings | Coded) -> None:
        """Adds a feature (a ``Coded`` one brings its codes along)."""
        column = values.values if isinstance(values, Coded) else values
        if len(column) != self.n:
            raise ValueError(f"feature {name!r} has {len(column)} values for {self.n} records")
        self.values[name] = column
        self._codes.pop(name, None)
        self._distinct.pop(name, None)
        if isinstance(values, Coded):
            present = values.codes[values.codes >= 0]
            per_code = np.bincount(present, minlength=len(values.distinct)).astype(np.int64)
            self._codes[name] = (values.codes, per_code)
            self._distinct[name] = values.distinct

    def __getitem__(self, name: str) -> Strings:
        return self.values[name]

    def get(self, name: str) -> Strings:
        """The feature, or all-missing values when there is no such feature."""
        found = self.values.get(name)
        if found is None:
            found = self.extra.get("<empty>")
            if found is None:
                found = strings([""] * self.n)
                self.extra["<empty>"] = found
        return found

    def __contains__(self, name: object) -> bool:
        return name in self.values

    def codes(self, name: str) -> Codes:
        """Codes of the feature's values; -1 where the value is missing ("")."""
        return self._coded(name)[0]

    def counts(self, name: str) -> npt.NDArray[np.int64]:
        """For each record, how many records share its value (0 where missing)."""
        codes, per_code = self._coded(name)
        out = np.zeros(self.n, dtype=np.int64)
        present = codes >= 0
        out[present] = per_code[codes[present]]
        return out

    def frequency(self, name: str, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        """Share of records that carry each given row's value (of the population, when there is one),
        smoothed (see ``smoothed_share``) so that a small file does not make every value look common."""
        if self.population is not None and name in self.population.hashes:
            counts = self.population.count(name, self.values[name][rows]).astype(np.float64)
            return smoothed_share(counts, self.population.n)
        return smoothed_share(self.counts(name)[rows].astype(np.float64), self.n)

    def _coded(self, name: str) -> tuple[Codes, npt.NDArray[np.int64]]:
        hit = self._codes.get(name)
        if hit is None:
            codes, distinct = factorize(self.values[name])
            blank = distinct.index("") if "" in distinct else -1
            per_code = np.bincount(codes, minlength=len(distinct)).astype(np.int64)
            if blank >= 0:
                # Renumber so that "" is -1 and the others keep their order of appearance.
                remap = np.arange(len(distinct), dtype=np.int32)
                remap[blank + 1 :] -= 1
                remap[blank] = -1
                codes = remap[codes]
                per_code = np.delete(per_code, blank)
                distinct = distinct[:blank] + distinct[blank + 1 :]
            hit = (codes, per_code)
            self._codes[name] = hit
            self._distinct[name] = distinct
        return hit

    def rank(self, name: str) -> npt.NDArray[np.int64]:
        """Each row's value's position in the sorted distinct values (cached): sorting rows by it
        sorts them by value, with numbers instead of strings."""
        key = f"<rank>{name}"
        found: npt.NDArray[np.int64] | None = self.extra.get(key)
        if found is None:
            codes, _ = self._coded(name)
            names = self._distinct[name]
            order = np.argsort(np.asarray(names, dtype=object), kind="stable")
            by_code = np.empty(len(names), dtype=np.int64)
            by_code[order] = np.arange(len(names))
            found = np.where(codes >= 0, by_code[np.maximum(codes, 0)], -1)
            self.extra[key] = found
        return found

    def lengths(self, name: str) -> npt.NDArray[np.int32]:
        """Length of each value of a feature (cached)."""
        key = f"<len>{name}"
        found: npt.NDArray[np.int32] | None = self.extra.get(key)
        if found is None:
            found = np.fromiter(map(len, self.values[name]), dtype=np.int32, count=self.n)
            self.extra[key] = found
        return found

    def initials(self, name: str) -> npt.NDArray[np.int32]:
        """Code point of each value's first character, 0 when empty (cached)."""
        key = f"<initial>{name}"
        found: npt.NDArray[np.int32] | None = self.extra.get(key)
        if found is None:
            found = np.fromiter(
                (ord(v[0]) if v else 0 for v in self.values[name]), dtype=np.int32, count=self.n
            )
            self.extra[key] = found
        return found

    def take(self, rows: npt.NDArray[np.int64] | Sequence[int]) -> Table:
        """A table of the given rows only (same features, extra shared)."""
        index = np.asarray(rows, dtype=np.int64)
        return Table(len(index), {k: v[index] for k, v in self.values.items()}, dict(self.extra))
