"""The webhook receiver fed by the fake's emitter: signed batches become scan requests, once each."""

from __future__ import annotations

import json

import pytest

from crm_hygiene.local.fake_hubspot import FakeHubSpot, WebhookEmitter
from crm_hygiene.local.fake_hubspot.crm import Source
from crm_hygiene.webhooks import HubSpotWebhookReceiver, InMemoryIdempotencyStore, WebhookResult, sign_v3
from tests.fakes.hubspot import VirtualClock

SECRET = "client-secret-for-tests"
URL = "https://hooks.example.com/webhooks/hubspot"


class Endpoint:
    """What the webhook Lambda does: hand the request to the receiver, answer its status."""

    def __init__(self, receiver: HubSpotWebhookReceiver, *, fail_handover: int = 0) -> None:
        self.receiver = receiver
        self.results: list[WebhookResult] = []
        self.fail_handover = fail_handover

    def __call__(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
        result = self.receiver.receive(method="POST", uri=url, headers=headers, body=body)
        if result.status_code == 200 and self.fail_handover > 0:
            self.fail_handover -= 1
            self.receiver.release(result)  # the queue is down: let HubSpot's retry through
            return 503
        self.results.append(result)
        return result.status_code

    def scanned(self) -> list[tuple[str, str, str]]:
        return [(r.object_type, r.record_id, r.reason) for res in self.results for r in res.accepted]


def wire(
    fake: FakeHubSpot, clock: VirtualClock, secret: str = SECRET, **options: object
) -> tuple[WebhookEmitter, Endpoint]:
    receiver = HubSpotWebhookReceiver(
        SECRET, InMemoryIdempotencyStore(clock), clock=clock, ignore_sources={"999"}
    )
    endpoint = Endpoint(receiver)
    emitter = fake.subscribe(URL, secret, send=endpoint, clock=clock, **options)
    return emitter, endpoint


def test_a_persons_edit_reaches_a_scan_request(fake: FakeHubSpot, clock: VirtualClock) -> None:
    # Given a subscription, When someone edits a contact in HubSpot
    emitter, endpoint = wire(fake, clock)
    fake.ui_update("contacts", "100001", {"jobtitle": "VP Sales", "city": "Boston"})
    report = emitter.flush()
    # Then one signed delivery carries both changes and they fold into one request for the contact
    assert report.statuses == [200]
    (result,) = endpoint.results
    assert result.events == 2 and len(result.accepted) == 1
    request = result.accepted[0]
    assert (request.object_type, request.record_id, request.reason) == ("contact", "100001", "changed")
    assert request.properties == ["city", "jobtitle"]


def test_a_forged_delivery_gets_401_and_hubspot_retries(fake: FakeHubSpot, clock: VirtualClock) -> None:
    emitter, endpoint = wire(fake, clock, secret="not-the-app-secret", max_attempts=3)
    fake.ui_update("contacts", "100002", {"jobtitle": "CFO"})
    report = emitter.flush()
    assert report.statuses == [401, 401, 401] and report.given_up_events == 1
    assert [r.status_code for r in endpoint.results] == [401, 401, 401]
    assert endpoint.results[0].body() == {"message": "invalid signature"}
    assert endpoint.scanned() == []


def test_duplicates_and_reordering_scan_each_record_once(fake: FakeHubSpot, clock: VirtualClock) -> None:
    emitter, endpoint = wire(fake, clock, duplicate_every=2, reorder=True, max_batch=3)
    for record_id in ("100001", "100002", "100003", "100004"):
        fake.ui_update("contacts", record_id, {"jobtitle": f"Title {record_id}"})
    report = emitter.flush()
    assert report.requests == 2  # 4 events + 2 repeats, 3 per request
    assert sorted(endpoint.scanned()) == [
        ("contact", i, "changed") for i in ("100001", "100002", "100003", "100004")
    ]
    assert sum(r.duplicates for r in endpoint.results) == 2


def test_a_failed_handover_is_released_so_the_retry_is_processed(
    fake: FakeHubSpot, clock: VirtualClock
) -> None:
    emitter, endpoint = wire(fake, clock)
    endpoint.fail_handover = 1
    fake.ui_update("contacts", "100005", {"jobtitle": "COO"})
    report = emitter.flush()
    assert report.statuses == [503, 200]
    assert endpoint.scanned() == [("contact", "100005", "changed")]
    assert endpoint.results[0].accepted[0].event_ids  # the retry (attemptNumber 1) was not a "duplicate"


def test_merges_scan_the_new_id_and_name_the_old_ones(fake: FakeHubSpot, clock: VirtualClock) -> None:
    emitter, endpoint = wire(fake, clock)
    survivor = fake.crm.merge("contacts", "100001", "100002")
    emitter.flush()
    (request,) = [r for res in endpoint.results for r in res.accepted]
    assert request.reason == "merged" and request.record_id == str(survivor.id)
    assert request.merged_ids == ["100001", "100002"]


def test_what_needs_no_scan_is_answered_200_and_ignored(fake: FakeHubSpot, clock: VirtualClock) -> None:
    emitter, endpoint = wire(fake, clock)
    fake.crm.update(
        "contacts", "100003", {"jobtitle": "Echo"}, source=_own_app()
    )  # our own write echoing back
    fake.crm.archive("contacts", "100004")  # a deletion: nothing to scan
    emitter.flush()
    assert endpoint.scanned() == []
    assert [r.status_code for r in endpoint.results] == [200]
    assert endpoint.results[0].ignored == 2


def _own_app() -> Source:
    return Source("INTEGRATION", "999")


def deliver(receiver: HubSpotWebhookReceiver, events: object, clock: VirtualClock) -> WebhookResult:
    emitter = WebhookEmitter(URL, SECRET, clock=clock)
    body = json.dumps(events).encode()
    _, headers = emitter.signed_request([])
    headers["X-HubSpot-Signature-v3"] = sign_v3(
        SECRET, "POST", URL, body, headers["X-HubSpot-Request-Timestamp"]
    )
    return receiver.receive(method="POST", uri=URL, headers=headers, body=body)


@pytest.mark.parametrize(
    ("description", "events", "expected"),
    [
        ("creation", [{"eventId": 1, "subscriptionType": "company.creation", "objectId": 7, "occurredAt": 5}],
         [("company", "7", "created")]),
        ("generic object.* subscription", [{"eventId": 2, "subscriptionType": "object.propertyChange", "objectTypeId": "0-3",
                                            "objectId": 8, "propertyName": "amount", "occurredAt": 5}], [("deal", "8", "changed")]),
        ("old payloads said eventType", [{"eventId": 3, "eventType": "contact.restore", "objectId": 9}], [("contact", "9", "restored")]),
        ("timestamp-only changes are not worth a scan", [{"eventId": 4, "subscriptionType": "contact.propertyChange",
                                                          "objectId": 9, "propertyName": "lastmodifieddate"}], []),
        ("association changes and unknown objects are ignored", [
            {"eventId": 5, "subscriptionType": "contact.associationChange", "objectId": 9},
            {"eventId": 6, "subscriptionType": "ticket.creation", "objectId": 9}], []),
        ("an unreadable event does not spoil the others", [{"subscriptionType": "contact.creation"},
            {"eventId": 7, "subscriptionType": "contact.creation", "objectId": 10}], [("contact", "10", "created")]),
        ("creation and change of one record fold into one request", [
            {"eventId": 8, "subscriptionType": "contact.propertyChange", "objectId": 11, "propertyName": "email", "occurredAt": 9},
            {"eventId": 9, "subscriptionType": "contact.creation", "objectId": 11, "occurredAt": 8}], [("contact", "11", "created")]),
    ],
)  # fmt: skip
def test_event_mapping(
    description: str, events: object, expected: list[tuple[str, str, str]], clock: VirtualClock
) -> None:
    receiver = HubSpotWebhookReceiver(SECRET, InMemoryIdempotencyStore(clock), clock=clock)
    result = deliver(receiver, events, clock)
    assert result.status_code == 200, description
    assert [(r.object_type, r.record_id, r.reason) for r in result.accepted] == expected, description


def _signed(body: bytes, clock: VirtualClock, uri: str = URL) -> dict[str, str]:
    _, headers = WebhookEmitter(uri, SECRET, clock=clock).signed_request([])
    headers["X-HubSpot-Signature-v3"] = sign_v3(
        SECRET, "POST", uri, body, headers["X-HubSpot-Request-Timestamp"]
    )
    return headers


def _nested(depth: int) -> bytes:
    return (
        b'[{"eventId": 1, "subscriptionType": "contact.creation", "objectId": 5, "x": '
        + b"[" * depth
        + b"]" * depth
        + b"}]"
    )


@pytest.mark.parametrize(
    ("description", "body", "reason"),
    [
        ("not JSON", b"not json", "not JSON"),
        ("empty", b"", "not JSON"),
        ("not UTF-8", b"[{\"eventId\": 1, \"x\": \"" + bytes([0xFF]) + b"\"}]", "not JSON"),
        ("a number", b"42", "not an array of event objects"),
        ("an array of numbers", b"[1, 2]", "not an array of event objects"),
        ("a string", b'"contact.creation"', "not an array of event objects"),
        ("deeply nested arrays", b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        ("deeply nested inside an event", _nested(100_000), "nested too deeply"),
        ("an event with a name longer than any of HubSpot's",
         json.dumps([{"eventId": 1, "subscriptionType": "contact.propertyChange", "objectId": 5,
                      "propertyName": "p" * 5_000}]).encode(), "no readable event"),
        ("an id larger than 64 bits", b'[{"eventId": 1' + b"0" * 4_000 + b', "subscriptionType": "contact.creation"}]',
         "no readable event"),
        ("objects that are no event", b'[{"hello": "world"}, {"eventId": "x"}]', "no readable event"),
        ("larger than a delivery can be", b"[" + b'{"eventId": 1},' * 200_000 + b"{}]", "larger than"),
        ("more events than HubSpot sends", json.dumps([{"eventId": i} for i in range(1_001)]).encode(), "more than"),
    ],
)  # fmt: skip
def test_an_unreadable_signed_body_is_a_400_never_a_crash(
    description: str, body: bytes, reason: str, clock: VirtualClock
) -> None:
    # Given a correctly signed delivery whose body cannot be read
    receiver = HubSpotWebhookReceiver(SECRET, InMemoryIdempotencyStore(clock), clock=clock)
    # When it arrives, Then it is refused with 400 and says why, nothing accepted (no exception, no 5xx)
    result = receiver.receive(method="POST", uri=URL, headers=_signed(body, clock), body=body)
    assert result.status_code == 400 and reason in result.reason, description
    assert not result.accepted and result.body() == {"message": result.reason}


def test_a_nested_but_reasonable_event_is_still_read(clock: VirtualClock) -> None:
    receiver = HubSpotWebhookReceiver(SECRET, InMemoryIdempotencyStore(clock), clock=clock)
    body = _nested(50)
    result = receiver.receive(method="POST", uri=URL, headers=_signed(body, clock), body=body)
    assert result.status_code == 200 and [r.record_id for r in result.accepted] == ["5"]


def test_an_unsigned_unreadable_body_is_still_a_401(clock: VirtualClock) -> None:
    receiver = HubSpotWebhookReceiver(SECRET, InMemoryIdempotencyStore(clock), clock=clock)
    body = b"[" * 100_000
    headers = _signed(b"something else", clock)
    assert receiver.receive(method="POST", uri=URL, headers=headers, body=body).status_code == 401


def test_a_receiver_needs_a_secret() -> None:
    with pytest.raises(ValueError):
        HubSpotWebhookReceiver("", InMemoryIdempotencyStore())


def test_idempotency_claims_expire(clock: VirtualClock) -> None:
    store = InMemoryIdempotencyStore(clock)
    assert store.claim("k", ttl_seconds=10) and not store.claim("k", ttl_seconds=10)
    clock.sleep(11)
    assert store.claim("k", ttl_seconds=10)
    store.release("k")
    assert store.claim("k")
