"""Validation of one record at entry, in-process: p50 / p99 latency (issue 5: p99 ≤ 50 ms).

    .venv/bin/python bench/entry_bench.py [--records 2000]

What the entry-scan function does for one webhook-announced record, with in-memory adapters (no
network): read the record, check it against the standard, decide, queue, score its health.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from crm_hygiene.adapters.crm.csv_export import read_records
from crm_hygiene.local.sample import generate_sample
from crm_hygiene.memory import (
    InMemoryChangeQueue,
    InMemoryCrmStore,
    InMemoryDecisionMemory,
    InMemoryHealthStore,
    ListSignalBus,
    ListWorkQueue,
)
from crm_hygiene.services.entry import scan_entry
from crm_hygiene.services.pipeline import PipelineDeps
from crm_hygiene.standard.loader import default_standard


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        generate_sample(folder, contacts=args.records, seed=5)
        records = list(read_records(Path(folder) / "contacts.csv"))
    crm = InMemoryCrmStore()
    crm.add(records)
    deps = PipelineDeps(
        crm=crm,
        queue=InMemoryChangeQueue(),
        apply_queue=ListWorkQueue(),
        enrich_queue=ListWorkQueue(),
        health=InMemoryHealthStore(),
        signals=ListSignalBus(),
        memory=InMemoryDecisionMemory(),
        standard=default_standard(),
    )
    scan_entry(deps, "contact", [records[0].record_id])  # warm the lazy imports, as a warm Lambda would be
    latencies = []
    for record in records:
        started = time.perf_counter()
        scan_entry(deps, "contact", [record.record_id])
        latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()
    print(json.dumps({
        "records": len(latencies),
        "p50_ms": round(statistics.median(latencies), 3),
        "p99_ms": round(latencies[int(0.99 * (len(latencies) - 1))], 3),
        "max_ms": round(latencies[-1], 3),
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
