"""``crm-hygiene fake-hubspot``: a local, contract-faithful HubSpot to try the connector and the demo on."""

from __future__ import annotations

import argparse
import os
from pathlib import Path


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    parser.add_argument(
        "--seed-from", type=Path, metavar="DIR", help="export folder to load (contacts.csv...)"
    )
    parser.add_argument("--token", default=None, help="bearer token to accept (default: the fake's token)")
    parser.add_argument("--per-10s", type=int, default=100, help="requests per 10 s per app (default 100)")
    parser.add_argument(
        "--search-per-second", type=int, default=5, help="search requests per second (default 5)"
    )
    parser.add_argument("--no-limits", action="store_true", help="do not enforce rate limits")
    parser.add_argument("--webhook-url", help="deliver signed webhooks to this URL")
    parser.add_argument(
        "--client-secret", default=None, help="webhook signing secret (default: $HUBSPOT_CLIENT_SECRET)"
    )
    parser.add_argument("--webhook-interval", type=float, default=1.0, help="seconds between deliveries")


def run(options: argparse.Namespace) -> int:
    from crm_hygiene.local.fake_hubspot import DEFAULT_TOKEN, FakeHubSpot, FakeHubSpotServer, FakeLimits
    from crm_hygiene.local.fake_hubspot.seed import seed_from_export

    limits = FakeLimits(
        per_interval=options.per_10s,
        search_per_second=options.search_per_second,
        enabled=not options.no_limits,
    )
    fake = FakeHubSpot(tokens=(options.token or DEFAULT_TOKEN,), limits=limits)
    if options.seed_from is not None:
        added = seed_from_export(fake.crm, options.seed_from)
        print("Seeded " + ", ".join(f"{n:,} {kind}" for kind, n in added.items()))
    if options.webhook_url:
        secret = options.client_secret or os.environ.get("HUBSPOT_CLIENT_SECRET")
        if not secret:
            raise SystemExit(
                "crm-hygiene fake-hubspot: --webhook-url needs --client-secret or $HUBSPOT_CLIENT_SECRET"
            )
        fake.subscribe(options.webhook_url, secret).start(options.webhook_interval)
    server = FakeHubSpotServer(fake, host=options.host, port=options.port)
    print(
        f"Fake HubSpot on {server.url} (token {options.token or DEFAULT_TOKEN}); Ctrl-C stops it", flush=True
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0
