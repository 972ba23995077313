"""The scan's duplicate extension: one queue row per proposed merge, the proposal as evidence."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

from crm_hygiene.csvio import read_report
from crm_hygiene.memory import InMemoryDecisionMemory
from crm_hygiene.models.merge import MergeProposal
from crm_hygiene.services.dedup.core import ScanDuplicates
from crm_hygiene.services.scan.export import scan_export
from crm_hygiene.standard.loader import default_standard
from crm_hygiene.standard.model import DataStandard

AS_OF = datetime(2026, 11, 23, tzinfo=UTC)
HEADER = ["Record ID", "First Name", "Last Name", "Email", "Phone Number", "Company Name", "City", "Postal Code",
          "Contact owner", "Lifecycle Stage", "Create Date", "Last Activity Date"]  # fmt: skip
ROWS = [
    ["1", "Jane", "Doe", "jane.doe@acme.com", "+14155552671", "Acme Inc.", "Austin", "78701", "Ann", "Lead",
     "2024-01-17", "2026-10-01"],
    ["2", "JANE", "doe", "jane.doe+crm@acme.com", "(415) 555-2671", "ACME", "Austin", "78701", "Ann", "Lead",
     "2025-03-02", "2026-11-01"],
    ["3", "John", "Doe", "john.doe@acme.com", "+14155552671", "Acme Inc.", "Austin", "78701", "Ann", "Lead",
     "2024-01-17", "2026-10-01"],
    ["4", "Bob", "Stone", "bob@stone.io", "+15125550172", "Stone LLC", "Boston", "02108", "Ann", "Lead",
     "2023-05-05", "2026-09-09"],
    ["5", "Robert", "Stone", "bob@stone.io", "+15125550172", "Stone", "Boston", "02108", "Tom", "Customer",
     "2022-05-05", "2026-01-01"],
]  # fmt: skip


def _export(tmp_path: Path) -> Path:
    path = tmp_path / "contacts.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([HEADER, *ROWS])
    return path


def _scan(tmp_path: Path, extension: ScanDuplicates) -> tuple[list[dict[str, str]], dict[str, object]]:
    result = scan_export(_export(tmp_path), tmp_path / "out", as_of=AS_OF, extensions=[extension])
    rows = [r for r in read_report(tmp_path / "out" / "queue.csv") if r["kind"] == "duplicate"]
    return rows, result.summary


def test_one_row_per_merge_with_the_proposal_as_evidence(tmp_path: Path) -> None:
    rows, summary = _scan(tmp_path, ScanDuplicates(standard=default_standard()))
    merges = {frozenset(r["current_value"].split(", ")): r for r in rows}
    assert set(merges) == {frozenset({"1", "2"}), frozenset({"4", "5"})}  # John Doe is a colleague
    proposal = MergeProposal.model_validate_json(merges[frozenset({"1", "2"})]["evidence"])
    assert proposal.suggested_primary == "2"  # most recent activity (both have an owner)
    assert proposal.evidence[0].contributions
    assert all(r["decision"] == "review" and r["status"] == "queued" for r in rows)
    protected = merges[frozenset({"4", "5"})]
    assert protected["protected"] == "true"  # owner and lifecycle stage differ
    figures = summary["duplicates"]
    assert isinstance(figures, dict)
    assert figures["duplicate_risk"] == 2 and figures["proposed_merges"] == 2
    assert summary["measurement"]["queue_by_kind"]["duplicate"] == 2  # type: ignore[index]


def test_auto_merge_when_the_standard_enables_it(tmp_path: Path) -> None:
    data = default_standard().model_dump()
    data["auto_merge"] = True
    rows, _ = _scan(tmp_path, ScanDuplicates(standard=DataStandard.model_validate(data)))
    decisions = {frozenset(r["current_value"].split(", ")): (r["decision"], r["status"]) for r in rows}
    assert decisions[frozenset({"1", "2"})] == ("auto", "proposed")  # the merge workflow carries it out
    assert decisions[frozenset({"4", "5"})] == ("review", "queued")  # protected fields differ


def test_rejected_pairs_are_not_proposed_again(tmp_path: Path) -> None:
    memory = InMemoryDecisionMemory()
    memory.remember_rejection("merge-pair:contact:4:5", "two people", "reviewer")
    rows, _ = _scan(tmp_path, ScanDuplicates(standard=default_standard(), memory=memory))
    assert [r["current_value"] for r in rows] in (["1, 2"], ["2, 1"])


def test_deals_are_left_alone_by_default(tmp_path: Path) -> None:
    path = tmp_path / "deals.csv"
    path.write_text(
        "Record ID,Deal Name,Amount,Close Date\n1,Acme renewal,100,2026-12-01\n2,Acme renewal,100,2026-12-01\n"
    )
    result = scan_export(path, tmp_path / "out", as_of=AS_OF, extensions=[ScanDuplicates()])
    assert json.loads(json.dumps(result.summary["duplicates"]))["proposed_merges"] == 0
