"""InMemoryMatchIndex: entry-time candidates agree with batch matching."""

from __future__ import annotations

import pytest

from crm_hygiene.dedup.index import InMemoryMatchIndex
from crm_hygiene.dedup.kinds import infer_kinds
from crm_hygiene.ports import MatchIndex
from tests.unit.dedup.helpers import read_fixture


@pytest.fixture(scope="module")
def index() -> tuple[InMemoryMatchIndex, dict[str, list[str]], set[tuple[str, str]]]:
    header, columns, truth = read_fixture()
    kinds = infer_kinds(header, [])
    built = InMemoryMatchIndex.build(columns, kinds, columns["Record ID"])
    return built, columns, truth


def _record(columns: dict[str, list[str]], row: int) -> dict[str, str]:
    return {name: values[row] for name, values in columns.items()}


def test_it_implements_the_port(
    index: tuple[InMemoryMatchIndex, dict[str, list[str]], set[tuple[str, str]]],
) -> None:
    built, _, _ = index
    port: MatchIndex = built
    assert len(built) == 2500 and port is built


def test_a_known_duplicate_is_a_candidate(
    index: tuple[InMemoryMatchIndex, dict[str, list[str]], set[tuple[str, str]]],
) -> None:
    built, columns, truth = index
    ids = columns["Record ID"]
    position = {rid: i for i, rid in enumerate(ids)}
    hits = 0
    sample = sorted(truth)[:40]
    for a, b in sample:
        found = {c.record_id for c in built.candidates(_record(columns, position[a]))}
        hits += b in found
    assert hits >= 0.85 * len(sample)


def test_add_and_remove(index: tuple[InMemoryMatchIndex, dict[str, list[str]], set[tuple[str, str]]]) -> None:
    built, columns, _ = index
    new = _record(columns, 0) | {"Record ID": "new-1", "Email": "fresh.person@uniq-mail.net"}
    new.update({"First Name": "Quentin", "Last Name": "Zabriskie-Unique"})
    assert built.candidates(new) == []
    built.add("new-1", new)
    candidates = built.candidates(new)
    assert candidates[0].record_id == "new-1" and candidates[0].match_probability > 0.99
    assert candidates[0].contributions and candidates[0].contributions[0].weight > 0
    built.remove("new-1")
    assert all(c.record_id != "new-1" for c in built.candidates(new))
