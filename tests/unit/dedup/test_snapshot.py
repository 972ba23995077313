"""MatchSnapshot: a stored snapshot's keys and scores agree with InMemoryMatchIndex."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from crm_hygiene.csvio.records import read_records
from crm_hygiene.dedup.index import InMemoryMatchIndex
from crm_hygiene.dedup.kinds import CANONICAL_KINDS
from crm_hygiene.dedup.snapshot import MatchSnapshot
from crm_hygiene.local.sample import generate_sample
from crm_hygiene.models.record import Record


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[InMemoryMatchIndex, list[Record]]:
    folder: Path = tmp_path_factory.mktemp("sample")
    generate_sample(folder, contacts=1500, seed=3)
    records = list(read_records(folder / "contacts.csv"))
    kinds = CANONICAL_KINDS["contact"]
    columns = {name: [r.get(name) for r in records] for name in kinds}
    return InMemoryMatchIndex.build(columns, kinds, [r.record_id for r in records]), records


def test_round_trip_keeps_everything_scoring_needs(built: tuple[InMemoryMatchIndex, list[Record]]) -> None:
    index, records = built
    blob = index.snapshot.to_bytes()
    assert blob[:1] == b"x"  # zlib, never pickle
    restored = MatchSnapshot.from_bytes(blob)
    assert restored.specs == index.snapshot.specs and restored.config == index.snapshot.config
    assert restored.split == index.snapshot.split and restored.kinds == index.snapshot.kinds
    assert [r.name for r in restored.rules] == [r.name for r in index.snapshot.rules]
    for m, again in zip(index.model.m, restored.model.m, strict=True):
        assert m.tolist() == again.tolist()
    for record in records[:50]:
        assert restored.record_keys(record.fields) == index.snapshot.record_keys(record.fields)


def test_a_bad_format_is_refused(built: tuple[InMemoryMatchIndex, list[Record]]) -> None:
    import json
    import zlib

    data = json.loads(zlib.decompress(built[0].snapshot.to_bytes()))
    data["format"] = 99
    with pytest.raises(ValueError, match="format"):
        MatchSnapshot.from_bytes(zlib.compress(json.dumps(data).encode()))


def test_keys_and_scores_of_a_restored_snapshot_give_the_in_memory_candidates(
    built: tuple[InMemoryMatchIndex, list[Record]],
) -> None:
    index, records = built
    snapshot = MatchSnapshot.from_bytes(index.snapshot.to_bytes())
    # An index as the DynamoDB one keeps it: key string -> record ids; the fields of each record.
    by_key: dict[str, list[str]] = defaultdict(list)
    fields = {r.record_id: r.fields for r in records}
    for record in records:
        for key in snapshot.record_keys(record.fields):
            by_key[key].append(record.record_id)
    compared = found = 0
    for record in records[:300]:
        ids = sorted({rid for key in snapshot.record_keys(record.fields) for rid in by_key[key]})
        columns = {c: [fields[rid].get(c, "") for rid in ids] for c in snapshot.columns}
        mine = snapshot.score(record.fields, ids, columns, limit=10)
        theirs = index.candidates(record.fields, limit=10)
        assert {c.record_id: round(c.match_probability, 9) for c in mine} == {
            c.record_id: round(c.match_probability, 9) for c in theirs
        }
        assert {c.record_id: c.contributions for c in mine} == {c.record_id: c.contributions for c in theirs}
        compared += 1
        found += sum(c.record_id != record.record_id for c in mine)
    assert compared == 300 and found > 0  # the sample has duplicates, and they were found both ways
