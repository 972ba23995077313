"""Blocking: which pairs are compared at all.

A blocking rule turns each record into a set of keys with a pure function ``str -> frozenset[str]``
of the record's features (joined with ``\\x1f``); records sharing a key form a block and every pair
in a block is a candidate. The function runs once per distinct input, and the pairs of all blocks
of one size are produced by one numpy broadcast, so nothing loops over pairs in Python.

Nothing goes quadratic: a block larger than ``max_block_size`` is split by the rule's second key
(``refine``), and what is still too large is compared by sorted neighbourhood (each record with the
next ``window`` records in the order of the rule's sort feature).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from crm_hygiene.dedup import keys
from crm_hygiene.dedup.arrays import Index
from crm_hygiene.dedup.features import Table, distinct, distinct_inverse

Positions = npt.NDArray[np.int64] | npt.NDArray[np.int32]
KeyFunction = Callable[[str], frozenset[str]]
_SEP = "\x1f"
_NONE: frozenset[str] = frozenset()


# --- key functions: str -> frozenset[str] ---------------------------------------------------------


def exact_key(value: str) -> frozenset[str]:
    """The value itself, when every input is present ("smith\\x1f2000", but not "smith\\x1f")."""
    return frozenset((value,)) if value and all(value.split(_SEP)) else _NONE


def record_key(value: str) -> frozenset[str]:
    """Every compared value together: identical records share it (blank ones too)."""
    return frozenset((value,)) if value.strip(_SEP) else _NONE


def tokens_key(value: str) -> frozenset[str]:
    """Each space-separated token (every phone number of a record)."""
    return frozenset(t for t in value.replace(_SEP, " ").split() if t)


def local_part_key(value: str) -> frozenset[str]:
    """An email's local part, when long enough to say something ("jsmith", not "jo")."""
    return frozenset((value,)) if len(value) >= 5 else _NONE


def surname_initial_key(value: str) -> frozenset[str]:
    """Soundex of the surname + first initial, and the same with first and last swapped."""
    first, _, last = value.partition(_SEP)
    if not last:
        return _NONE
    found = {f"{keys.phonetic(last)}:{first[:1]}"}
    if first and len(first) > 1:
        found.add(f"{keys.phonetic(first)}:{last[:1]}")
    return frozenset(found)


def given_surname_key(value: str) -> frozenset[str]:
    """Each nickname key of the given name + the surname ("bob smith" -> robert:smith, bob:smith),
    and the same with first and last swapped ("smith bob" meets "bob smith")."""
    first, _, last = value.partition(_SEP)
    if len(first) < 2 or not last:
        return _NONE
    found = {f"{k}:{last}" for k in keys.nickname_keys(first) or {first}}
    found.update(f"{k}:{first}" for k in keys.nickname_keys(last) or {last})
    return frozenset(found)


def surname_with_key(value: str) -> frozenset[str]:
    """Phonetic surname + another value (postcode, company, city): "S530:94107"; for a name whose
    parts may be swapped, the first name's phonetic key too."""
    last, _, rest = value.partition(_SEP)
    first, _, other = rest.rpartition(_SEP)
    if not last or not other:
        return _NONE
    found = {f"{keys.phonetic(last)}:{other}"}
    if len(first) > 1:
        found.add(f"{keys.phonetic(first)}:{other}")
    return frozenset(found)


def given_with_key(value: str) -> frozenset[str]:
    """Given name + another value: catches surname typos and changes at one company or address."""
    first, _, other = value.partition(_SEP)
    if len(first) < 2 or not other:
        return _NONE
    return frozenset((f"{first}:{other}",))


_VALUE_KEYS: frozenset[KeyFunction] = frozenset({exact_key, record_key, local_part_key})
"""Key functions that return the input itself or nothing (record_keys takes a shortcut for them)."""


