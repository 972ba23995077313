"""``crm-hygiene sample``: a realistic messy CRM export to try everything on."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, type=Path, help="output directory")
    parser.add_argument("--contacts", type=int, default=2000, help="number of contacts (default 2000)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--truth", action="store_true", help="also write truth.jsonl, the injected problems")
    parser.add_argument(
        "--activity",
        action="store_true",
        help="also write activity.csv (some contacts changed employer), provider.csv, providers.yaml",
    )


def run(options: argparse.Namespace) -> int:
    from crm_hygiene.local.sample import generate_sample

    if options.contacts < 1:
        raise SystemExit("crm-hygiene sample: --contacts must be at least 1")
    manifest = generate_sample(options.out, contacts=options.contacts, seed=options.seed, truth=options.truth)
    counts = ", ".join(f"{Path(p).name} {n:,}" for p, n in manifest.rows.items())
    print(f"Wrote a messy HubSpot-style export to {options.out}: {counts}")
    if options.activity:
        from crm_hygiene.local.sample_activity import generate_activity

        activity = generate_activity(options.out, seed=options.seed, as_of=manifest.as_of)
        planted = ", ".join(f"{kind} {n:,}" for kind, n in activity.planted.items())
        rows = f"{activity.activities:,} activities, provider.csv {activity.provider_rows:,} rows"
        print(f"Activity log: {rows} ({planted})")
    return 0
