"""Validation of one record at entry, in-process: p50 / p99 latency (issue 5: p99 ≤ 50 ms).

    .venv/bin/python bench/entry_bench.py [--records 2000]

What the entry-scan function does for one webhook-announced record, with in-memory adapters (no
network): read the record, check it against the standard, decide, queue, score its health, and
(the second figures) check it for duplicates against the match index of every existing record,
proposing a merge where it finds one. Building that index (once per container) is timed apart.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from crm_hygiene.csvio.records import read_records
from crm_hygiene.local.sample import generate_sample
from crm_hygiene.memory import (
    InMemoryChangeQueue,
    InMemoryCrmStore,
    InMemoryWorkflow,
    ListWorkQueue,
)
from crm_hygiene.models.record import Record
from crm_hygiene.ports import MatchIndex
from crm_hygiene.services.dedup.entry import build_index
from crm_hygiene.services.scan.batch import PipelineDeps
from crm_hygiene.services.scan.entry import scan_entry
from crm_hygiene.wiring.memory import in_memory_deps


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        generate_sample(folder, contacts=args.records, seed=5)
        records = list(read_records(Path(folder) / "contacts.csv"))
    crm = InMemoryCrmStore()
    crm.add(records)
    deps = in_memory_deps(crm, enrich_queue=ListWorkQueue(), workflow=None)
    figures: dict[str, object] = {
        "records": len(records),
        "without_duplicate_check": _latencies(deps, records),
    }
    started = time.perf_counter()
    index = build_index(crm, "contact")
    figures["index_build_s"] = round(time.perf_counter() - started, 2)
    deps = replace(deps, queue=InMemoryChangeQueue(), workflow=InMemoryWorkflow())
    figures["with_duplicate_check"] = _latencies(deps, records, index)
    assert isinstance(deps.workflow, InMemoryWorkflow)
    figures["merges_proposed"] = len(deps.workflow.started)
    print(json.dumps(figures, indent=2))


def _latencies(
    deps: PipelineDeps, records: list[Record], index: MatchIndex | None = None
) -> dict[str, float]:
    scan_entry(deps, "contact", [records[0].record_id], index=index)  # warm lazy imports, as a warm Lambda
    latencies = []
    for record in records:
        started = time.perf_counter()
        scan_entry(deps, "contact", [record.record_id], index=index)
        latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()
    return {
        "p50_ms": round(statistics.median(latencies), 3),
        "p99_ms": round(latencies[int(0.99 * (len(latencies) - 1))], 3),
        "max_ms": round(latencies[-1], 3),
    }


if __name__ == "__main__":
    main()