@dataclass(frozen=True)
class BlockingRule:
    """One blocking rule.

    Attributes:
        name: Shown in statistics ("email", "phone", ...).
        inputs: Feature names: comparison name and part ("name.last", "email.value"); the
            zero-config comparisons have these names (``engine.plan``).
        key: The key function of the joined inputs.
        refine: Features that may split an oversized block (the first one present is used).
        sort: Features that may order an oversized block for sorted neighbourhood (first present).
        people: Only for records of people (True), only for others (False), or both (None):
            a block of one company's contacts is a block of colleagues, not of duplicates.
        max_block: A smaller block cap for a coarse key (phonetic keys make many mid-size blocks).
        fallback: Only when records have no email and no phone (census-like files): with them,
            the other rules find the same pairs at a fraction of the comparisons.
    """

    name: str
    inputs: tuple[str, ...]
    key: KeyFunction
    refine: tuple[str, ...] = ()
    sort: tuple[str, ...] = ("name.value",)
    people: bool | None = None
    max_block: int | None = None
    fallback: bool = False


_NAME = ("name.value",)
RULES: tuple[BlockingRule, ...] = (
    BlockingRule("identical", ("*",), record_key),
    BlockingRule("email", ("email.value",), exact_key),
    BlockingRule("phone", ("phone.value.0", "phone.value.1", "phone.value.2"), tokens_key,
                 refine=("name.last", "company.value"), sort=(*_NAME, "company.value")),
    BlockingRule("email_local", ("email.local",), local_part_key, refine=("name.last",)),
    BlockingRule("surname_initial", ("name.first", "name.last"), surname_initial_key,
                 refine=("location.postcode", "location.city", "company.value"), max_block=16, fallback=True),
    BlockingRule("name", ("name.first", "name.last"), given_surname_key,
                 refine=("location.city", "company.value"), sort=("email.value", *_NAME)),
    BlockingRule("surname_company", ("name.last", "company.value"), exact_key, max_block=20),
    BlockingRule("company_domain", ("company.site",), exact_key, refine=("location.city",),
                 sort=("company.value",), people=False),
    BlockingRule("surname_postcode", ("name.last", "name.first", "location.postcode"), surname_with_key),
    BlockingRule("given_postcode", ("name.first", "location.postcode"), given_with_key),
    BlockingRule("date", ("date.value",), exact_key, refine=("name.last",)),
    BlockingRule("identifier", ("identifier.value",), exact_key, refine=("name.last", "text.value"),
                 sort=(*_NAME, "text.value")),
    BlockingRule("address", ("address.value",), exact_key, refine=("name.last",)),
    BlockingRule("company_name", ("company.value",), exact_key, refine=("location.city", "phone.value.0"),
                 sort=("domain.value", "phone.value.0"), people=False),
    BlockingRule("domain", ("domain.value",), exact_key, refine=("location.city",), sort=("company.value",)),
    BlockingRule("account", ("account.value",), exact_key, refine=("text.value",), sort=("text.value",)),
    BlockingRule("text", ("text.value",), exact_key, refine=("account.value",), sort=("account.value",)),
)  # fmt: skip
"""Every rule; the engine uses those whose inputs exist (see ``MatchConfig.blocking``)."""


def every_value(table: Table) -> tuple[str, ...]:
    """The features that hold each comparison's value (inputs of the "identical" rule)."""
    return tuple(name for name in table.values if name.endswith(".value"))


@dataclass
class BlockingStats:
    """What blocking did, per rule: candidate pairs, blocks split, neighbourhood pairs."""

    pairs: dict[str, int] = field(default_factory=dict)
    oversized_blocks: dict[str, int] = field(default_factory=dict)
    largest_block: dict[str, int] = field(default_factory=dict)
    candidates: int = 0
    kept: dict[str, Index] = field(default_factory=dict, repr=False)


def distinct_inputs(table: Table, inputs: Sequence[str], rows: Index | None) -> tuple[Index, list[str]]:
    """(code per row, joined input of each code): the inputs' distinct combinations, from the
    features' integer codes, so only distinct combinations are joined into strings."""
    inverse, source = _combinations(table, inputs, rows)
    columns = [table[name][source] for name in inputs]
    if len(columns) == 1:
        return inverse, columns[0].tolist()
    return inverse, [_SEP.join(parts) for parts in zip(*columns, strict=True)]


