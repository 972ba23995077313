"""HubSpot webhooks → "scan this record" requests.

``HubSpotWebhookReceiver.receive`` verifies the signature (401 when it fails), parses the array of
events, drops repeats (HubSpot retries and may send an event twice) by claiming a key per event in an
``IdempotencyStore``, ignores what needs no scan (deletions, association changes, our own writes
echoing back, timestamp-only changes) and folds the rest into one ``ScanRequest`` per record.

A verified delivery whose body cannot be read (not UTF-8 JSON, nested deeper than Python's parser
goes, larger than ``max_body_bytes``, not an array of event objects, more than ``max_events``
events, or no readable event at all) is answered 400 with the reason, never an exception: a crash
is a 5xx, which HubSpot retries for a day and API Gateway logs as the function's fault. A delivery
with some readable events is answered 200 and counts the others as ignored.

Our own writes: HubSpot marks a change made through an app with ``changeSource`` INTEGRATION (or
API) and puts the writing app's id in ``sourceId``; ``appId`` is the app the subscription belongs
to (always ours), so it cannot tell our writes apart. ``ignore_sources`` holds our app id
(``HUBSPOT_APP_ID``).

If the caller cannot hand the requests on (a queue is down), it answers 5xx and calls ``release`` so
HubSpot's retry is processed instead of being dropped as a duplicate.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Annotated, Final

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError

from crm_hygiene.models.messages import ScanReason, ScanRequest
from crm_hygiene.ports import IdempotencyStore
from crm_hygiene.types import ObjectType
from crm_hygiene.webhooks.receiver import WebhookResult
from crm_hygiene.webhooks.signature import V3_ONLY, SignatureVersion, verify_signature

_REASONS: Final[dict[str, ScanReason]] = {
    "creation": "created",
    "propertyChange": "changed",
    "merge": "merged",
    "restore": "restored",
}
_PRIORITY: Final[dict[ScanReason, int]] = {"merged": 3, "created": 2, "restored": 1, "changed": 0}
_OBJECTS: Final[dict[str, ObjectType]] = {
    "contact": "contact", "company": "company", "deal": "deal",
    "0-1": "contact", "0-2": "company", "0-3": "deal",
}  # fmt: skip
_NOT_WORTH_A_SCAN: Final = frozenset({"lastmodifieddate", "hs_lastmodifieddate", "notes_last_updated"})
_OWN_SOURCES: Final = frozenset({"INTEGRATION", "API"})
MAX_BODY_BYTES: Final = 2_000_000  # 100 events (HubSpot's most) of a few hundred bytes each, and room
MAX_EVENTS: Final = 1_000  # HubSpot sends at most 100 per request
_NAME = 256
_Id = Annotated[int, Field(ge=0, lt=2**63)]


class HubSpotEvent(BaseModel):
    """One event of a delivery (legacy ``contact.*`` and generic ``object.*`` subscriptions)."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    # Bounded: the fields make the idempotency key (a DynamoDB key holds at most 2 KB) and the scan
    # request; HubSpot's ids are 64-bit and its names short, so anything longer is not HubSpot's.
    event_id: _Id = Field(alias="eventId")
    subscription_type: str = Field(
        validation_alias=AliasChoices("subscriptionType", "eventType"), max_length=_NAME
    )
    object_id: _Id | None = Field(default=None, alias="objectId")
    object_type_id: str | None = Field(default=None, alias="objectTypeId", max_length=_NAME)
    occurred_at: _Id = Field(default=0, alias="occurredAt")
    attempt_number: _Id = Field(default=0, alias="attemptNumber")
    portal_id: _Id | None = Field(default=None, alias="portalId")
    app_id: _Id | None = Field(default=None, alias="appId")
    property_name: str | None = Field(default=None, alias="propertyName", max_length=_NAME)
    change_source: str | None = Field(default=None, alias="changeSource", max_length=_NAME)
    source_id: str | None = Field(default=None, alias="sourceId", max_length=_NAME)
    primary_object_id: _Id | None = Field(default=None, alias="primaryObjectId")
    merged_object_ids: list[_Id] = Field(default_factory=list, alias="mergedObjectIds", max_length=1_000)
    new_object_id: _Id | None = Field(default=None, alias="newObjectId")

    def key(self) -> str:
        """The de-duplication key: ``eventId`` is not guaranteed unique, so it is not used alone."""
        return ":".join(
            str(part)
            for part in ("hubspot", self.portal_id, self.app_id, self.subscription_type, self.object_id,
                         self.event_id, self.occurred_at, self.property_name or "")
        )  # fmt: skip


