"""Shared helpers of the dedup tests: compare two values with one comparator, load the fixture."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import numpy as np

from crm_hygiene.dedup.config import ComparatorKind, ComparisonSpec, FieldKind, MatchConfig
from crm_hygiene.dedup.engine import prepare
from crm_hygiene.dedup.scoring import compare_all

FIXTURE = Path(__file__).resolve().parents[2] / "data" / "dedup"


def level_of(
    comparator: ComparatorKind, kinds: tuple[FieldKind, ...], left: tuple[str, ...], right: tuple[str, ...]
) -> str:
    """The level one comparator gives a pair of records described by their values per field."""
    names = [f"f{i}" for i in range(len(kinds))]
    spec = ComparisonSpec(name="c", comparator=comparator, fields=tuple(names))
    columns = {name: [left[i], right[i]] for i, name in enumerate(names)}
    table, comparators = prepare(
        columns, dict(zip(names, kinds, strict=True)), MatchConfig(comparisons=(spec,)), 2
    )
    compared = compare_all(table, comparators, np.array([0]), np.array([1]))
    return comparators[0].levels[int(compared.levels[0, 0])]


def read_fixture() -> tuple[list[str], dict[str, list[str]], set[tuple[str, str]]]:
    """(header, columns, true pairs) of the labelled fixture."""
    with (FIXTURE / "contacts.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, data = rows[0], rows[1:]
    columns = {h: [r[i] for r in data] for i, h in enumerate(header)}
    members: dict[str, list[str]] = defaultdict(list)
    with (FIXTURE / "truth.csv").open(newline="") as fh:
        for record_id, entity in list(csv.reader(fh))[1:]:
            members[entity].append(record_id)
    pairs = {
        (min(a, b), max(a, b)) for ids in members.values() for i, a in enumerate(ids) for b in ids[i + 1 :]
    }
    return header, columns, pairs
