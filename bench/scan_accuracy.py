"""Scan accuracy against a generated export's answer key (truth.jsonl).

    .venv/bin/python bench/scan_accuracy.py [--contacts 20000] [--seed 5]

For each injected problem kind: recall = injected problems found (a queue row on the same record,
field and kind; for fixes the suggested value must equal the clean value). Precision = queue rows
that match an injected problem. Duplicates are left out (they are the dedup benchmark's business).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from crm_hygiene.local.sample import generate_sample
from crm_hygiene.services.scan.export import scan_export

ROOT = Path(__file__).resolve().parent
FILES = {"contact": "contacts.csv", "company": "companies.csv", "deal": "deals.csv"}


def _truth(folder: Path) -> list[dict[str, str]]:
    lines = folder.joinpath("truth.jsonl").read_text().splitlines()
    return [t for t in map(json.loads, lines) if t["kind"] != "duplicate"]


def evaluate(folder: Path, out: Path, as_of: datetime) -> dict[str, object]:
    truth = _truth(folder)
    by_key = {(t["object_type"], t["record_id"], t["field"], t["kind"]): t for t in truth}
    found: Counter[str] = Counter()
    right_value: Counter[str] = Counter()
    rows = correct = 0
    wrong: list[dict[str, str]] = []
    for object_type, name in FILES.items():
        scan_export(folder / name, out / object_type, as_of=as_of)
        with (out / object_type / "queue.csv").open(newline="") as fh:
            for row in csv.DictReader(fh):
                rows += 1
                t = by_key.get((object_type, row["record_id"], row["field"], row["kind"]))
                if t is None:
                    wrong.append(row)
                    continue
                correct += 1
                found[t["kind"]] += 1
                right_value[t["kind"]] += (
                    not t["expected_value"] or row["suggested_value"] == t["expected_value"]
                )
    injected = Counter(t["kind"] for t in truth)
    return {
        "recall": {k: round(found[k] / n, 4) for k, n in sorted(injected.items())},
        "value_correct": {k: round(right_value[k] / n, 4) for k, n in sorted(injected.items())},
        "injected": dict(injected),
        "queue_rows": rows,
        "row_precision": round(correct / rows, 4) if rows else None,
        "unmatched_examples": wrong[:15],
        "unmatched_by_kind_field": Counter(f"{w['kind']}:{w['field']}" for w in wrong).most_common(15),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    as_of = datetime(2026, 11, 23, tzinfo=UTC)
    folder = ROOT / "data" / f"accuracy-{args.contacts}-{args.seed}"
    generate_sample(folder, contacts=args.contacts, seed=args.seed, as_of=as_of.date(), truth=True)
    json.dump(evaluate(folder, folder / "out", as_of), sys.stdout, indent=1, default=str)
    print()


if __name__ == "__main__":
    main()
