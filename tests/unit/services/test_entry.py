"""Validation at entry: a new record that duplicates an existing one starts one merge workflow."""

from __future__ import annotations

import pytest

from crm_hygiene.csvio.records import read_records
from crm_hygiene.local.sample import generate_sample
from crm_hygiene.memory import (
    InMemoryCrmStore,
    InMemoryDecisionMemory,
    InMemoryWorkflow,
)
from crm_hygiene.models.merge import pair_key
from crm_hygiene.models.record import Record
from crm_hygiene.services.dedup.entry import build_index
from crm_hygiene.services.scan.batch import PipelineDeps
from crm_hygiene.services.scan.entry import scan_entry
from crm_hygiene.wiring.memory import in_memory_deps


@pytest.fixture(scope="module")
def existing(tmp_path_factory: pytest.TempPathFactory) -> list[Record]:
    folder = tmp_path_factory.mktemp("crm")
    generate_sample(folder, contacts=400, seed=21)
    return list(read_records(folder / "contacts.csv"))


def _deps(records: list[Record], memory: InMemoryDecisionMemory | None = None) -> PipelineDeps:
    crm = InMemoryCrmStore()
    crm.add(records)
    return in_memory_deps(crm, memory=memory or InMemoryDecisionMemory())


def _twin(of: Record, record_id: str) -> Record:
    """The same person typed again: another id, the name shouted, the email's domain in capitals."""
    local, _, domain = of.get("email").partition("@")
    fields = {**of.fields, "record_id": record_id, "first_name": of.get("first_name").upper(),
              "email": f"{local}@{domain.upper()}", "owner": "", "created_at": "2026-11-20"}  # fmt: skip
    return of.model_copy(update={"record_id": record_id, "fields": fields})


def _person(existing: list[Record]) -> Record:
    return next(r for r in existing if r.get("email") and r.get("phone") and r.get("last_name"))


def test_a_new_duplicate_starts_one_merge_workflow_awaiting_review(existing: list[Record]) -> None:
    deps = _deps(existing)
    index = build_index(deps.crm, "contact")
    assert index is not None
    original = _person(existing)
    twin = _twin(original, "990001")
    deps.crm.add([twin])  # type: ignore[attr-defined]
    # When the CRM reports the new record
    [result] = scan_entry(deps, "contact", ["990001"], index=index)
    # Then a merge of the two is proposed for review (the standard does not enable auto-merge)
    assert result.found and result.merge_review is not None and result.duplicate_check == "merge_proposed"
    workflow = deps.workflow
    assert isinstance(workflow, InMemoryWorkflow)
    payload = workflow.started[result.merge_review]
    assert set(payload["proposal"]["members"]) == {original.record_id, "990001"}
    assert payload["auto"] is False and payload["proposal"]["band"] == "review"
    assert payload["proposal"]["evidence"][0]["contributions"]
    # And the record joined the index: the next duplicate of it is found against both
    third = _twin(original, "990002")
    assert {c.record_id for c in index.candidates(third.fields)} >= {original.record_id, "990001"}


def test_a_distinct_new_record_proposes_nothing_and_a_rejected_pair_is_not_raised_again(
    existing: list[Record],
) -> None:
    memory = InMemoryDecisionMemory()
    original = _person(existing)
    memory.remember_rejection(pair_key("contact", original.record_id, "990001"), "two people", "ann")
    deps = _deps(existing, memory)
    index = build_index(deps.crm, "contact")
    assert index is not None
    stranger = Record(object_type="contact", record_id="990003",
                      fields={"record_id": "990003", "first_name": "Quinlan", "last_name": "Zyborski",
                              "email": "qz@unrelated-example.org", "phone": "+61 2 9374 4000"})  # fmt: skip
    deps.crm.add([_twin(original, "990001"), stranger])  # type: ignore[attr-defined]
    results = scan_entry(deps, "contact", ["990001", "990003"], index=index)
    # Then both are kept as new records, and said so
    assert [(r.merge_review, r.duplicate_check) for r in results] == [(None, "accept_as_new")] * 2
    assert isinstance(deps.workflow, InMemoryWorkflow) and deps.workflow.started == {}


def test_a_record_gone_from_the_crm_leaves_the_index(existing: list[Record]) -> None:
    deps = _deps(existing)
    index = build_index(deps.crm, "contact")
    assert index is not None
    original = _person(existing)
    survivor = next(r for r in existing if r.record_id != original.record_id)
    # When the CRM merged the record away
    deps.crm.merge("contact", survivor.record_id, original.record_id)
    [result] = scan_entry(deps, "contact", [original.record_id], index=index)
    # Then it is not found, and a copy of it is no longer matched against it
    assert not result.found
    assert original.record_id not in {c.record_id for c in index.candidates(_twin(original, "x").fields)}
