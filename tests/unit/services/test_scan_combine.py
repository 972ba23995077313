"""A pipeline scan split into partitions adds up to exactly the figures of one unsplit scan.

The pipeline's combine step used to keep only a few summed counts and rates: ``queue_by_kind``,
``queue_by_field``, ``queue_by_decision`` and ``missing_critical_by_field`` were lost.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crm_hygiene.csvio.records import read_records
from crm_hygiene.local.sample import generate_sample
from crm_hygiene.memory import InMemoryCrmStore, InMemoryHealthStore
from crm_hygiene.models.record import Record
from crm_hygiene.services.scan.core import ScanTotals, combine, scan_record
from crm_hygiene.services.scan.pipeline import finalize, plan, scan_partition
from crm_hygiene.standard.loader import default_standard
from crm_hygiene.validate.context import CheckContext
from crm_hygiene.wiring.memory import in_memory_deps


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> list[Record]:
    folder = tmp_path_factory.mktemp("crm")
    generate_sample(folder, contacts=450, seed=11)
    return list(read_records(folder / "contacts.csv"))


def _unsplit(records: list[Record]) -> dict[str, Any]:
    """The figures of one scan over every record, as the export scan reports them."""
    ctx = CheckContext(standard=default_standard(), object_type="contact")
    totals = ScanTotals()
    for record in records:
        totals.add(scan_record(record, ctx), tuple(ctx.rules.critical))
    return {**totals.measurement(), "health": totals.health.summary()}


def _pipeline(records: list[Record], partitions: int) -> dict[str, Any]:
    crm = InMemoryCrmStore()
    crm.add(records)
    deps = in_memory_deps(crm, memory=None, workflow=None)
    parts = plan(deps.crm, ["contact"], partitions, run_id="run")
    assert len(parts) == partitions
    for part in parts:
        while not part.done:
            part = scan_partition(deps, part, lambda: 900.0)
    figures: dict[str, Any] = finalize(deps, "run")["objects"]["contact"]
    return figures


@pytest.mark.parametrize("partitions", [1, 3, 7])
def test_partitions_combine_to_the_figures_of_one_scan(records: list[Record], partitions: int) -> None:
    # Given the figures of one unsplit scan of the records
    expected = _unsplit(records)
    # When the pipeline scans them in partitions and finalizes
    figures = _pipeline(records, partitions)
    # Then every figure of the unsplit scan is there with the same value (rates to 4 dp included)
    assert {k: figures[k] for k in expected} == expected
    assert figures["queue_by_kind"] and figures["queue_by_field"] and figures["missing_critical_by_field"]
    assert figures["duplicate_risk"] == 0  # no dedup without a workflow


def test_combined_totals_equal_the_totals_of_one_pass(records: list[Record]) -> None:
    ctx = CheckContext(standard=default_standard(), object_type="contact")
    critical = tuple(ctx.rules.critical)
    whole, parts = ScanTotals(), [ScanTotals() for _ in range(4)]
    for i, record in enumerate(records):
        scanned = scan_record(record, ctx)
        whole.add(scanned, critical)
        parts[i % 4].add(scanned, critical)
    # Stored as JSON between the partition and the finalize step
    stored = [ScanTotals.load(json.loads(json.dumps(p.dump()))) for p in parts]
    combined = combine(stored)
    assert combined.measurement() == whole.measurement()
    assert combined.health.summary() == whole.health.summary()


def test_partitions_stored_by_the_previous_version_still_combine(records: list[Record]) -> None:
    # Given partition figures in the shape the previous version stored (measurement + health)
    ctx = CheckContext(standard=default_standard(), object_type="contact")
    critical = tuple(ctx.rules.critical)
    parts = [ScanTotals() for _ in range(2)]
    for i, record in enumerate(records):
        parts[i % 2].add(scan_record(record, ctx), critical)
    health = InMemoryHealthStore()
    for i, p in enumerate(parts):
        legacy = {**p.measurement(), "object_type": "contact", "health": p.health.model_dump()}
        health.put_partition_totals("old", f"contact#{i}#0", legacy)
    crm = InMemoryCrmStore()
    deps = in_memory_deps(crm, health=health, workflow=None)
    # When the new finalize adds them up
    figures = finalize(deps, "old")["objects"]["contact"]
    # Then they match one pass (the missing-critical counts come back from 4-dp rates: exact here)
    assert {k: figures[k] for k in _unsplit(records)} == _unsplit(records)


def test_a_scan_summary_on_disk_has_the_figures_the_pipeline_reports(tmp_path: Path) -> None:
    # The export scan and the pipeline report the same measurement names (plus health).
    from crm_hygiene.services.scan.export import scan_export

    generate_sample(tmp_path / "in", contacts=50, seed=3)
    scan_export(tmp_path / "in" / "contacts.csv", tmp_path / "out")
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    records = list(read_records(tmp_path / "in" / "contacts.csv"))
    assert set(summary["measurement"]) <= set(_pipeline(records, 2))
