"""scan_export end to end on small exports: the queue, cleaned.csv, health and summary, and bad input."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_hygiene.csvio import read_report
from crm_hygiene.errors import InputError
from crm_hygiene.models.queue import QUEUE_COLUMNS
from crm_hygiene.services.scan.export import scan_export

AS_OF = datetime(2026, 11, 23, tzinfo=UTC)
HEADER = [
    "Record ID", "First Name", "Last Name", "Email", "Phone Number", "Company Name", "Job Title", "City",
    "State/Region", "Country/Region", "Website URL", "Contact owner", "Lifecycle Stage", "Lead Status",
    "Create Date", "Last Activity Date", "Marketing contact status",
]  # fmt: skip
CLEAN = ["1", "Jane", "Doe", "jane@acme.com", "+14158672671", "Acme Inc.", "CTO", "Austin", "TX", "US",
         "acme.com", "Jane Cooper", "Lead", "New", "2024-01-17 14:55", "2026-10-01 10:00", "Marketing contact"]  # fmt: skip
PROTECTED = ("Contact owner", "Lifecycle Stage", "Lead Status", "Marketing contact status")


def write(path: Path, rows: list[list[str]], **fmt: str) -> Path:
    with path.open("w", newline="", encoding=fmt.pop("encoding", "utf-8")) as fh:
        csv.writer(fh, **fmt).writerows(rows)  # type: ignore[arg-type]
    return path


def row(**changes: str) -> list[str]:
    cells = list(CLEAN)
    for column, value in changes.items():
        cells[HEADER.index(column.replace("_", " "))] = value
    return cells


def read(path: Path) -> list[dict[str, str]]:
    if path.name == "cleaned.csv":  # the input given back: its cells as they are
        with path.open(newline="", encoding="utf-8-sig") as fh:
            return list(csv.DictReader(fh))
    return read_report(path)


def test_messy_export_gives_the_queue_cleaned_file_and_figures(tmp_path: Path) -> None:
    # Given an export with one problem per record
    rows = [
        HEADER,
        CLEAN,
        row(**{"Record ID": "2", "Phone Number": "(512) 867-2671", "Country/Region": "USA"}),
        row(**{"Record ID": "3", "Email": "test@test.com", "Contact owner": ""}),
        row(**{"Record ID": "4", "Lifecycle Stage": "lead"}),
        row(**{"Record ID": "5", "Last Activity Date": "2023-01-01 10:00"}),
    ]
    src = write(tmp_path / "contacts.csv", rows)
    # When it is scanned
    result = scan_export(src, tmp_path / "out", as_of=AS_OF)
    # Then the queue has exactly these rows
    queue = read(tmp_path / "out" / "queue.csv")
    assert list(queue[0]) == list(QUEUE_COLUMNS)
    got = {(q["record_id"], q["kind"], q["field"], q["suggested_value"], q["decision"]) for q in queue}
    assert got == {
        ("2", "malformed", "phone", "+15128672671", "auto"),
        ("2", "malformed", "country", "US", "auto"),
        ("3", "placeholder", "email", "", "review"),
        ("3", "misowned", "owner", "", "review"),
        ("4", "malformed", "lifecycle_stage", "Lead", "review"),
        ("5", "stale", "last_activity_at", "", "review"),
    }
    jsonl = [json.loads(line) for line in (tmp_path / "out" / "queue.jsonl").read_text().splitlines()]
    assert [list(j) for j in jsonl] == [list(QUEUE_COLUMNS)] * len(queue)
    assert {j["protected"] for j in jsonl if j["field"] == "lifecycle_stage"} == {True}
    # And cleaned.csv has the auto fixes only, and the protected lifecycle stage untouched
    cleaned = read(tmp_path / "out" / "cleaned.csv")
    assert cleaned[1]["Phone Number"] == "+15128672671" and cleaned[1]["Country/Region"] == "US"
    assert cleaned[3]["Lifecycle Stage"] == "lead"
    assert [r["Record ID"] for r in cleaned] == ["1", "2", "3", "4", "5"]
    # And the measurement figures add up
    m = result.summary["measurement"]
    assert m["queue_volume"] == 6 and m["records"] == 5 and m["records_with_issues"] == 4  # type: ignore[index]
    assert m["auto_apply_rate"] == pytest.approx(2 / 6, abs=1e-3)  # type: ignore[index]
    assert m["missing_critical_rate"] == pytest.approx(0.2)  # type: ignore[index]
    assert result.summary["cleaned"] == {"rows": 5, "cells_changed": 2}
    assert (tmp_path / "out" / "health.csv").read_text().count("\n") == 6


def test_an_invalid_standard_makes_the_run_report_only(tmp_path: Path) -> None:
    src = write(tmp_path / "c.csv", [HEADER, row(**{"Country/Region": "USA"})])
    bad = tmp_path / "std.yaml"
    bad.write_text("objects:\n  contact:\n    protected: [ownr]\n")
    result = scan_export(src, tmp_path / "out", standard_path=bad, as_of=AS_OF)
    queue = read(tmp_path / "out" / "queue.csv")
    assert queue and {q["decision"] for q in queue} == {"review"}
    assert read(tmp_path / "out" / "cleaned.csv")[0]["Country/Region"] == "USA"
    assert result.summary["standard"]["valid"] is False  # type: ignore[index]
    assert "std.yaml:3" in result.summary["standard"]["errors"][0]  # type: ignore[index]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"PK\x03\x04\x14\x00\x06\x00", "Excel"),
        (b"%PDF-1.7\n", "PDF"),
        (b'{"contacts": []}', "JSON"),
        (b"Email\n\x00\x01\x02", "binary"),
    ],
)
def test_unusable_input_is_refused_clearly_and_nothing_is_written(
    tmp_path: Path, content: bytes, message: str
) -> None:
    src = tmp_path / "in.csv"
    src.write_bytes(content)
    with pytest.raises(InputError, match=message):
        scan_export(src, tmp_path / "out", as_of=AS_OF)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_broken_row_names_its_line_and_leaves_no_partial_output(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text(",".join(HEADER) + "\n" + ",".join(CLEAN) + '\n2,"Jane,Doe\n')
    with pytest.raises(InputError) as caught:
        scan_export(src, tmp_path / "out", as_of=AS_OF)
    assert caught.value.line == 3
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [] if (tmp_path / "out").exists() else True


def test_dialects_are_kept_in_cleaned_csv(tmp_path: Path) -> None:
    # Given a cp1252, semicolon-delimited, CRLF export with an accented name and a quoted newline
    rows = [
        HEADER,
        row(**{"First Name": "JOSÉ", "Job Title": "Head of\nSales", "Marketing contact status": "a\nb"}),
    ]
    src = write(tmp_path / "c.csv", rows, delimiter=";", lineterminator="\r\n", encoding="cp1252")
    scan_export(src, tmp_path / "out", as_of=AS_OF)
    raw = (tmp_path / "out" / "cleaned.csv").read_bytes()
    assert raw.count(b"\r\n") == 2 and b";" in raw
    text = raw.decode("cp1252")
    assert "José" in text  # auto-fixed from JOSÉ, still cp1252
    assert ";Head of Sales;" in text  # white space in a canonical field is tidied
    assert '"a\nb"' in text  # a custom column is written back untouched


def test_utf8_bom_ragged_rows_and_duplicate_headers(tmp_path: Path) -> None:
    header = [*HEADER, "Email"]
    rows = [
        header,
        [*CLEAN, "other@acme.com"],
        [*CLEAN[:5]],
        [*row(**{"Record ID": "3"}), "x@y.com", "EXTRA"],
    ]
    src = tmp_path / "c.csv"
    write(src, rows, encoding="utf-8-sig")
    result = scan_export(src, tmp_path / "out", as_of=AS_OF)
    assert (tmp_path / "out" / "cleaned.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    with (tmp_path / "out" / "cleaned.csv").open(newline="", encoding="utf-8-sig") as fh:
        cleaned = list(csv.reader(fh))
    assert cleaned == rows  # nothing to fix; ragged rows written back exactly as they were
    ragged = [q for q in read(tmp_path / "out" / "queue.csv") if q["field"] == ""]
    assert len(ragged) == 2 and all("line" in q["evidence"] for q in ragged)
    assert result.summary["input"]["duplicate_columns"] == ["Email"]  # type: ignore[index]


def test_header_only_export_gives_empty_outputs(tmp_path: Path) -> None:
    src = write(tmp_path / "c.csv", [HEADER])
    result = scan_export(src, tmp_path / "out", as_of=AS_OF)
    assert result.summary["measurement"]["records"] == 0  # type: ignore[index]
    assert read(tmp_path / "out" / "cleaned.csv") == []


MESSY = st.sampled_from(
    ["", " ", "TBD", "n/a", "USA", "united states", "(415) 867-2671", "+44 20 7946 0958", "JOHN", "o'brien",
     "Jane.Doe@ACME.COM", "test@test.com", "https://www.Acme.com/x", "California", "lead", "Customer",
     "01/17/2024", "2020-01-01 10:00", "Dr. John", "Carl Jones", "Ünïcödé", "a,b", 'q"uote', "multi\nline"]
)  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(MESSY, min_size=len(HEADER), max_size=len(HEADER)), min_size=1, max_size=8))
def test_property_cleaned_keeps_rows_ids_columns_protected_fields_and_never_empties(
    tmp_path_factory: pytest.TempPathFactory, cells: list[list[str]]
) -> None:
    tmp = tmp_path_factory.mktemp("prop")
    rows = [HEADER] + [[str(i + 1), *r[1:]] for i, r in enumerate(cells)]
    src = write(tmp / "c.csv", rows)
    scan_export(src, tmp / "out", as_of=AS_OF)
    with (tmp / "out" / "cleaned.csv").open(newline="") as fh:
        cleaned = list(csv.reader(fh))
    assert len(cleaned) == len(rows) and cleaned[0] == HEADER
    for before, after in zip(rows[1:], cleaned[1:], strict=True):
        assert len(after) == len(before) and after[0] == before[0]
        for column in PROTECTED:
            i = HEADER.index(column)
            assert after[i] == before[i]
        for old, new in zip(before, after, strict=True):
            assert new.strip() or not old.strip(), "a value was emptied"
