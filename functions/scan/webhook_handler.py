"""CRM webhook endpoint: verify the signature, drop duplicates, hand scan requests on, answer fast."""

from __future__ import annotations

import json
from typing import Any

from crm_hygiene.errors import HygieneError, InputError, NotFound
from crm_hygiene.observability import logger, metrics, tracer
from crm_hygiene.settings import WebhookSettings
from crm_hygiene.webhooks.receiver import WebhookReceiver
from crm_hygiene.webhooks.request import crm_of, from_api_gateway
from crm_hygiene.wiring.aws import AwsDeps, aws_deps


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
        receiver = receiver or deps.webhook_receiver(crm_of(event))
    except NotFound as exc:
        metrics.add_metric(name="Webhook404", unit="Count", value=1)
        return _answer(404, {"message": str(exc)})
    try:
        request = from_api_gateway(event)  # the URL as called: what the signature covers
    except InputError as exc:
        metrics.add_metric(name="Webhook400", unit="Count", value=1)
        return _answer(400, {"message": str(exc)})
    result = receiver.receive(
        method=request.method, uri=request.uris, headers=request.headers, body=request.body
    )
    if result.accepted:
        try:
            deps.scan_requests.send(result.accepted)
        except HygieneError:
            receiver.release(result)  # HubSpot retries the delivery; its events are not lost as duplicates
            logger.exception("could not queue scan requests")
            return _answer(503, {"message": "try again"})
    metrics.add_metric(name=f"Webhook{result.status_code}", unit="Count", value=1)
    logger.info(
        "webhook",
        extra={
            "status": result.status_code,
            "accepted": len(result.accepted),
            "duplicates": result.duplicates,
            "ignored": result.ignored,
            "reason": result.reason,  # fixed texts: never the body, never a secret
        },
    )
    return _answer(result.status_code, result.body())


def _answer(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}
