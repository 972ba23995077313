"""The fake HubSpot API as one function, ``FakeHubSpot.handle(method, target, headers, body)``: bearer
auth, rate limits, fault injection, routing. The HTTP server (``server.py``) and the in-process httpx
transport (``transport.py``) are thin shells around it.

Control endpoints under ``/_fake/`` (no auth, never rate-limited) let tests, the demo and the CLI
seed data, inject faults, play a person editing in HubSpot, subscribe and flush webhooks, and read
the counters (requests per route, requests over a limit, writes per record property).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from crm_hygiene.local.fake_hubspot import associations as assoc
from crm_hygiene.local.fake_hubspot import objects
from crm_hygiene.local.fake_hubspot.catalog import ENGAGEMENT_TYPES, OBJECT_TYPES, TYPE_IDS
from crm_hygiene.local.fake_hubspot.control import control
from crm_hygiene.local.fake_hubspot.crm import FakeCrm, Source
from crm_hygiene.local.fake_hubspot.faults import Fault, FaultPlan
from crm_hygiene.local.fake_hubspot.limits import FakeLimits, RateLimiter
from crm_hygiene.local.fake_hubspot.values import FakeError, FakeResponse, Json, not_found
from crm_hygiene.local.fake_hubspot.webhooks import WebhookEmitter

DEFAULT_TOKEN = "fake-hubspot-token"
Handler = Callable[..., FakeResponse]
_OBJ = r"(?P<type>[a-z0-9-]+)"
_ID = r"(?P<id>[^/]+)"
_TO = r"(?P<to>[a-z0-9-]+)"
_PAIR = r"(?P<to>[a-z0-9-]+)/(?P<to_id>[^/]+)"
_VERSIONED = ((re.compile(r"^/crm/objects/\d{4}-\d{2}/"), "/crm/v3/objects/"),
              (re.compile(r"^/crm/properties/\d{4}-\d{2}/"), "/crm/v3/properties/"))  # fmt: skip


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    name: str


def _routes() -> list[_Route]:
    table = [
        ("GET", rf"/crm/v3/objects/{_OBJ}", "list"),
        ("POST", rf"/crm/v3/objects/{_OBJ}", "create"),
        ("POST", rf"/crm/v3/objects/{_OBJ}/batch/read", "batch_read"),
        ("POST", rf"/crm/v3/objects/{_OBJ}/batch/update", "batch_update"),
        ("POST", rf"/crm/v3/objects/{_OBJ}/batch/create", "batch_create"),
        ("POST", rf"/crm/v3/objects/{_OBJ}/batch/archive", "batch_archive"),
        ("POST", rf"/crm/v3/objects/{_OBJ}/search", "search"),
        ("POST", rf"/crm/v3/objects/{_OBJ}/merge", "merge"),
        ("GET", rf"/crm/v3/objects/{_OBJ}/{_ID}", "read"),
        ("PATCH", rf"/crm/v3/objects/{_OBJ}/{_ID}", "update"),
        ("DELETE", rf"/crm/v3/objects/{_OBJ}/{_ID}", "archive"),
        ("GET", rf"/crm/v3/properties/{_OBJ}", "properties"),
        ("GET", rf"/crm/v3/properties/{_OBJ}/(?P<name>[^/]+)", "property"),
        ("GET", rf"/crm/v4/objects/{_OBJ}/{_ID}/associations/{_TO}", "assoc_list"),
        ("PUT", rf"/crm/v4/objects/{_OBJ}/{_ID}/associations/default/{_PAIR}", "assoc_default"),
        ("PUT", rf"/crm/v4/objects/{_OBJ}/{_ID}/associations/{_PAIR}", "assoc_put"),
        ("DELETE", rf"/crm/v4/objects/{_OBJ}/{_ID}/associations/{_PAIR}", "assoc_delete"),
        ("POST", rf"/crm/v4/associations/{_OBJ}/{_TO}/batch/read", "assoc_batch_read"),
        ("POST", rf"/crm/v4/associations/{_OBJ}/{_TO}/batch/create", "assoc_batch_create"),
        ("GET", rf"/crm/v4/associations/{_OBJ}/{_TO}/labels", "assoc_labels"),
        ("GET", rf"/crm/associations/v4/{_OBJ}/{_TO}/labels", "assoc_labels"),
        ("DELETE", r"/contacts/v1/secondary-email/(?P<vid>[^/]+)/email/(?P<email>[^/]+)",
         "secondary_email_delete"),
    ]  # fmt: skip
    return [_Route(m, re.compile(f"^{p}/?$"), n) for m, p, n in table]


_ROUTES = _routes()


def _object_type(name: str) -> str:
    resolved = TYPE_IDS.get(name, name)
    if resolved not in OBJECT_TYPES and resolved not in ENGAGEMENT_TYPES:
        raise FakeError(400, "VALIDATION_ERROR", f"Unable to infer object type from: {name}")
    return resolved


class FakeHubSpot:
    """A contract-faithful HubSpot portal in memory (crm-apis.md Part D).

    Args:
        tokens: Bearer tokens accepted (each one is an app with its own rolling window).
        limits: The limits to enforce.
        clock: Wall clock (seconds): record timestamps and rate-limit windows.
        sleep: Used by ``slow`` faults that hold a request before processing it.
        batch_update_missing: How a batch update answers unknown ids: 207 (partial) or 400 (whole batch);
            HubSpot's behaviour is unconfirmed (crm-apis.md A.5).
    """

    def __init__(
        self, *, tokens: tuple[str, ...] = (DEFAULT_TOKEN,), limits: FakeLimits | None = None,
        clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep,
        app_id: int = 1160452, portal_id: int = 62515, batch_update_missing: int = 207,
    ) -> None:  # fmt: skip
        self.tokens = set(tokens)
        self.crm = FakeCrm(clock=clock, app_id=app_id, portal_id=portal_id, on_event=self._on_event)
        self.limiter = RateLimiter(limits or FakeLimits(), clock)
        self.faults = FaultPlan()
        self.sleep = sleep
        self.batch_update_missing = batch_update_missing
        self.webhooks: WebhookEmitter | None = None
        self.requests: Counter[str] = Counter()
        self._handlers: dict[str, Handler] = {r.name: getattr(self, f"_do_{r.name}") for r in _ROUTES}

    # -- the one entry point ------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> FakeResponse:
        """Answers one HTTP request (``target`` is the path with its query string)."""
        parts = urlsplit(target)
        path = parts.path
        for pattern, replacement in _VERSIONED:
            path = pattern.sub(replacement, path)
        query = parse_qs(parts.query, keep_blank_values=True)
        if path.startswith("/_fake/"):
            return self._control(method.upper(), path, body)
        token = _bearer({k.lower(): v for k, v in headers.items()}.get("authorization", ""))
        if token not in self.tokens:
            return _error(FakeError(401, "INVALID_AUTHENTICATION", "Authentication credentials not found."))
        return self._api(method.upper(), path, query, body, token)

    def _api(
        self, method: str, path: str, query: dict[str, list[str]], body: bytes, token: str
    ) -> FakeResponse:
        route, params = _match(method, path)
        if route is None:
            return _error(FakeError(404, "OBJECT_NOT_FOUND", f"no route for {method} {path}"))
        self.requests[route.name] += 1
        decision = self.limiter.check(token, search=route.name == "search")
        if decision.policy is not None:
            return _rate_limited(decision.policy, decision.headers, None)
        early = self._fault(method, path, "before", decision.headers)
        if early is not None:
            return early
        response = self._dispatch(route, params, query, body)
        response.headers.update(decision.headers)
        late = self._fault(method, path, "after", decision.headers)
        if late is None:
            return response
        return late if late.status or late.drop else _delayed(response, late.delay)

    def _dispatch(
        self, route: _Route, params: dict[str, str], query: dict[str, list[str]], body: bytes
    ) -> FakeResponse:
        try:
            payload = json.loads(body) if body.strip() else {}
            if "type" in params:
                params["type"] = _object_type(params["type"])
            if "to" in params:
                params["to"] = _object_type(params["to"])
            return self._handlers[route.name](query=query, body=payload, **params)
        except FakeError as exc:
            return _error(exc)
        except ValueError:
            return _error(FakeError(400, "VALIDATION_ERROR", "Invalid input JSON or parameter"))

    def _fault(self, method: str, path: str, phase: str, headers: dict[str, str]) -> FakeResponse | None:
        fault = self.faults.take(method, path, phase)
        if fault is None:
            return None
        for edit in fault.edits:  # a person's edit between this attempt and the client's next step
            try:
                self.ui_update(edit.object_type, edit.id, edit.properties)
            except FakeError:
                self.faults.fired["edit:refused"] += 1  # HubSpot's UI would refuse it too
        if fault.kind == "edit":
            return None
        if fault.kind == "slow":
            if phase == "before":
                self.sleep(fault.delay)
                return None
            return FakeResponse(0, delay=fault.delay)
        if fault.kind == "drop":
            return FakeResponse(0, drop=True)
        if fault.kind == "rate_limit":
            exhausted = {**headers, "X-HubSpot-RateLimit-Remaining": "0"} if headers else {}
            return _rate_limited(fault.policy, exhausted, fault.retry_after)
        response = _error(FakeError(fault.status, "INTERNAL_ERROR", "injected fault"))
        if fault.retry_after is not None:
            response.headers["Retry-After"] = f"{fault.retry_after:g}"
        return response

    # -- object endpoints -----------------------------------------------------------------------------

    def _do_list(self, *, type: str, query: Json, body: Json) -> FakeResponse:
        return FakeResponse.of(200, objects.list_objects(self.crm, type, query))

    def _do_create(self, *, type: str, query: Json, body: Json) -> FakeResponse:
        return FakeResponse.of(201, objects.create_object(self.crm, type, body))

    def _do_read(self, *, type: str, id: str, query: Json, body: Json) -> FakeResponse:
        return FakeResponse.of(200, objects.get_object(self.crm, type, id, query))

    def _do_update(self, *, type: str, id: str, query: Json, body: Json) -> FakeResponse:
        return FakeResponse.of(200, objects.update_object(self.crm, type, id, query, body))

    def _do_archive(self, *, type: str, id: str, query: Json, body: Json) -> FakeResponse:
        objects.archive_object(self.crm, type, id)
        return FakeResponse(204)

    def _do_batch_read(self, *, type: str, query: Json, body: Json) -> FakeResponse:
        return FakeResponse.of(*objects.batch_read(self.crm, type, query, body))

    def _do_batch_update(self, *, type: str, query: Json, body: Json) -> FakeResponse:
        return FakeResponse.of(
            *objects.batch_update(self.crm, type, body, missing_status=self.batch_update_missing)
        )

    def _do_batch_create(self, *, type: str, query: Json, body: Json) -> FakeResponse:
        return FakeResponse.of(*objects.batch_create(self.crm, type, body))

    def _do_batch_archive(self, *, type: str, query: Json, body: Json) -> FakeResponse:
        objects.batch_archive(self.crm, type, body)
        return FakeResponse(204)

    def _do_search(self, *, type: str, query: Json, body: Json) -> FakeResponse:
        return FakeResponse.of(200, objects.search_objects(self.crm, type, body))

    def _do_merge(self, *, type: str, query: Json, body: Json) -> FakeResponse:
        return FakeResponse.of(200, objects.merge_objects(self.crm, type, body))

    def _do_properties(self, *, type: str, query: Json, body: Json) -> FakeResponse:
        with self.crm.lock:
            results = [p.to_json() for p in self.crm.properties[type].values()]
        return FakeResponse.of(200, {"results": results})

    def _do_property(self, *, type: str, name: str, query: Json, body: Json) -> FakeResponse:
        with self.crm.lock:
            definition = self.crm.properties[type].get(name)
            if definition is None:
                raise not_found("property", name)
            return FakeResponse.of(200, definition.to_json())

    # -- association endpoints ------------------------------------------------------------------------

    def _do_assoc_list(self, *, type: str, id: str, to: str, query: Json, body: Json) -> FakeResponse:
        return FakeResponse.of(200, assoc.list_associations(self.crm, type, id, to, query))

    def _do_assoc_default(
        self, *, type: str, id: str, to: str, to_id: str, query: Json, body: Json
    ) -> FakeResponse:
        return FakeResponse.of(200, assoc.associate_default(self.crm, type, id, to, to_id))

    def _do_assoc_put(
        self, *, type: str, id: str, to: str, to_id: str, query: Json, body: Json
    ) -> FakeResponse:
        return FakeResponse.of(201, assoc.associate_labelled(self.crm, type, id, to, to_id, body))

    def _do_assoc_delete(
        self, *, type: str, id: str, to: str, to_id: str, query: Json, body: Json
    ) -> FakeResponse:
        assoc.dissociate(self.crm, type, id, to, to_id)
        return FakeResponse(204)

    def _do_assoc_batch_read(self, *, type: str, to: str, query: Json, body: Json) -> FakeResponse:
        return FakeResponse.of(*assoc.batch_read(self.crm, type, to, body))

    def _do_assoc_batch_create(self, *, type: str, to: str, query: Json, body: Json) -> FakeResponse:
        return FakeResponse.of(*assoc.batch_create(self.crm, type, to, body))

    def _do_assoc_labels(self, *, type: str, to: str, query: Json, body: Json) -> FakeResponse:
        return FakeResponse.of(200, assoc.labels(self.crm, type, to))

    def _do_secondary_email_delete(self, *, vid: str, email: str, query: Json, body: Json) -> FakeResponse:
        """The legacy contacts API's "delete a secondary email address" (developer preview)."""
        obj = self.crm.remove_additional_email(vid, email)
        extra = [e for e in obj.props.get("hs_additional_emails", "").split(";") if e]
        return FakeResponse.of(200, {"portalId": self.crm.portal_id, "vid": obj.id, "secondaryEmails": extra})

    # -- webhooks, control, counters ------------------------------------------------------------------

    def subscribe(self, target_url: str, client_secret: str, **options: Any) -> WebhookEmitter:
        """Sends the portal's events to ``target_url`` from now on (``WebhookEmitter`` options)."""
        self.webhooks = WebhookEmitter(
            target_url, client_secret, app_id=self.crm.app_id, portal_id=self.crm.portal_id, **options
        )
        return self.webhooks

    def _on_event(self, event: dict[str, Any]) -> None:
        if self.webhooks is not None:
            self.webhooks.publish(event)

    def stats(self) -> dict[str, Any]:
        """Counters for tests and the benchmark."""
        with self.crm.lock:
            writes = self.crm.writes
            live = {t: sum(1 for _ in self.crm.table(t).live()) for t in OBJECT_TYPES}
            return {
                "requests": dict(self.requests),
                "over_limit": dict(self.limiter.over_limit),
                "peak_in_window": self.limiter.peaks(),
                "daily_used": self.limiter.daily_used,
                "faults_fired": dict(self.faults.fired),
                "writes": {
                    "total": sum(writes.values()),
                    "repeated": sum(1 for n in writes.values() if n > 1),
                },
                "records": live,
                "webhooks_pending": self.webhooks.pending if self.webhooks is not None else 0,
            }

    def _control(self, method: str, path: str, body: bytes) -> FakeResponse:
        try:
            return control(self, method, path, json.loads(body) if body.strip() else {})
        except FakeError as exc:
            return _error(exc)
        except (ValueError, KeyError, TypeError) as exc:
            return _error(FakeError(400, "VALIDATION_ERROR", f"bad control request: {exc}"))

    def ui_update(self, object_type: str, object_id: int | str, properties: Mapping[str, Any]) -> None:
        """A person edits a record in HubSpot (history and webhooks say CRM_UI)."""
        self.crm.update(
            _object_type(object_type), object_id, properties, source=Source("CRM_UI", "userId:882761034")
        )

    def add_faults(self, *faults: Fault) -> None:
        self.faults.add(*faults)


def _match(method: str, path: str) -> tuple[_Route | None, dict[str, str]]:
    for route in _ROUTES:
        if route.method == method:
            found = route.pattern.match(path)
            if found is not None:
                # path parameters arrive percent-encoded (an email as an idProperty value: %40)
                return route, {k: unquote(v) for k, v in found.groupdict().items() if v is not None}
    return None, {}


def _bearer(value: str) -> str:
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _error(exc: FakeError) -> FakeResponse:
    return FakeResponse.of(exc.status, exc.body())


def _delayed(response: FakeResponse, delay: float) -> FakeResponse:
    response.delay = delay
    return response


def _rate_limited(policy: str, headers: dict[str, str], retry_after: float | None) -> FakeResponse:
    body = {
        "status": "error",
        "message": f"You have reached your {policy.lower()} limit.",
        "errorType": "RATE_LIMIT",
        "correlationId": str(uuid.uuid4()),
        "policyName": policy,
        "groupName": "api-calls-burst" if policy != "DAILY" else "api-calls-daily",
        "requestId": str(uuid.uuid4()),
    }
    response = FakeResponse.of(429, body)
    response.headers.update(headers)
    if retry_after is not None:
        response.headers["Retry-After"] = f"{retry_after:g}"
    return response
