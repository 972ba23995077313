"""``/_fake/*``: the fake's control endpoints (seed, faults, a person's edits, webhooks, counters)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from crm_hygiene.local.fake_hubspot.crm import FakeCrm
from crm_hygiene.local.fake_hubspot.faults import Fault, FaultPlan
from crm_hygiene.local.fake_hubspot.seed import seed_rows
from crm_hygiene.local.fake_hubspot.values import FakeError, FakeResponse
from crm_hygiene.local.fake_hubspot.webhooks import WebhookEmitter


class FakeHubSpot(Protocol):
    """What the control routes drive of the fake (``app.FakeHubSpot``, which routes to them)."""

    crm: FakeCrm
    faults: FaultPlan
    webhooks: WebhookEmitter | None

    def stats(self) -> dict[str, Any]: ...
    def add_faults(self, *faults: Fault) -> None: ...
    def ui_update(self, object_type: str, object_id: int | str, properties: Mapping[str, Any]) -> None: ...
    def subscribe(self, target_url: str, client_secret: str, **options: Any) -> WebhookEmitter: ...


def control(fake: FakeHubSpot, method: str, path: str, body: dict[str, Any]) -> FakeResponse:
    route = (method, path.rstrip("/"))
    if route == ("GET", "/_fake/health"):
        return FakeResponse.of(200, {"status": "ok"})
    if route == ("GET", "/_fake/stats"):
        return FakeResponse.of(200, fake.stats())
    if route == ("POST", "/_fake/faults"):
        fake.add_faults(*(Fault.model_validate(f) for f in body.get("faults") or []))
        return FakeResponse(204)
    if route == ("DELETE", "/_fake/faults"):
        fake.faults.clear()
        return FakeResponse(204)
    if route == ("POST", "/_fake/seed"):
        return FakeResponse.of(
            200, {"added": seed_rows(fake.crm, str(body["object_type"]), body.get("rows") or [])}
        )
    if route == ("POST", "/_fake/ui/update"):
        fake.ui_update(str(body["object_type"]), str(body["id"]), body.get("properties") or {})
        return FakeResponse(204)
    return _webhooks(fake, route, body)


def _webhooks(fake: FakeHubSpot, route: tuple[str, str], body: dict[str, Any]) -> FakeResponse:
    if route == ("POST", "/_fake/webhooks/subscribe"):
        options = {
            k: body[k] for k in ("max_batch", "duplicate_every", "reorder", "max_attempts") if k in body
        }
        emitter = fake.subscribe(str(body["target_url"]), str(body["client_secret"]), **options)
        if body.get("interval"):
            emitter.start(float(body["interval"]))
        return FakeResponse(204)
    if route == ("POST", "/_fake/webhooks/flush"):
        if fake.webhooks is None:
            raise FakeError(400, "VALIDATION_ERROR", "no webhook subscription")
        report = fake.webhooks.flush()
        counts = {"requests": report.requests, "delivered": report.delivered_events}
        counts.update(failed_requests=report.failed_requests, given_up=report.given_up_events)
        return FakeResponse.of(200, counts)
    raise FakeError(404, "OBJECT_NOT_FOUND", f"no control route {route[0]} {route[1]}")