def _combinations(table: Table, inputs: Sequence[str], rows: Index | None) -> tuple[Index, Index]:
    """(code per row, a row of each code) of the inputs' distinct combinations."""
    codes = [table.codes(name) if rows is None else table.codes(name)[rows] for name in inputs]
    combined = np.zeros(len(codes[0]), dtype=np.int64)
    span = 1
    for c in codes:
        size = int(c.max(initial=-1)) + 2
        if span * size >= 2**62:  # keep the combined code in 62 bits: renumber what we have so far
            distinct_so_far, combined = distinct_inverse(combined)
            span = len(distinct_so_far)
        combined = combined * size + (c.astype(np.int64) + 1)
        span *= size
    found, inverse = distinct_inverse(combined)
    first = np.zeros(len(found), dtype=np.int64)
    first[inverse[::-1]] = np.arange(len(inverse) - 1, -1, -1)
    return inverse, first if rows is None else rows[first]


def _present(table: Table, inputs: Sequence[str], source: Index, every: bool) -> npt.NDArray[np.bool_]:
    """Whether every (or any) input has a value, for the given rows."""
    found = [table.codes(name)[source] >= 0 for name in inputs]
    stacked = np.vstack(found) if found else np.zeros((1, len(source)), dtype=bool)
    out: npt.NDArray[np.bool_] = np.asarray(stacked.all(axis=0) if every else stacked.any(axis=0))
    return out


