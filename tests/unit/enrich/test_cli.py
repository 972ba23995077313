"""``crm-hygiene enrich`` (and feedback, dry run, ``scan --enrich``, ``sample --activity``) in-process."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from pydantic import TypeAdapter

from crm_hygiene.cli import main
from crm_hygiene.local.sample_activity import generate_activity
from crm_hygiene.models.queue import QUEUE_COLUMNS, QueueRow
from crm_hygiene.models.signals import Signal

SIGNALS: TypeAdapter[Signal] = TypeAdapter(Signal)


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    assert main(["sample", "--out", str(out), "--contacts", "400", "--seed", "5", "--activity"]) == 0
    return out


def run_enrich(export: Path, out: Path, *extra: str) -> int:
    return main(["enrich", "--input", str(export / "contacts.csv"), "--providers", str(export / "providers.yaml"),
                 "--activity", str(export / "activity.csv"), "--out", str(out), "--as-of", "2026-11-23", *extra])  # fmt: skip


def test_sample_activity_is_deterministic_and_has_an_answer_key(export: Path, tmp_path: Path) -> None:
    again = generate_activity(export, seed=5)
    assert again.planted["job_change"] > 0 and (export / "activity_truth.jsonl").exists()
    first = (export / "activity.csv").read_bytes()
    generate_activity(export, seed=5)
    assert (export / "activity.csv").read_bytes() == first


def test_enrich_writes_the_queue_ledger_signals_and_a_summary(export: Path, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    out = tmp_path / "out"
    assert run_enrich(export, out, "--state", str(tmp_path / "q.json")) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("Enriched 400 contact records") and "Job changes" in printed
    with (out / "queue.csv").open() as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames or ()) == QUEUE_COLUMNS
        rows = list(reader)
    assert {r["kind"] for r in rows} == {"enrich", "job_change"}
    for line in (out / "queue.jsonl").read_text().splitlines():
        QueueRow.model_validate_json(line)
    signals = [SIGNALS.validate_json(line) for line in (out / "signals.jsonl").read_text().splitlines()]
    kinds = {s.schema_name for s in signals}
    assert kinds == {"relationship_graph_signal", "data_provider_quality_signal"}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["job_changes"] > 0 and summary["providers"]["activity_log"]["lookups"] == 400
    assert json.loads((tmp_path / "q.json").read_text())["providers"]["activity_log"]


def test_dry_run_writes_only_a_plan(export: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "plan"
    assert run_enrich(export, out, "--dry-run") == 0
    assert "nothing was called or spent" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["plan.json"]


def test_feedback_moves_provider_quality(
    export: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, state = tmp_path / "out", tmp_path / "q.json"
    assert run_enrich(export, out, "--state", str(state)) == 0
    with (out / "queue.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        r["status"] = "approved" if r["kind"] == "job_change" else "rejected"
    reviewed = out / "reviewed.csv"
    with reviewed.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=QUEUE_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    capsys.readouterr()
    assert main(["enrich", "feedback", "--queue", str(reviewed), "--state", str(state),
                 "--signals", str(tmp_path / "q.jsonl")]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert f"Counted {len(rows):,} review outcomes" in printed
    assert "activity_log / company: approved" in printed and "reliability 0.850 -> 0.9" in printed
    assert (tmp_path / "q.jsonl").read_text().count("data_provider_quality_signal") >= 2


def test_scan_enrich_adds_enrichment_to_the_scan(export: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    out = tmp_path / "scan"
    assert main(["scan", "--input", str(export / "contacts.csv"), "--out", str(out), "--as-of", "2026-11-23",
                 "--providers", str(export / "providers.yaml"), "--activity", str(export / "activity.csv")]) == 0  # fmt: skip
    assert "Enrichment:" in capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    assert summary["enrichment"]["job_changes"] > 0
    kinds = {line.split(",")[2] for line in (out / "queue.csv").read_text().splitlines()[1:]}
    assert {"job_change", "enrich", "malformed"} <= kinds
    assert (out / "proposals.jsonl").stat().st_size > 0 and (out / "cleaned.csv").exists()


def test_bad_usage_and_bad_config_are_reported(export: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    with pytest.raises(SystemExit, match="--input and --out are required"):
        main(["enrich", "--out", str(tmp_path)])
    bad = tmp_path / "providers.yaml"
    bad.write_text("providers:\n  - type: file\n    name: x\n")
    code = main(
        ["enrich", "--input", str(export / "contacts.csv"), "--providers", str(bad), "--out", str(tmp_path)]
    )
    assert code == 2 and f"{bad}:2: providers.0.path" in capsys.readouterr().err
