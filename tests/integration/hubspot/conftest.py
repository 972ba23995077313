"""HubSpot integration tests: the fake on a local socket (127.0.0.1 only)."""

from __future__ import annotations

from tests.fakes.hubspot import fake_hubspot, hubspot_export, hubspot_store  # noqa: F401  (fixtures)
