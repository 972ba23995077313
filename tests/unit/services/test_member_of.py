"""Survivorship sees a record one way, whichever driver found the duplicate (``member_of``)."""

from __future__ import annotations

import pytest

from crm_hygiene.csvio.records import read_records
from crm_hygiene.local.sample import generate_sample
from crm_hygiene.memory import InMemoryCrmStore
from crm_hygiene.models.merge import MergeProposal
from crm_hygiene.models.record import Record
from crm_hygiene.services.dedup.core import ScanDuplicates
from crm_hygiene.services.dedup.entry import build_index, entry_proposal
from crm_hygiene.services.members import member_of, survivorship_fields
from crm_hygiene.standard.loader import default_standard


@pytest.fixture(scope="module")
def existing(tmp_path_factory: pytest.TempPathFactory) -> list[Record]:
    folder = tmp_path_factory.mktemp("crm")
    generate_sample(folder, contacts=300, seed=5)
    return list(read_records(folder / "contacts.csv"))


def _with(record: Record, record_id: str, **fields: str) -> Record:
    merged = {**record.fields, **fields, "record_id": record_id}
    return record.model_copy(update={"record_id": record_id, "fields": merged})


def _person(existing: list[Record]) -> Record:
    """Someone the sample holds once (the sample has duplicates of its own)."""
    finder = ScanDuplicates(standard=default_standard())
    for record in existing:
        finder.add(record)
    grouped = {m for p in finder.proposals()[0] for m in p.members}
    return next(
        r
        for r in existing
        if r.get("email") and r.get("phone") and r.get("job_title") and r.record_id not in grouped
    )


def _weekly(records: list[Record]) -> MergeProposal:
    finder = ScanDuplicates(standard=default_standard())
    for record in records:
        finder.add(record)
    proposals, _ = finder.proposals()
    [proposal] = [p for p in proposals if {"880001", "880002"} <= set(p.members)]
    return proposal


def _entry(others: list[Record], existing: Record, new: Record) -> MergeProposal:
    crm = InMemoryCrmStore()
    crm.add([*others, existing])
    index = build_index(crm, "contact")
    assert index is not None
    crm.add([new])
    proposal = entry_proposal(new, index, crm, default_standard())
    assert proposal is not None
    return proposal


@pytest.mark.parametrize(
    ("description", "older", "newer", "primary"),
    [
        (
            # the day-resolution projection tied these and fell through to "most complete"
            "activity on the same day: the later time wins in both drivers",
            {"last_activity_at": "2026-11-30 00:29", "created_at": "2026-07-09 15:50"},
            {"last_activity_at": "2026-11-30 18:48", "created_at": "2024-09-29 02:30", "job_title": ""},
            "880002",
        ),
        (
            # the weekly scan read a missing activity as the creation date, the entry check as updated_at
            "no activity recorded on either: neither creation nor modification counts as activity",
            {"last_activity_at": "", "created_at": "2026-01-05", "updated_at": "2026-11-01"},
            {"last_activity_at": "", "created_at": "2026-03-01", "updated_at": "2026-11-30", "job_title": ""},
            "880001",
        ),
    ],
)
def test_the_weekly_scan_and_the_entry_check_suggest_the_same_primary_and_winners(
    existing: list[Record], description: str, older: dict[str, str], newer: dict[str, str], primary: str
) -> None:
    # Given the same person twice, stored with the given dates
    person = _person(existing)
    first = _with(person, "880001", owner="Jane Cooper", **older)
    second = _with(person, "880002", owner="Jane Cooper", **newer)
    # When the weekly scan finds them, and when the entry check finds the second as it arrives
    others = [r for r in existing if r.record_id != person.record_id]
    weekly = _weekly([*others, first, second])
    entry = _entry(others, first, second)
    # Then both suggest the same primary, for the same reason, with the same field winners
    assert weekly.suggested_primary == entry.suggested_primary == primary, description
    assert weekly.primary_reason == entry.primary_reason
    assert weekly.field_winners == entry.field_winners


def test_the_scan_projection_stores_exactly_what_member_of_sees(existing: list[Record]) -> None:
    # Given the weekly scan's compact projection of every record
    finder = ScanDuplicates(standard=default_standard())
    for record in existing:
        finder.add(record)
    projection = finder.projection
    assert projection is not None
    _, kept, custom = survivorship_fields(existing[0], default_standard())
    # Then each row reads back as the member_of view of its record, to the microsecond
    for row, record in enumerate(existing):
        assert projection.member(row) == member_of(record, kept, custom)
    assert any(projection.member(row).active is not None for row in range(len(existing)))
