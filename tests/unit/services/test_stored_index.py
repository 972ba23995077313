"""A stored match index: the scan saves it, the entry scan opens it (or falls back to the CRM)."""

from __future__ import annotations

from typing import Any

import pytest

from crm_hygiene.csvio.records import read_records
from crm_hygiene.dedup.index import InMemoryMatchIndex
from crm_hygiene.dedup.keyed import InMemoryMatchIndexStore, KeyedMatchIndex
from crm_hygiene.local.sample import generate_sample
from crm_hygiene.memory import (
    InMemoryCrmStore,
    InMemoryWorkflow,
)
from crm_hygiene.models.crm import RecordPage
from crm_hygiene.models.record import Record
from crm_hygiene.services.dedup.entry import IndexCache
from crm_hygiene.services.dedup.pipeline import propose_merges
from crm_hygiene.services.scan.batch import PipelineDeps
from crm_hygiene.services.scan.entry import scan_entry
from crm_hygiene.wiring.memory import in_memory_deps


class CountingCrm(InMemoryCrmStore):
    """The in-memory CRM, counting full reads."""

    listed = 0

    def list_records(self, *args: Any, **kwargs: Any) -> RecordPage:
        self.listed += 1
        return super().list_records(*args, **kwargs)


@pytest.fixture(scope="module")
def existing(tmp_path_factory: pytest.TempPathFactory) -> list[Record]:
    folder = tmp_path_factory.mktemp("crm")
    generate_sample(folder, contacts=400, seed=21)
    return list(read_records(folder / "contacts.csv"))


def _deps(records: list[Record]) -> PipelineDeps:
    crm = CountingCrm()
    crm.add(records)
    return in_memory_deps(crm, match_index=InMemoryMatchIndexStore())


def _opened(deps: PipelineDeps) -> KeyedMatchIndex:
    assert deps.match_index is not None
    index = deps.match_index.open("contact")
    assert isinstance(index, KeyedMatchIndex)
    return index


def test_the_scan_saves_an_index_that_finds_a_new_twin_without_reading_the_crm(
    existing: list[Record],
) -> None:
    deps = _deps(existing)
    figures = propose_merges(deps, "run-1", "contact")
    assert figures["match_index_records"] == len(existing)
    index = _opened(deps)
    crm = deps.crm
    assert isinstance(crm, CountingCrm)
    listed = crm.listed
    original = next(r for r in existing if r.get("email") and r.get("last_name"))
    twin = original.model_copy(
        update={"record_id": "990001", "fields": {**original.fields, "record_id": "990001"}}
    )
    crm.add([twin])
    [result] = scan_entry(deps, "contact", ["990001"], index=index)
    assert result.merge_review is not None and crm.listed == listed
    workflow = deps.workflow
    assert isinstance(workflow, InMemoryWorkflow)
    assert set(workflow.started[result.merge_review]["proposal"]["members"]) == {original.record_id, "990001"}


def test_the_saved_index_scores_as_an_in_memory_index_with_the_batch_model(existing: list[Record]) -> None:
    deps = _deps(existing)
    propose_merges(deps, "run-1", "contact")
    stored = _opened(deps)
    snapshot = stored.snapshot
    columns = {c: [r.get(c) for r in existing] for c in snapshot.kinds}
    memory = InMemoryMatchIndex.build(
        columns, snapshot.kinds, [r.record_id for r in existing], config=snapshot.config, model=snapshot.model
    )
    assert memory.snapshot.split == snapshot.split
    for record in existing[:150]:
        mine = {c.record_id: round(c.match_probability, 9) for c in stored.candidates(record.fields)}
        theirs = {c.record_id: round(c.match_probability, 9) for c in memory.candidates(record.fields)}
        assert mine == theirs


def test_the_entry_cache_falls_back_to_the_crm_then_switches_to_the_saved_index(
    existing: list[Record],
) -> None:
    deps = _deps(existing)
    now = [0.0]
    cache = IndexCache(max_age=300.0, clock=lambda: now[0])
    first = cache.get(deps.match_index, deps.crm, "contact")
    assert isinstance(first, InMemoryMatchIndex)  # no scan yet: built from the CRM
    propose_merges(deps, "run-1", "contact")
    assert cache.get(deps.match_index, deps.crm, "contact") is first  # checked at most every 5 minutes
    now[0] = 301.0
    assert isinstance(cache.get(deps.match_index, deps.crm, "contact"), KeyedMatchIndex)
    same = cache.get(deps.match_index, deps.crm, "contact")
    now[0] = 700.0
    assert cache.get(deps.match_index, deps.crm, "contact") is same  # same generation: not reloaded


def test_add_and_remove_in_the_saved_index(existing: list[Record]) -> None:
    deps = _deps(existing)
    propose_merges(deps, "run-1", "contact")
    index = _opened(deps)
    original = existing[0]
    assert original.record_id in {c.record_id for c in index.candidates(original.fields)}
    index.remove(original.record_id)
    assert original.record_id not in {c.record_id for c in index.candidates(original.fields)}
    index.add(original.record_id, original.fields)
    assert original.record_id in {c.record_id for c in index.candidates(original.fields)}
