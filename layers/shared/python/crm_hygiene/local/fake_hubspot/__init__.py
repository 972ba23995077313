"""A contract-faithful fake HubSpot (crm-apis.md) for tests, the benchmark and the local demo.

``FakeHubSpot`` is the API as a function; ``FakeHubSpotServer`` puts it on a socket;
``crm_hygiene.local.fake_hubspot.transport.FakeTransport`` plugs it into httpx without one. Standard
library only (http.server, urllib, hmac), except the transport, which is httpx's own interface.
"""

from __future__ import annotations

from crm_hygiene.local.fake_hubspot.app import DEFAULT_TOKEN, FakeHubSpot
from crm_hygiene.local.fake_hubspot.faults import Fault, PersonEdit
from crm_hygiene.local.fake_hubspot.limits import FakeLimits
from crm_hygiene.local.fake_hubspot.seed import seed_from_export, seed_running_fake
from crm_hygiene.local.fake_hubspot.server import FakeHubSpotServer
from crm_hygiene.local.fake_hubspot.values import FakeResponse
from crm_hygiene.local.fake_hubspot.webhooks import WebhookEmitter

__all__ = [
    "DEFAULT_TOKEN",
    "FakeHubSpot",
    "FakeHubSpotServer",
    "FakeLimits",
    "FakeResponse",
    "Fault",
    "PersonEdit",
    "WebhookEmitter",
    "seed_from_export",
    "seed_running_fake",
]
