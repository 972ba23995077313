"""Webhook receivers: verify, de-duplicate and translate a CRM's change notifications into scan requests.

Pure (hmac/hashlib, pydantic): the HTTP layer (the webhook Lambda, ``crm-hygiene serve``) passes the
method, the URL as called, the headers and the raw body, and maps the result to a status and body.
"""

from __future__ import annotations

from crm_hygiene.webhooks.hubspot import HubSpotWebhookReceiver
from crm_hygiene.webhooks.idempotency import InMemoryIdempotencyStore
from crm_hygiene.webhooks.receiver import WebhookReceiver, WebhookResult
from crm_hygiene.webhooks.signature import SignatureCheck, sign_v1, sign_v2, sign_v3, verify_signature

__all__ = [
    "HubSpotWebhookReceiver",
    "InMemoryIdempotencyStore",
    "SignatureCheck",
    "WebhookReceiver",
    "WebhookResult",
    "sign_v1",
    "sign_v2",
    "sign_v3",
    "verify_signature",
]
