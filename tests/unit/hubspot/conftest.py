"""Unit tests of the HubSpot connector, webhook receiver and fake: in-process, on a virtual clock."""

from __future__ import annotations

from tests.fakes.hubspot import hubspot_export  # noqa: F401  (a fixture)
