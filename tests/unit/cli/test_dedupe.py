"""``crm-hygiene dedupe``: zero-config pairs.csv and clusters.csv on any CSV of people or companies."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from crm_hygiene.cli import main
from crm_hygiene.csvio import read_report
from tests.unit.dedup.helpers import FIXTURE

FEBRL_LIKE = """rec_id,given_name,surname,street_number,address_1,address_2,suburb,postcode,state,date_of_birth,soc_sec_id
rec-1-org,mitchell,green,7,wallaby place,delmar,cleveland,2119,sa,19560409,1804974
rec-1-dup-0,mitchel,green,7,delmar,wallaby place,cleveland,2119,sa,19560409,1804974
rec-2-org,harley,mccarthy,177,pridham street,milton,marsden,3165,nsw,19080419,6089216
rec-3-org,madeline,mason,54,hoseason street,lakefront,granville,4881,nsw,19081128,2185997
rec-3-dup-0,madeline,masen,54,hoseason st,lakefront,granville,4881,nsw,19081128,2185997
"""


def _read(path: Path) -> list[dict[str, str]]:
    return read_report(path)


def test_pairs_and_clusters_of_a_crm_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pairs, clusters = tmp_path / "pairs.csv", tmp_path / "clusters.csv"
    code = main(
        ["dedupe", "--input", str(FIXTURE / "contacts.csv"), "--out", str(pairs), "--clusters", str(clusters)]
    )
    assert code == 0
    assert "Read 2,500 contact records" in capsys.readouterr().out
    rows = _read(pairs)
    assert list(rows[0]) == ["id_l", "id_r", "match_probability", "evidence"]
    assert all(0.5 <= float(r["match_probability"]) <= 1.0 for r in rows)
    assert "comparisons" in json.loads(rows[0]["evidence"])
    assigned = _read(clusters)
    assert len(assigned) == 2500 and list(assigned[0]) == ["id", "cluster_id"]
    cluster_of = {r["id"]: r["cluster_id"] for r in assigned}
    assert all(cluster_of[r["id_l"]] == cluster_of[r["id_r"]] for r in rows)


def test_febrl_columns_zero_config(tmp_path: Path) -> None:
    source = tmp_path / "febrl.csv"
    source.write_text(FEBRL_LIKE)
    out = tmp_path / "pairs.csv"
    assert (
        main(["dedupe", "--input", str(source), "--out", str(out), "--clusters", str(tmp_path / "c.csv")])
        == 0
    )
    found = {(r["id_l"], r["id_r"]) for r in _read(out)}
    assert found == {("rec-1-org", "rec-1-dup-0"), ("rec-3-org", "rec-3-dup-0")}


def test_id_column_threshold_and_config(tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text(
        'Ref,Name,Mail,Tel\nA7,Jane Doe,jane@acme.com,+1 415 555 2671\nA7,"Doe, Jane",jane@acme.com,(415) 555-2671\n'
        "B2,Bob Stone,bob@stone.io,\n"
    )
    config = tmp_path / "match.yaml"
    config.write_text("match:\n  fields:\n    Tel: ignore\n")
    out = tmp_path / "pairs.csv"
    args = [
        "dedupe",
        "--input",
        str(source),
        "--out",
        str(out),
        "--id-column",
        "Ref",
        "--config",
        str(config),
    ]
    assert main([*args, "--threshold", "0.9"]) == 0
    rows = _read(out)
    assert [(r["id_l"], r["id_r"]) for r in rows] == [("A7", "A7#2")]  # a repeated id stays usable
    assert float(rows[0]["match_probability"]) >= 0.9
    assert "phone" not in json.loads(rows[0]["evidence"])["comparisons"]


def test_companies(tmp_path: Path) -> None:
    source = tmp_path / "companies.csv"
    source.write_text(
        "Company ID,Company name,Company Domain Name,City\n1,Acme Inc.,acme.com,Austin\n2,ACME,www.acme.com,Austin\n"
        "3,Globex LLC,globex.com,Boston\n"
    )
    out = tmp_path / "pairs.csv"
    assert main(["dedupe", "--input", str(source), "--out", str(out), "--object", "company"]) == 0
    assert [(r["id_l"], r["id_r"]) for r in _read(out)] == [("1", "2")]


def test_errors_name_the_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "people.csv"
    shutil.copy(FIXTURE / "contacts.csv", source)
    assert (
        main(["dedupe", "--input", str(source), "--out", str(tmp_path / "p.csv"), "--id-column", "Nope"]) == 2
    )
    assert "no column 'Nope'" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("threshold: 2\n")
    assert (
        main(["dedupe", "--input", str(source), "--out", str(tmp_path / "p.csv"), "--config", str(bad)]) == 2
    )
    assert "invalid match configuration" in capsys.readouterr().err
    assert not (tmp_path / "p.csv").exists()


def test_deals_same_company_name_and_close_date(tmp_path: Path) -> None:
    source = tmp_path / "deals.csv"
    source.write_text(
        "Record ID,Deal Name,Amount,Close Date,Associated Company IDs\n"
        "1,Acme Corp - Platform License,25000,2026-12-20,500\n"
        "2,Acme Corp - Platform Licence,25000,2026-12-21,500\n"  # the same deal, typed again
        "3,Acme Corp - Pilot,25000,2026-12-20,500\n"  # another deal of the same company
        "4,Acme Corp - Platform License,27000,2027-12-20,500\n"  # next year's renewal
        "5,Globex - Platform License,25000,2026-12-20,501\n"
    )
    out = tmp_path / "pairs.csv"
    assert main(["dedupe", "--input", str(source), "--out", str(out)]) == 0
    assert [(r["id_l"], r["id_r"]) for r in _read(out)] == [("1", "2")]
