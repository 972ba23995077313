"""The local API routes like the stack's: ``/webhooks/{crm}`` to the webhook function, the rest to the review API."""

from __future__ import annotations

import pytest

from crm_hygiene.local.api_gateway import webhook_crm


@pytest.mark.parametrize(
    ("path", "crm"),
    [
        ("/webhooks/hubspot", "hubspot"),
        ("/webhooks/hubspot/", "hubspot"),
        ("/webhooks/salesforce", "salesforce"),  # the webhook function answers 404 for it
        ("/webhooks", None),
        ("/webhooks/hubspot/extra", None),
        ("/reviews/webhooks", None),
        ("/", None),
    ],
)
def test_only_webhooks_slash_a_name_reaches_the_webhook_function(path: str, crm: str | None) -> None:
    assert webhook_crm(path) == crm
