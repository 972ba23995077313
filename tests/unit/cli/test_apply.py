"""``crm-hygiene apply --queue``: a queue.csv decided in a spreadsheet, written back through the review
core; every bad row reported by line, nothing written unless asked."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from crm_hygiene.cli import main
from crm_hygiene.services.writeback import queue_file  # noqa: F401  (powertools' tracer probes a socket once, at import)

EXPORT = (
    "Record ID,First Name,Last Name,Email,Phone Number,Country/Region,State/Region,Lifecycle Stage\r\n"
    "1,JANE,Doe,jane.doe@acme.com ,+14158675309,US,California,lead\r\n"
    "2,John,Smith,,+14158675310,US,CA,lead\r\n"
    "3,Ann,Lee,ann.lee@globex.io,+442079460958,US,NY,lead\r\n"
    "4,Bo,Chan,bo@initech.com,(415) 867-5311,US,CA,lead\r\n"
)
AS_OF = "2026-11-23"


@pytest.fixture
def scanned(tmp_path: Path) -> tuple[Path, Path]:
    """The export and the queue.csv its scan wrote."""
    export = tmp_path / "contacts.csv"
    export.write_bytes(EXPORT.encode())
    assert (
        main(
            ["scan", "--input", str(export), "--out", str(tmp_path / "scan"), "--as-of", AS_OF, "--no-dedupe"]
        )
        == 0
    )
    return export, tmp_path / "scan" / "queue.csv"


def decide(
    queue: Path,
    out: Path,
    decisions: dict[tuple[str, str], tuple[str, str]],
    extra: tuple[dict[str, str], ...] = (),
) -> Path:
    """queue.csv as a reviewer saves it from a spreadsheet: decision and value per (record, field)."""
    with queue.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        row["value"] = ""
        if (row["record_id"], row["field"]) in decisions:
            row["decision"], row["value"] = decisions[(row["record_id"], row["field"])]
    rows.extend(extra)
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=[*rows[0]])
        writer.writeheader()
        writer.writerows(rows)
    return out


GOOD = {
    ("1", "lifecycle_stage"): ("approve", ""),
    ("2", "email"): ("edit", "John.Smith@ACME.com"),
    ("3", "lifecycle_stage"): ("Reject", ""),
    ("3", "phone"): ("edit", "+1 (415) 867-5312"),
    ("4", "phone"): ("reject", ""),  # an auto fix: rolled back
}


def test_decisions_from_queue_csv_become_exact_import_files(
    scanned: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a queue.csv with approvals, edits, rejections and a rolled-back auto fix
    export, queue = scanned
    reviewed = decide(queue, tmp_path / "reviewed.csv", GOOD)
    # (saved by a spreadsheet that drops the quote the scan put before "+44...": it reads the same)
    text = reviewed.read_text()
    assert ",'+442079460958," in text
    reviewed.write_text(text.replace(",'+442079460958,", ",+442079460958,"))
    out = tmp_path / "updated"
    # When it is applied
    code = main(["apply", "--queue", str(reviewed), "--input", str(export), "--out", str(out),
                 "--as-of", AS_OF, "--reviewer", "ana"])  # fmt: skip
    # Then the import files hold exactly the changes (edits normalized as the API does: the domain
    # lower-cased, the phone in E.164), in the
    # export's column names for HubSpot and Salesforce API names for Salesforce
    assert code == 0, capsys.readouterr().err
    assert (out / "hubspot.csv").read_text() == (
        "Record ID,First Name,Email,Phone Number,State/Region,Lifecycle Stage\n"
        "1,Jane,jane.doe@acme.com,,CA,Lead\n"
        "2,,John.Smith@acme.com,,,\n"
        "3,,,+14158675312,,\n"
    )
    assert (out / "salesforce.csv").read_text() == (
        "Id,FirstName,Email,Phone,MailingState\n1,Jane,jane.doe@acme.com,,CA\n2,,John.Smith@acme.com,,\n3,,,+14158675312,\n"
    )
    # And the updated copy is the export byte for byte but for those cells (CRLF kept; 4's phone rolled back)
    assert (out / "updated.csv").read_bytes() == EXPORT.replace(
        "1,JANE,Doe,jane.doe@acme.com ,+14158675309,US,California,lead",
        "1,Jane,Doe,jane.doe@acme.com,+14158675309,US,CA,Lead",
    ).replace(
        "2,John,Smith,,+14158675310,US,CA,lead", "2,John,Smith,John.Smith@acme.com,+14158675310,US,CA,lead"
    ).replace("+442079460958", "+14158675312").encode()
    # And the audit names who decided each change, its old and new value and its source
    with (out / "audit.csv").open(newline="") as fh:
        audit = list(csv.DictReader(fh))
    by = {(a["record_id"], a["field"], a["action"]): a for a in audit}
    assert by[("2", "email", "applied")]["who"] == "ana"
    assert by[("2", "email", "applied")]["source"] == "reviewer:ana"
    assert by[("1", "first_name", "applied")]["who"] == "policy"
    assert by[("4", "phone", "rolled_back")]["new_value"] == "(415) 867-5311"
    assert by[("3", "phone", "applied")]["old_value"] == "'+442079460958"  # written as text for spreadsheets
    summary = json.loads((out / "summary.json").read_text())
    assert summary["salesforce_fields_left_out"] == ["lifecycle_stage"]
    assert summary["records_changed"] == 3


def test_every_bad_row_is_reported_by_line_and_nothing_is_written(
    scanned: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a queue.csv with one good decision and one of each kind of bad row
    export, queue = scanned
    missing = {"record_id": "99", "object_type": "contact", "kind": "malformed", "field": "email",
               "current_value": "x", "suggested_value": "x", "decision": "approve", "value": ""}  # fmt: skip
    reviewed = decide(
        queue,
        tmp_path / "reviewed.csv",
        {
            ("1", "lifecycle_stage"): ("approve", ""),  # good (line 5)
            ("2", "email"): ("edit", "not an email"),  # refused by the standard (line 6)
            ("2", "lifecycle_stage"): ("maybe", ""),  # unknown decision (line 7)
            ("3", "lifecycle_stage"): ("edit", ""),  # an edit without a value (line 8)
            ("3", "phone"): ("approve", "+14158675312"),  # a value with approve (line 9)
            ("4", "phone"): ("reject", ""),  # its record changed since the scan (line 10)
        },
        extra=(missing,),  # a record not in the export (line 12)
    )
    # And the export changed since the scan for record 4, whose auto fix the reviewer rejects (line 10)
    export.write_bytes(EXPORT.replace("(415) 867-5311", "(415) 867-0000").encode())
    out = tmp_path / "updated"
    # When it is applied
    code = main(
        ["apply", "--queue", str(reviewed), "--input", str(export), "--out", str(out), "--as-of", AS_OF]
    )
    # Then every bad row is named by file, line, record and column, the run fails, nothing is written
    err = capsys.readouterr().err
    assert code == 1
    assert not out.exists()
    lines = [line for line in err.splitlines() if line.startswith("crm-hygiene: bad row: ")]
    assert [line.split(": bad row: ")[1].split(":")[1] for line in lines] == ["6", "7", "8", "9", "10", "12"]
    assert "reviewed.csv:6: record 2, column value:" in err and "rule " in err
    assert "reviewed.csv:7: record 2, column decision: unknown decision 'maybe'" in err
    assert "reviewed.csv:8: record 3, column value: edit needs the value" in err
    assert "reviewed.csv:9: record 3, column value: a value with approve" in err
    assert "reviewed.csv:10: record 4, column current_value: the record changed since the scan" in err
    assert "reviewed.csv:12: record 99, column record_id: no such record in the export" in err
    assert "Nothing written" in err


def test_good_rows_are_written_only_when_asked_and_the_bad_ones_listed(
    scanned: tuple[Path, Path], tmp_path: Path
) -> None:
    export, queue = scanned
    reviewed = decide(
        queue,
        tmp_path / "reviewed.csv",
        {("1", "lifecycle_stage"): ("approve", ""), ("2", "email"): ("edit", "nope")},
    )
    out = tmp_path / "updated"
    code = main(["apply", "--queue", str(reviewed), "--input", str(export), "--out", str(out),
                 "--as-of", AS_OF, "--apply-good-rows"])  # fmt: skip
    assert code == 1  # still a failure: a row was not applied
    assert "Lifecycle Stage" in (out / "hubspot.csv").read_text()
    with (out / "bad_rows.csv").open(newline="") as fh:
        bad = list(csv.DictReader(fh))
    assert [(b["line"], b["record_id"], b["column"]) for b in bad] == [("6", "2", "value")]


def test_a_non_empty_out_is_never_overwritten_without_force(
    scanned: tuple[Path, Path], tmp_path: Path
) -> None:
    export, queue = scanned
    out = tmp_path / "updated"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    args = ["apply", "--queue", str(queue), "--input", str(export), "--out", str(out), "--as-of", AS_OF]
    assert main(args) == 2
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert main([*args, "--force"]) == 0
    assert (out / "keep.txt").read_text() == "mine" and (out / "hubspot.csv").exists()


def test_a_file_that_is_not_a_queue_is_refused(scanned: tuple[Path, Path], tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    export, _ = scanned
    code = main(["apply", "--queue", str(export), "--input", str(export), "--out", str(tmp_path / "o")])
    assert code == 2
    assert "not a scan's queue.csv: no column" in capsys.readouterr().err


def test_queue_needs_the_export_it_was_scanned_from(scanned: tuple[Path, Path], tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    _, queue = scanned
    assert main(["apply", "--queue", str(queue), "--out", str(tmp_path / "o")]) == 2
    assert "--queue needs --input" in capsys.readouterr().err
    assert main(["apply", "--from", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "holds no review" in capsys.readouterr().err