def record_keys(
    table: Table,
    inputs: Sequence[str],
    key: KeyFunction,
    rows: Index | None = None,
    names: list[str] | None = None,
) -> tuple[Index, Index]:
    """(positions, key codes): one entry per key of each record (a record may have several or none).

    Positions index ``rows`` when given (a subset of the table), else the table's rows. When
    ``names`` is given, it receives the key strings, in key-code order.
    """
    if key in (exact_key, record_key) and names is None:  # which combinations count: from codes alone
        inverse, source = _combinations(table, inputs, rows)
        usable = _present(table, inputs, source, every=key is exact_key)
        positions = np.flatnonzero(usable[inverse]) if len(inverse) else np.zeros(0, dtype=np.int64)
        return positions, inverse[positions].astype(np.int64)
    codes, distinct_values = distinct_inputs(table, inputs, rows)
    if key in _VALUE_KEYS:  # the key is the input itself, or none: no per-record Python
        usable = np.fromiter((bool(key(v)) for v in distinct_values), dtype=bool, count=len(distinct_values))
        if names is not None:
            names.extend(distinct_values)
        positions = np.flatnonzero(usable[codes]) if len(codes) else np.zeros(0, dtype=np.int64)
        return positions, codes[positions].astype(np.int64)
    key_ids: dict[str, int] = {}
    offsets = np.zeros(len(distinct_values) + 1, dtype=np.int64)
    flat: list[int] = []
    for i, value in enumerate(distinct_values):
        for k in key(value):
            flat.append(key_ids.setdefault(k, len(key_ids)))
        offsets[i + 1] = len(flat)
    if names is not None:
        names.extend(key_ids)
    counts = np.diff(offsets)[codes]
    positions = np.repeat(np.arange(len(codes), dtype=np.int64), counts)
    starts = np.repeat(offsets[:-1][codes] - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
    flat_at = starts + np.arange(len(positions), dtype=np.int64)
    found = np.asarray(flat, dtype=np.int64)[flat_at] if flat else np.zeros(0, dtype=np.int64)
    return positions, found


@dataclass
class _Blocker:
    table: Table
    max_block: int
    window: int
    left: list[Positions] = field(default_factory=list)
    right: list[Positions] = field(default_factory=list)
    oversized: int = 0
    largest: int = 0

    def blocks(self, rows: Positions, key_codes: Index, rule: BlockingRule, depth: int = 0) -> None:
        """Pairs of every block; oversized blocks, all at once, by second key and neighbourhood."""
        if len(rows) < 2:
            return
        order = np.lexsort((rows, key_codes))
        k, r = key_codes[order], rows[order].astype(np.int32)  # positions fit 32 bits: half the memory
        starts = np.concatenate(([0], np.flatnonzero(np.diff(k)) + 1))
        sizes = np.diff(np.concatenate((starts, [len(k)])))
        self.largest = max(self.largest, int(sizes.max()))
        for size in distinct(sizes[(sizes >= 2) & (sizes <= self.max_block)]).tolist():
            first = starts[sizes == size]
            i, j = np.triu_indices(size, 1)
            self.left.append(r[(first[:, None] + i).ravel()])
            self.right.append(r[(first[:, None] + j).ravel()])
        over = sizes > self.max_block
        if not over.any():
            return
        self.oversized += int(over.sum())
        block = np.repeat(np.cumsum(over) - 1, sizes)[np.repeat(over, sizes)]  # oversized block number
        members = r[np.repeat(over, sizes)]
        refine = next((name for name in rule.refine if name in self.table), None)
        if depth == 0 and refine is not None:
            second = self.table.codes(refine)[members].astype(np.int64)
            known = second >= 0
            width = int(second.max(initial=0)) + 1
            self.blocks(members[known], block[known] * width + second[known], rule, depth + 1)
        self._neighbours(members, block, rule)

    def _neighbours(self, members: Positions, block: Index, rule: BlockingRule) -> None:
        """Each member with the next ``window`` members of its block, in the order of the rule's
        sort feature (sorted neighbourhood), for all oversized blocks at once."""
        sort = next((name for name in rule.sort if name in self.table), None)
        rank = self.table.rank(sort)[members] if sort is not None else members
        order = np.lexsort((rank, block))
        ordered, blocks = members[order], block[order]
        for step in range(1, self.window + 1):
            same = blocks[:-step] == blocks[step:]
            self.left.append(ordered[:-step][same])
            self.right.append(ordered[step:][same])


def candidate_pairs(
    table: Table, rules: Sequence[BlockingRule], max_block: int, window: int, keep: Sequence[str] = ()
) -> tuple[Index, Index, BlockingStats]:
    """Distinct candidate pairs (left < right) of all rules, and statistics.

    Rules whose inputs are not all features of ``table`` are skipped. The pairs of the rules named
    in ``keep`` are also returned on their own (``stats.kept``, as ``left * n + right``).
    """
    stats = BlockingStats()
    merged: list[Index] = []
    n = np.int64(max(table.n, 1))
    people = "name.value" in table
    contactable = "email.value" in table or "phone.value" in table
    for rule in rules:
        if rule.inputs == ("*",):
            rule = replace(rule, inputs=every_value(table))
        if not all(name in table for name in rule.inputs) or rule.people not in (None, people):
            continue
        if rule.fallback and contactable:
            continue
        blocker = _Blocker(table, min(max_block, rule.max_block or max_block), window)
        rows, key_codes = record_keys(table, rule.inputs, rule.key)
        blocker.blocks(rows, key_codes, rule)
        if not blocker.left:
            stats.pairs[rule.name] = 0
            continue
        left, right = np.concatenate(blocker.left), np.concatenate(blocker.right)
        oversized, largest = blocker.oversized, blocker.largest
        apart = left != right
        lo, hi = np.minimum(left[apart], right[apart]), np.maximum(left[apart], right[apart])
        del left, right, apart, blocker
        codes = distinct(lo.astype(np.int64) * n + hi)
        stats.pairs[rule.name] = len(codes)
        stats.oversized_blocks[rule.name] = oversized
        stats.largest_block[rule.name] = largest
        if rule.name in keep:
            stats.kept[rule.name] = codes
        merged.append(codes)
    if not merged:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), stats
    codes = distinct(np.concatenate(merged))
    stats.candidates = len(codes)
    return codes // n, codes % n, stats
