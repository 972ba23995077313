"""The review session folder: a second review of the same export resumes, of another one starts over
(saying so, the earlier files kept aside), and apply refuses a folder that holds no review."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from crm_hygiene.csvio.records import read_records
from crm_hygiene.errors import InputError
from crm_hygiene.memory import InMemoryAuditLog, InMemoryChangeQueue, InMemoryCrmStore
from crm_hygiene.models.audit import AuditDraft
from crm_hygiene.services.writeback.session import (
    EXPORT,
    load_reviewed,
    mark_running,
    mark_stopped,
    open_session,
    running_review,
    save_snapshot,
)


def _export(path: Path, first_name: str = "EVE") -> Path:
    path.write_text(f"Record ID,First Name\n7,{first_name}\n")
    return path


def _save(folder: Path, export: Path) -> None:
    start = open_session(folder, export, "contact", None)
    crm, audit = InMemoryCrmStore(), InMemoryAuditLog()
    crm.add(list(read_records(export)))
    audit.append([AuditDraft(actor="system:apply", action="applied", object_type="contact", record_id="7",
                             field="first_name", before="EVE", after="Eve", entry_id="c:applied:v0")])  # fmt: skip
    save_snapshot(folder, start.session, crm=crm, queue=InMemoryChangeQueue(), audit=audit)


def test_the_same_export_resumes_with_what_was_saved(tmp_path: Path) -> None:
    export, folder = _export(tmp_path / "c.csv"), tmp_path / ".review"
    _save(folder, export)
    start = open_session(folder, export, "contact", None)
    assert start.mode == "resume" and start.session.runs == 2 and start.session.saved_at is not None
    assert start.previous is not None and [e.after for e in start.previous.audit] == ["Eve"]
    assert set(start.previous.records) == {"7"}


def test_another_export_starts_over_and_keeps_the_earlier_files(tmp_path: Path) -> None:
    folder = tmp_path / ".review"
    _save(folder, _export(tmp_path / "c.csv"))
    other = _export(tmp_path / "d.csv", "ADA")
    start = open_session(folder, other, "contact", None)
    assert start.mode == "restart" and "starting over" in start.note and "another export" in start.note
    [aside] = folder.glob("previous-*")
    assert (aside / EXPORT).read_text() == "Record ID,First Name\n7,EVE\n"
    assert (aside / "state" / "audit.jsonl").exists()
    assert (folder / EXPORT).read_text() == "Record ID,First Name\n7,ADA\n"
    session, reviewed = load_reviewed(folder)
    assert session.input == str(other) and reviewed.audit == []


def test_a_folder_without_a_review_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="holds no review: run `crm-hygiene review"):
        load_reviewed(tmp_path)


def test_a_running_review_is_told_apart_from_a_stale_mark(tmp_path: Path) -> None:
    mark_running(tmp_path, os.getpid())
    assert running_review(tmp_path) == os.getpid()
    (tmp_path / "review.pid").write_text("999999999\n")  # a process that is gone (a crash left the mark)
    assert running_review(tmp_path) is None
    mark_stopped(tmp_path)
    assert running_review(tmp_path) is None
