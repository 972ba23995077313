"""``crm-hygiene serve``: the local stack's review API and CRM webhook on 127.0.0.1 (no scan is run)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port", type=int, default=8787, help="port of the review API and webhook (default 8787)"
    )
    parser.add_argument("--contacts", type=int, default=2000, help="size of the generated CRM to seed")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dir", type=Path, default=Path(".demo"))


def run(options: argparse.Namespace) -> int:
    from crm_hygiene.local import demo

    current = demo.start(contacts=options.contacts, seed=options.seed, folder=options.dir)
    api = demo.serve(current, options.port)
    print(
        f"Review API: {api.url}/reviews   review page: {api.url}/   webhook: POST {api.url}/webhooks/hubspot"
    )
    print(f"AWS endpoint for the aws CLI / boto3: export AWS_ENDPOINT_URL={current.stack.endpoint}")
    print("Ctrl-C stops everything.", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    finally:
        api.stop()
        current.stack.stop()
