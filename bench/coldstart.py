"""Cold start of each Lambda handler: import time and memory in a fresh interpreter, and the layer size.

    .venv/bin/python bench/coldstart.py

Each handler module is imported in its own new process with the function's folder on sys.path (as
Lambda does) and the COMMON environment set; reported: wall time of the import (best of 5) and the
process's peak RSS after it. Targets (issue 5): ≤ 500 ms and ≤ 150 MB per handler, layer ≤ 100 MB
unzipped (`make build-layer` first for the layer figure).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HANDLERS = {
    "scan": ("functions/scan", "scan_handler"),
    "entry": ("functions/scan", "entry_handler"),
    "webhook": ("functions/scan", "webhook_handler"),
    "enrich": ("functions/enrich", "enrich_handler"),
    "apply": ("functions/apply", "apply_handler"),
    "review_api": ("functions/review_api", "review_api_handler"),
    "merge_review": ("functions/review_api", "merge_review_handler"),
}
_COMMON = (
    "CHANGE_QUEUE_TABLE", "AUDIT_TABLE", "AUDIT_BUCKET", "AUDIT_KEY_SECRET_NAME", "AUDIT_DIGEST_KEY_ID",
    "DECISION_MEMORY_TABLE", "HEALTH_TABLE",
    "MATCH_INDEX_TABLE", "IDEMPOTENCY_TABLE", "CRM_TABLE", "APPLY_QUEUE_URL", "ENRICH_QUEUE_URL",
    "SCAN_REQUESTS_QUEUE_URL", "MERGE_WORKFLOW_ARN", "TOPIC_HEALTH_ARN", "TOPIC_RELATIONSHIP_ARN",
    "TOPIC_PROVIDER_QUALITY_ARN", "TOPIC_MEASUREMENT_ARN", "TOPIC_ALERTS_ARN",
)  # fmt: skip
ENV = dict.fromkeys(_COMMON, "x") | {
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_SERVICE_NAME": "crm-hygiene",
}
_PROBE = """
import resource, sys, time
sys.path.insert(0, sys.argv[1])
t = time.perf_counter()
__import__(sys.argv[2])
elapsed = time.perf_counter() - t
print(elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def probe(folder: str, module: str) -> tuple[float, float]:
    import os

    env = {**os.environ, **ENV}
    best, rss = float("inf"), 0.0
    for _ in range(5):
        out = subprocess.run([sys.executable, "-c", _PROBE, str(ROOT / folder), module], env=env, check=True,
                             capture_output=True, text=True, cwd=ROOT)  # fmt: skip
        seconds, peak = map(float, out.stdout.split())
        best, rss = min(best, seconds), max(rss, peak)
    return best * 1000, rss


def layer_mb() -> float | None:
    layer = ROOT / ".build" / "layer"
    if not layer.exists():
        return None
    return round(sum(f.stat().st_size for f in layer.rglob("*") if f.is_file()) / 1e6, 1)


def main() -> None:
    results = {}
    for name, (folder, module) in HANDLERS.items():
        if not (ROOT / folder / f"{module}.py").exists():
            continue
        ms, rss = probe(folder, module)
        results[name] = {"import_ms": round(ms, 1), "peak_rss_mb": round(rss, 1)}
    print(json.dumps({"handlers": results, "layer_unzipped_mb": layer_mb()}, indent=2))


if __name__ == "__main__":
    main()
