"""Scan benchmark: records/s and peak RSS of a whole `crm-hygiene scan`, and import times.

    .venv/bin/python bench/scan_bench.py                      # 100k contacts
    .venv/bin/python bench/scan_bench.py --contacts 1000000   # the 1M-row memory check

The export is generated once per size under bench/data/ (git-ignored). Each scan runs in its own
process, so the peak RSS is the scan's alone. Records per CPU second (the scan process's own CPU
time) is the one-core figure that holds on a shared machine; records per wall second is also shown.
Targets (issue 2): ≥ 10,000 contacts/s on one core, peak RSS ≤ 1 GB on 1M rows, `import crm_hygiene`
≤ 300 ms.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"

_SCAN = """
import json, sys, time
from datetime import datetime, UTC
from crm_hygiene.services.scan.export import scan_export
cpu = time.process_time()
result = scan_export(sys.argv[1], sys.argv[2], as_of=datetime(2026, 11, 23, tzinfo=UTC))
cpu = time.process_time() - cpu
m = result.summary["measurement"]
print(json.dumps(result.summary["performance"] | {"rows": m["queue_volume"], "cpu_seconds": cpu}))
"""
_IMPORT = """
import time
t = time.perf_counter()
import {module}
print(time.perf_counter() - t)
"""


def _export(contacts: int) -> Path:
    folder = DATA / f"sample-{contacts}"
    path = folder / "contacts.csv"
    if not path.exists():
        from crm_hygiene.local.sample import generate_sample

        started = time.perf_counter()
        generate_sample(folder, contacts=contacts, seed=11)
        print(f"generated {contacts:,} contacts in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return path


def _child_peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _import_ms(module: str, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", _IMPORT.format(module=module)], check=True,
                             capture_output=True, text=True)  # fmt: skip
        times.append(float(out.stdout))
    return min(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--contacts", type=int, default=100_000)
    args = parser.parse_args()
    path = _export(args.contacts)
    out = DATA / f"scan-{args.contacts}"
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _SCAN, str(path), str(out)], check=True, capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    perf = json.loads(proc.stdout)
    result = {
        "contacts": args.contacts,
        "input_mb": round(path.stat().st_size / 1e6, 1),
        "queue_rows": perf["rows"],
        "scan_seconds": perf["seconds"],
        "records_per_second": perf["records_per_second"],
        "scan_cpu_seconds": round(perf["cpu_seconds"], 2),
        "records_per_cpu_second": round(args.contacts / perf["cpu_seconds"], 1),
        "process_wall_seconds": round(wall, 2),
        "peak_rss_mb": round(_child_peak_rss_mb(), 1),
        "import_crm_hygiene_ms": round(_import_ms("crm_hygiene"), 1),
        "import_scan_service_ms": round(_import_ms("crm_hygiene.services.scan.core"), 1),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
