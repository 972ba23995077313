"""The crm-hygiene command: exit codes, outputs and messages, run in-process through main()."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crm_hygiene.cli import main


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    assert main(["sample", "--out", str(out), "--contacts", "300", "--seed", "3", "--truth"]) == 0
    return out


def test_sample_writes_hubspot_style_files(export: Path) -> None:
    assert {p.name for p in export.iterdir()} >= {"contacts.csv", "companies.csv", "deals.csv", "truth.jsonl"}
    assert export.joinpath("contacts.csv").read_text().startswith("Record ID,First Name,Last Name,Email")


@pytest.mark.parametrize("name", ["contacts", "companies", "deals"])
def test_scan_each_object_and_print_a_summary(export: Path, tmp_path: Path, name: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    code = main(
        ["scan", "--input", str(export / f"{name}.csv"), "--out", str(tmp_path), "--as-of", "2026-11-23"]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert out.startswith("Scanned ") and "Queue:" in out and "Health:" in out
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert (
        summary["input"]["object_type"]
        == {"contacts": "contact", "companies": "company", "deals": "deal"}[name]
    )
    assert summary["measurement"]["queue_volume"] > 0


def test_standard_init_drafts_a_valid_standard_that_check_accepts(export: Path, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    draft = tmp_path / "standard.yaml"
    assert main(["standard", "init", "--input", str(export / "contacts.csv"), "--out", str(draft)]) == 0
    text = draft.read_text()
    assert "fill rate" in text and "Email" in text
    assert main(["standard", "check", str(draft)]) == 0
    assert "valid standard" in capsys.readouterr().out
    assert main(["scan", "--input", str(export / "contacts.csv"), "--standard", str(draft),
                 "--out", str(tmp_path / "o")]) == 0  # fmt: skip


def test_standard_check_names_key_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "s.yaml"
    bad.write_text("version: 1\nobjects:\n  deal:\n    protected: [amount, stge]\n")
    assert main(["standard", "check", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:4: objects.deal.protected.1:" in err and "'stge'" in err


def test_bad_input_is_a_clear_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "contacts.xlsx"
    src.write_bytes(b"PK\x03\x04rest-of-a-zip")
    assert main(["scan", "--input", str(src), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "contacts.xlsx" in err and "Excel" in err and "Traceback" not in err
    assert main(["scan", "--input", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "o")]) == 2
    assert "missing.csv" in capsys.readouterr().err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["scan", "--out", "x"])
    assert caught.value.code == 2
    with pytest.raises(SystemExit):
        main(["nonsense"])
