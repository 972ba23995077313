"""CRM webhook endpoint: verify the signature, drop duplicates, hand scan requests on, answer fast."""

from __future__ import annotations

import base64
import json
from typing import Any

from crm_hygiene.errors import HygieneError
from crm_hygiene.observability import logger, metrics, tracer
from crm_hygiene.settings import load_settings
from crm_hygiene.webhooks.hubspot import HubSpotWebhookReceiver
from crm_hygiene.wiring.aws import AwsDeps

_deps: AwsDeps | None = None
_cached: HubSpotWebhookReceiver | None = None


def _receiver(deps: AwsDeps) -> HubSpotWebhookReceiver:
    global _cached
    if _cached is None:
        _cached = HubSpotWebhookReceiver(deps.webhook_secret, deps.idempotency)
    return _cached


def _request_uri(event: dict[str, Any]) -> str:
    """The URL HubSpot called (what v3 signs): scheme, host, the stage path, the query string."""
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    scheme = headers.get("x-forwarded-proto", "https")
    path = (event.get("requestContext") or {}).get("path") or event.get("path", "")
    query = event.get("queryStringParameters") or {}
    suffix = ("?" + "&".join(f"{k}={v}" for k, v in query.items())) if query else ""
    return f"{scheme}://{headers.get('host', '')}{path}{suffix}"


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(
    event: dict[str, Any],
    context: Any,
    deps: AwsDeps | None = None,
    receiver: HubSpotWebhookReceiver | None = None,
) -> dict[str, Any]:
    global _deps
    deps = deps or _deps or AwsDeps(load_settings())
    _deps = _deps or deps
    receiver = receiver or _receiver(deps)
    raw = event.get("body") or ""
    body = base64.b64decode(raw) if event.get("isBase64Encoded") else raw.encode()
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    result = receiver.receive(
        method=event.get("httpMethod", "POST"), uri=_request_uri(event), headers=headers, body=body
    )
    if result.accepted:
        try:
            deps.scan_requests.send(result.accepted)
        except HygieneError:
            receiver.release(result)  # HubSpot retries the delivery; its events are not lost as duplicates
            logger.exception("could not queue scan requests")
            return {"statusCode": 503, "body": json.dumps({"message": "try again"})}
    metrics.add_metric(name=f"Webhook{result.status_code}", unit="Count", value=1)
    logger.info(
        "webhook",
        extra={
            "status": result.status_code,
            "accepted": len(result.accepted),
            "duplicates": result.duplicates,
            "ignored": result.ignored,
        },
    )
    return {
        "statusCode": result.status_code,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(result.body()),
    }
