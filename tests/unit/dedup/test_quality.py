"""Quality floors on the labelled fixture (tests/data/dedup: 2,500 CRM contacts, 267 true pairs,
with colleagues sharing surnames and lines, namesakes and families as hard negatives).

A scoring change that costs precision or recall shows up here. Measured when the floors were set:
precision 0.996, recall 0.93, and no false pair in the auto-merge band.
"""

from __future__ import annotations

import pytest

from crm_hygiene.dedup.engine import DedupResult, find_duplicates
from crm_hygiene.dedup.kinds import infer_kinds
from tests.unit.dedup.helpers import read_fixture


@pytest.fixture(scope="module")
def found() -> tuple[DedupResult, list[str], set[tuple[str, str]]]:
    header, columns, truth = read_fixture()
    kinds = infer_kinds(header, [])
    return find_duplicates(columns, kinds), columns["Record ID"], truth


def _pairs(result: DedupResult, ids: list[str], threshold: float = 0.0) -> set[tuple[str, str]]:
    out = set()
    for a, b, p in zip(result.left.tolist(), result.right.tolist(), result.probability.tolist(), strict=True):
        if p >= threshold:
            out.add((min(ids[a], ids[b]), max(ids[a], ids[b])))
    return out


def test_precision_and_recall_floors(found: tuple[DedupResult, list[str], set[tuple[str, str]]]) -> None:
    result, ids, truth = found
    predicted = _pairs(result, ids)
    hits = len(predicted & truth)
    assert hits / len(predicted) >= 0.98
    assert hits / len(truth) >= 0.88


def test_the_auto_merge_band_is_clean(found: tuple[DedupResult, list[str], set[tuple[str, str]]]) -> None:
    result, ids, truth = found
    band = _pairs(result, ids, threshold=0.999)
    assert len(band) >= 0.8 * len(truth)
    assert len(band - truth) == 0


def test_every_pair_names_its_evidence(found: tuple[DedupResult, list[str], set[tuple[str, str]]]) -> None:
    result, _, _ = found
    for i in range(len(result.left)):
        evidence = result.evidence(i)
        assert evidence and all(level != "null" for _, level, _ in evidence)
        assert sorted(evidence, key=lambda e: -abs(e[2])) == evidence
