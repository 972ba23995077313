"""``write_back``: the updated export, the import files and the merge list from what a review decided."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from crm_hygiene.cli import main
from crm_hygiene.csvio import restore
from crm_hygiene.csvio.records import read_records
from crm_hygiene.errors import InputError
from crm_hygiene.memory import (
    InMemoryAuditLog,
    InMemoryChangeQueue,
    InMemoryCrmStore,
    InMemoryDecisionMemory,
    InMemoryHealthStore,
    InMemoryWorkflow,
    ListWorkQueue,
)
from crm_hygiene.models.audit import AuditDraft, AuditSource
from crm_hygiene.models.crm import FieldWrite
from crm_hygiene.models.review import Approve, ReviewItem
from crm_hygiene.services.merge.core import perform_merge
from crm_hygiene.services.review.core import ReviewDeps, decide
from crm_hygiene.services.writeback import queue_file  # noqa: F401  (powertools' tracer probes a socket once, at import)
from crm_hygiene.services.writeback.core import Reviewed, write_back
from crm_hygiene.standard.loader import default_standard
from tests.unit.services.test_merge import A, B, _merge, _waiting

HEADER = (
    "Record ID,First Name,Last Name,Email,Phone Number,Company Name,Contact owner,Lifecycle Stage,Lead Status"
)


def _reviewed(
    crm: InMemoryCrmStore, audit: InMemoryAuditLog, queue: InMemoryChangeQueue | None = None
) -> Reviewed:
    live = crm.get_records("contact", [r.record_id for r in crm.records.values()])
    items = queue.list(limit=1000)[0] if queue is not None else []
    return Reviewed("contact", {r.record_id: r for r in live}, items, list(audit.all_entries()))


def _applied(audit: InMemoryAuditLog, record_id: str, field: str, before: str, after: str) -> None:
    audit.append([AuditDraft(actor="system:apply", action="applied", object_type="contact", record_id=record_id,
                             field=field, before=before, after=after, change_id=f"c-{record_id}-{field}",
                             review_id=f"c-{record_id}-{field}", source=AuditSource(kind="reviewer", name="ana"),
                             reviewer="ana")])  # fmt: skip


def test_a_value_that_would_start_a_formula_is_never_written(tmp_path: Path) -> None:
    # Given a local copy where a field holds a formula (written behind the policy's back)
    export = tmp_path / "contacts.csv"
    export.write_text("Record ID,First Name,Email\n7,Eve,eve@acme.com\n")
    crm, audit = InMemoryCrmStore(), InMemoryAuditLog()
    crm.add(list(read_records(export)))
    crm.write_fields("contact", [FieldWrite(record_id="7", field="first_name", expected_old="Eve",
                                            new_value='=HYPERLINK("http://x")', change_id="c")])  # fmt: skip
    _applied(audit, "7", "first_name", "Eve", '=HYPERLINK("http://x")')
    # When it is written back
    result = write_back(export, _reviewed(crm, audit), tmp_path / "out")
    # Then the cell keeps its value, the refusal is counted, and no import file carries it
    assert (tmp_path / "out" / "updated.csv").read_text() == export.read_text()
    assert result.summary["refused_cells"] == [{"line": 2, "record_id": "7", "field": "first_name"}]
    assert (tmp_path / "out" / "hubspot.csv").read_text() == "Record ID\n"


def test_a_change_rolled_back_is_no_change(tmp_path: Path) -> None:
    export = tmp_path / "contacts.csv"
    export.write_text("Record ID,First Name\n7,EVE\n")
    crm, audit = InMemoryCrmStore(), InMemoryAuditLog()
    crm.add(list(read_records(export)))
    _applied(audit, "7", "first_name", "EVE", "Eve")  # applied, then rolled back: the copy holds EVE again
    result = write_back(export, _reviewed(crm, audit), tmp_path / "out")
    assert result.changes == [] and (tmp_path / "out" / "updated.csv").read_bytes() == export.read_bytes()
    assert result.summary["audit_entries"] == 1  # the audit still says what happened


def test_a_non_empty_out_is_refused(tmp_path: Path) -> None:
    export = tmp_path / "contacts.csv"
    export.write_text("Record ID,First Name\n7,Eve\n")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x").write_text("")
    with pytest.raises(InputError, match="not empty"):
        write_back(export, Reviewed("contact", {}, [], []), tmp_path / "out")


def test_a_merge_with_the_reviewers_primary_is_listed_with_its_winners(tmp_path: Path) -> None:
    # Given an export holding A and B, merged on review keeping B (the rules suggested A)
    crm = InMemoryCrmStore()
    crm.add([A, B])
    deps = ReviewDeps(queue=InMemoryChangeQueue(), audit=InMemoryAuditLog(), memory=InMemoryDecisionMemory(),
                      apply_queue=ListWorkQueue(), workflow=InMemoryWorkflow(), crm=crm,
                      health=InMemoryHealthStore())  # fmt: skip
    export = tmp_path / "contacts.csv"
    rows = [[r.record_id, r.get("first_name"), r.get("last_name"), r.get("email"), r.get("phone"), r.get("company"),
             r.get("owner"), r.get("lifecycle_stage"), r.get("lead_status")] for r in (A, B)]  # fmt: skip
    with export.open("w", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows([HEADER.split(","), *rows])
    execution = _waiting(deps)
    decide(deps, execution["review_id"], Approve(decision="approve", primary_id=B.record_id), "ana")
    perform_merge(_merge(deps, execution), queue=deps.queue, crm=deps.crm, audit=deps.audit,
                  standard=default_standard())  # fmt: skip
    # When it is written back
    assert isinstance(deps.crm, InMemoryCrmStore) and isinstance(deps.audit, InMemoryAuditLog)
    assert isinstance(deps.queue, InMemoryChangeQueue)
    result = write_back(export, _reviewed(deps.crm, deps.audit, deps.queue), tmp_path / "out")
    # Then the merge list names survivor, merged record and the value B took from A
    with (tmp_path / "out" / "merges.csv").open(newline="") as fh:
        merges = list(csv.DictReader(fh))
    # (a file for people: a value starting with "+" is written as text, restore() reads it back)
    assert [
        (m["survivor_id"], m["merged_ids"], m["field"], restore(m["value"]), m["decided_by"]) for m in merges
    ] == [(B.record_id, A.record_id, "phone", A.get("phone"), "ana")]
    # And B's row carries the winner; A's row stays as exported (never deleted)
    assert (
        tmp_path / "out" / "hubspot.csv"
    ).read_text() == f"Record ID,Phone Number\n{B.record_id},{A.get('phone')}\n"
    assert result.summary["merges"] == 1
    audit_actions = [r["action"] for r in csv.DictReader((tmp_path / "out" / "audit.csv").open(newline=""))]
    assert audit_actions.count("merged") == 1 and audit_actions.count("applied") == 1


def test_an_undecided_queue_gives_back_cleaned_csv_in_a_german_semicolon_export(tmp_path: Path) -> None:
    # Given a cp1252, semicolon-delimited, CRLF export (as Excel saves it in Germany) and its scan
    export = tmp_path / "kontakte.csv"
    export.write_bytes(
        "Record ID;First Name;Last Name;Email;Country/Region;Phone Number\r\n"
        "1;JÜRGEN;Müller;juergen.mueller@beispiel.de ;DE;030 1234567\r\n"
        "2;Änne;Groß;aenne@beispiel.de;DE;\r\n".encode("cp1252")
    )
    assert main(["scan", "--input", str(export), "--out", str(tmp_path / "scan"), "--as-of", "2026-11-23",
                 "--no-dedupe"]) == 0  # fmt: skip
    # When its queue.csv comes back with no decision taken
    code = main(["apply", "--queue", str(tmp_path / "scan" / "queue.csv"), "--input", str(export),
                 "--out", str(tmp_path / "out"), "--as-of", "2026-11-23"])  # fmt: skip
    # Then the updated copy is cleaned.csv exactly (the fixes that apply by themselves, cp1252, ";", CRLF)
    assert code == 0
    updated = (tmp_path / "out" / "updated.csv").read_bytes()
    assert updated == (tmp_path / "scan" / "cleaned.csv").read_bytes()
    assert "Jürgen".encode("cp1252") in updated and b"\r\n" in updated
    # And the HubSpot file is UTF-8 with comma, as HubSpot's import reads it
    hubspot = (tmp_path / "out" / "hubspot.csv").read_text(encoding="utf-8")
    assert hubspot.splitlines()[0].startswith("Record ID,") and "1,Jürgen" in hubspot
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["records_changed"] >= 1


def test_a_decision_not_in_the_copy_is_named_not_left_out(tmp_path: Path) -> None:
    # Given a change a reviewer approved whose write met a conflict (the copy holds another value)
    export = tmp_path / "contacts.csv"
    export.write_text("Record ID,First Name\n7,EVE\n")
    crm = InMemoryCrmStore()
    crm.add(list(read_records(export)))
    conflict = ReviewItem(
        review_id="r1", run_id="run", kind="malformed", change_kind="normalize", object_type="contact",
        record_id="7", field="first_name", current_value="EVE", suggested_value="Eve", evidence="",
        confidence=0.9, protected=False, decision="review", status="conflict", source="rule:x",
        decided_by="ana",
    )  # fmt: skip
    reviewed = Reviewed("contact", {"7": crm.get_records("contact", ["7"])[0]}, [conflict], [])
    # When it is written back, then the summary names it
    result = write_back(export, reviewed, tmp_path / "out")
    assert result.summary["decided_not_applied"] == [
        {"review_id": "r1", "record_id": "7", "field": "first_name", "status": "conflict"}
    ]
