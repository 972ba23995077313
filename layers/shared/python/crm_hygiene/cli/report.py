"""Short human summaries printed by the commands."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from crm_hygiene.types import FINDING_MEANINGS, QUEUE_DECISIONS, QUEUE_MEANINGS, SUMMARY_KEYS

_LABELS: dict[str, str] = {kind: meaning.label for kind, meaning in QUEUE_MEANINGS.items()}


def print_scan_summary(summary: dict[str, Any], out_dir: Path) -> None:
    """Prints the queue summary of a scan (counts, rates, health) to stdout."""
    source = summary["input"]
    m = summary["measurement"]
    perf = summary["performance"]
    health = summary["health"]
    standard = summary["standard"]
    noun = {"contact": "contacts", "company": "companies", "deal": "deals"}[source["object_type"]]
    rate = perf["records_per_second"]
    print(
        f"Scanned {m['records']:,} {noun} from {Path(source['path']).name} "
        f"({source['source']} export) in {perf['seconds']:.1f} s" + (f" ({rate:,.0f}/s)" if rate else "")
    )
    if not standard["valid"]:
        print(f"! The standard {standard['source']} is invalid: REPORT ONLY, nothing applied by itself.")
        for error in standard["errors"][:10]:
            print(f"    {error}")
    decisions = ", ".join(f"{m['queue_by_decision'].get(d, 0):,} {d}" for d in QUEUE_DECISIONS)
    print(f"Queue: {m['queue_volume']:,} rows on {m['records_with_issues']:,} records: {decisions}")
    kinds = sorted(m["queue_by_kind"].items(), key=lambda kv: -kv[1])
    if kinds:
        print("  " + " · ".join(f"{_LABELS.get(kind, kind)} {count:,}" for kind, count in kinds))
    missing = ", ".join(f"{k} {v:.1%}" for k, v in list(m["missing_critical_by_field"].items())[:4])
    print(
        f"Missing critical fields: {m['missing_critical_rate']:.1%} of records"
        + (f" ({missing})" if missing else "")
    )
    if source["missing_critical_columns"]:
        print(f"  no column for critical fields: {', '.join(source['missing_critical_columns'])}")
    by_kind = " · ".join(f"{FINDING_MEANINGS[kind].label} {m[key]:,}" for kind, key in SUMMARY_KEYS.items())
    print(f"Records by kind: {by_kind}")
    if health.get("mean") is not None:
        print(
            f"Health: mean {health['mean']} (median {health['median']}, "
            f"{health['healthy_share']:.0%} healthy ≥ 80, {health['poor_share']:.0%} poor < 50)"
        )
    print(f"cleaned.csv: {summary['cleaned']['cells_changed']:,} cells changed (auto fixes only)")
    print(f"Outputs: {out_dir}/queue.csv queue.jsonl cleaned.csv health.csv summary.json")
    sys.stdout.flush()
