"""``crm-hygiene demo``: the whole serverless loop on this machine (moto), then the review API served."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from crm_hygiene.models.crm import CRM_KINDS


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--contacts", type=int, default=2000, help="size of the generated CRM (default 2000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--auto-approve",
        action="store_true",
        help="approve everything through the review API, rescan, print health before and after, exit",
    )
    parser.add_argument(
        "--crm",
        choices=CRM_KINDS,
        default="internal",
        help="the CRM: the internal DynamoDB table, or a local fake HubSpot (default internal)",
    )
    parser.add_argument("--port", type=int, default=8787, help="port of the local review API (default 8787)")
    parser.add_argument("--dir", type=Path, default=Path(".demo"), help="working folder (default .demo)")


def _print_run(title: str, output: dict[str, Any], counts: dict[str, int]) -> None:
    print(title)
    for object_type, figures in sorted(output.get("summary", {}).get("objects", {}).items()):
        health = figures.get("health", {}).get("mean")
        print(
            f"  {object_type:8} {figures['records']:>6,} records  {figures['queue_volume']:>6,} queue rows  "
            f"auto {figures['auto_apply_rate']:.0%}  "
            f"missing critical {figures['missing_critical_rate']:.1%}  health {health}"
            + (f"  merges proposed {figures['merge_proposals']}" if figures.get("merge_proposals") else "")
        )
    print("  queue now: " + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())))


def run(options: argparse.Namespace) -> int:
    from crm_hygiene.local import demo

    began = time.perf_counter()
    print("Starting the local stack (moto on 127.0.0.1, the synthesized template deployed) ...", flush=True)
    current = demo.start(contacts=options.contacts, seed=options.seed, folder=options.dir, crm=options.crm)
    try:
        print(
            f"  up in {current.timings['stack_up']:.1f} s; CRM seeded from {options.dir / 'export'}",
            flush=True,
        )
        output = demo.scan(current)
        _print_run(
            "Weekly scan (schedule fired -> scan workflow -> apply queue):",
            output,
            dict(demo.queue_counts(current.deps)),
        )
        api = demo.serve(current, options.port)
        if options.crm == "hubspot":
            _print_webhooks(demo.webhook_roundtrip(current))
        if options.auto_approve:
            return _finish(current, demo, began)
        _print_serving(current, api.url)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    finally:
        current.stop()


def _finish(current: Any, demo: Any, began: float) -> int:
    before = demo.health_means(current.deps)
    result = demo.approve_everything(current)
    print(f"Auto-approved {result['approved']:,} review items ({result['failed']} failed)")
    for error in result["errors"]:
        print(f"  failed: {error}")
    output = demo.scan(current)
    _print_run("Second scan after the approvals:", output, dict(demo.queue_counts(current.deps)))
    after = demo.health_means(current.deps)
    print("Health before -> after: " + ", ".join(f"{t} {before[t]} -> {after[t]}" for t in before))
    print(f"Done in {time.perf_counter() - began:.0f} s.")
    return 0 if result["failed"] == 0 and not result["errors"] else 1


def _print_webhooks(result: dict[str, Any]) -> None:
    print(
        f"HubSpot webhook: a person edited contact {result['record_id']} in the fake HubSpot; its signed "
        f"delivery was answered {result['statuses']} and the entry scan queued {len(result['entry_items'])} "
        f"item(s) for it; a forged delivery was answered {result['forged_status']}"
    )


def _print_serving(current: Any, url: str) -> None:
    page, _ = current.deps.queue.list(status="queued", limit=1)
    print(
        f"\nReview API and webhook on {url} (review page: {url}/ ; OpenAPI: see docs/review-api.openapi.json)"
    )
    if page:
        item = page[0]
        print("Approve the first queued item:")
        print(
            f"  curl -s -X POST {url}/reviews/{item.review_id}/decision -H 'content-type: application/json' "
            f"-H 'X-Reviewer: you' -d '{{\"decision\": \"approve\"}}'"
        )
    print(f"  curl -s '{url}/reviews?status=queued&limit=5'")
    print("Ctrl-C stops everything.", flush=True)
    sys.stdout.flush()