class HubSpotWebhookReceiver:
    """Verifies and translates HubSpot webhook deliveries.

    Args:
        client_secrets: The app's client secret (several while rotating one).
        idempotency: Where delivered events are remembered (DynamoDB in AWS).
        versions: Signature versions accepted; v1/v2 only for apps that cannot send v3.
        ignore_sources: ``sourceId`` values of changes to ignore when their ``changeSource`` is
            INTEGRATION/API: this app's own writes, which must not trigger another scan.
        clock: Seconds since the epoch (for the timestamp window).
    """

    def __init__(
        self, client_secrets: str | Sequence[str], idempotency: IdempotencyStore, *,
        versions: Collection[SignatureVersion] = V3_ONLY, ignore_sources: Collection[str] = (),
        max_age_seconds: int = 300, ttl_seconds: int = 172_800, clock: Callable[[], float] = time.time,
        max_body_bytes: int = MAX_BODY_BYTES, max_events: int = MAX_EVENTS,
    ) -> None:  # fmt: skip
        self._secrets = [client_secrets] if isinstance(client_secrets, str) else list(client_secrets)
        if not self._secrets or not all(self._secrets):
            raise ValueError("a webhook receiver needs the app's client secret")
        self._store = idempotency
        self._versions = tuple(versions)
        self._ignore = frozenset(ignore_sources)
        self._max_age_ms = max_age_seconds * 1000
        self._ttl = ttl_seconds
        self._clock = clock
        self._max_body = max_body_bytes
        self._max_events = max_events

    def receive(
        self, *, method: str, uri: str | Sequence[str], headers: Mapping[str, str], body: bytes
    ) -> WebhookResult:
        """One delivery. ``uri`` is the full URL as HubSpot called it (scheme, host, path, query), or
        its possible forms when the caller cannot know it exactly (``webhooks/request.py``)."""
        check = verify_signature(
            secrets=self._secrets, method=method, uri=uri, body=body, headers=headers,
            now_ms=int(self._clock() * 1000), versions=self._versions, max_age_ms=self._max_age_ms,
        )  # fmt: skip
        if not check.ok:
            return WebhookResult(status_code=401, reason=check.reason)
        events, problem = self._parse(body)
        if problem:
            return WebhookResult(status_code=400, reason=problem)
        requests: list[ScanRequest] = []
        ignored = duplicates = 0
        claimed: list[str] = []
        for event in events:
            request = self._scan_request(event) if event is not None else None
            if event is None or request is None:
                ignored += 1
            elif not self._store.claim(event.key(), ttl_seconds=self._ttl):
                duplicates += 1
            else:
                claimed.append(event.key())
                requests.append(request)
        return WebhookResult(
            status_code=200, accepted=_coalesce(requests), events=len(events), ignored=ignored,
            duplicates=duplicates, claimed=claimed,
        )  # fmt: skip

    def _parse(self, body: bytes) -> tuple[list[HubSpotEvent | None], str]:
        """(the events, None for one that cannot be read; "") or ([], why the body is unreadable)."""
        if len(body) > self._max_body:
            return [], f"body larger than {self._max_body} bytes"
        try:
            data = json.loads(body)
        except RecursionError:
            return [], "body nested too deeply"
        except ValueError:  # not UTF-8, not JSON
            return [], "body is not JSON"
        if isinstance(data, dict):
            data = [data]
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            return [], "body is not an array of event objects"
        if len(data) > self._max_events:
            return [], f"more than {self._max_events} events"
        events = [_event(item) for item in data]
        if events and all(e is None for e in events):
            return [], "no readable event"
        return events, ""

    def release(self, result: WebhookResult) -> None:
        """Forgets a delivery's claims (its requests could not be handed on; HubSpot will retry)."""
        for key in result.claimed:
            self._store.release(key)

    def _scan_request(self, event: HubSpotEvent) -> ScanRequest | None:
        kind, _, action = event.subscription_type.partition(".")
        object_type = _OBJECTS.get(event.object_type_id or "" if kind == "object" else kind)
        reason = _REASONS.get(action)
        if object_type is None or reason is None or event.object_id is None:
            return None
        if reason == "changed" and (event.property_name or "") in _NOT_WORTH_A_SCAN:
            return None
        if event.change_source in _OWN_SOURCES and (event.source_id or "") in self._ignore:
            return None  # our own write echoing back
        record_id = event.new_object_id if reason == "merged" and event.new_object_id else event.object_id
        merged = {event.primary_object_id, *event.merged_object_ids} - {record_id, None}
        return ScanRequest(
            object_type=object_type, record_id=str(record_id), reason=reason,
            properties=[event.property_name] if reason == "changed" and event.property_name else [],
            merged_ids=sorted(str(i) for i in merged), occurred_at=event.occurred_at,
            event_ids=[event.event_id],
        )  # fmt: skip


def _event(item: dict[str, object]) -> HubSpotEvent | None:
    try:
        return HubSpotEvent.model_validate(item)
    except (ValidationError, RecursionError):
        return None


def _coalesce(requests: Sequence[ScanRequest]) -> list[ScanRequest]:
    """One request per record: the strongest reason, every property, every merged id, the latest time."""
    by_record: dict[tuple[str, str], ScanRequest] = {}
    for request in requests:
        key = (request.object_type, request.record_id)
        seen = by_record.get(key)
        if seen is None:
            by_record[key] = request
            continue
        reason = max(seen.reason, request.reason, key=lambda r: _PRIORITY[r])
        by_record[key] = seen.model_copy(
            update={
                "reason": reason,
                "properties": sorted({*seen.properties, *request.properties}),
                "merged_ids": sorted({*seen.merged_ids, *request.merged_ids}),
                "occurred_at": max(seen.occurred_at, request.occurred_at),
                "event_ids": [*seen.event_ids, *request.event_ids],
            }
        )
    return list(by_record.values())
