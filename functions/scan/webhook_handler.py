"""CRM webhook endpoint: verify the signature, drop duplicates, hand scan requests on, answer fast."""

from __future__ import annotations

import base64
import json
from typing import Any

from crm_hygiene.errors import HygieneError, NotFound
from crm_hygiene.observability import logger, metrics, tracer
from crm_hygiene.settings import WebhookSettings
from crm_hygiene.webhooks.receiver import WebhookReceiver
from crm_hygiene.wiring.aws import AwsDeps, aws_deps


def _crm_of(event: dict[str, Any]) -> str:
    """``{crm}`` of ``POST /webhooks/{crm}``."""
    crm = (event.get("pathParameters") or {}).get("crm")
    return str(crm) if crm else str(event.get("path") or "").rstrip("/").rsplit("/", 1)[-1]


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
    deps: AwsDeps[WebhookSettings] | None = None,
    receiver: WebhookReceiver | None = None,
) -> dict[str, Any]:
    deps = deps or aws_deps(WebhookSettings)
    try:
        receiver = receiver or deps.webhook_receiver(_crm_of(event))
    except NotFound as exc:
        metrics.add_metric(name="Webhook404", unit="Count", value=1)
        return _answer(404, {"message": str(exc)})
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
    return _answer(result.status_code, result.body())


def _answer(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}
