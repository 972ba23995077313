"""The fake's webhook emitter (crm-apis.md A.14): JSON arrays of at most 100 events, signed with
signature v3 (and v1 for back-compat), retried on any non-2xx answer, timeout or connection failure
with ``attemptNumber`` counting up; duplicates and reordering on demand.

The signer is written here again, apart from ``crm_hygiene.webhooks``, so that the receiver is checked
against an independent implementation (both are checked against the documented test vectors).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import random
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Event = dict[str, Any]
Sender = Callable[[str, bytes, dict[str, str], float], int]
SUBSCRIPTION_IDS = {
    "creation": 101,
    "propertyChange": 102,
    "merge": 103,
    "deletion": 104,
    "associationChange": 105,
}


def sign_v3(secret: str, method: str, url: str, body: bytes, timestamp: str) -> str:
    """base64(HMAC-SHA256(secret, method + url + body + timestamp))."""
    source = method.encode() + url.encode() + body + timestamp.encode()
    return base64.b64encode(hmac.new(secret.encode(), source, hashlib.sha256).digest()).decode()


def sign_v1(secret: str, body: bytes) -> str:
    """hex(SHA-256(secret + body)), the legacy CRM-webhook signature."""
    return hashlib.sha256(secret.encode() + body).hexdigest()


def urllib_send(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POSTs with the standard library; 0 when no answer came (refused, reset, timed out)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, OSError):
        return 0


@dataclass
class DeliveryReport:
    """What one ``flush`` did."""

    requests: int = 0
    delivered_events: int = 0
    failed_requests: int = 0
    given_up_events: int = 0
    statuses: list[int] = field(default_factory=list)


class WebhookEmitter:
    """Queues the portal's events and delivers them to one target URL.

    Args:
        target_url: The app's webhook URL, exactly as it is signed.
        client_secret: The app's client secret (the HMAC key).
        max_batch: Events per request (HubSpot: up to 100).
        max_attempts: Deliveries of one event before it is given up (HubSpot: 1 + 10 retries).
        duplicate_every: Every n-th event is also sent again later, same ``eventId`` (0: never).
        reorder: Shuffle the events of each request.
        send: How to POST (tests pass a function that calls a receiver in-process).
    """

    def __init__(
        self, target_url: str, client_secret: str, *, app_id: int = 1160452, portal_id: int = 62515,
        max_batch: int = 100, max_attempts: int = 11, duplicate_every: int = 0, reorder: bool = False,
        timeout: float = 5.0, seed: int = 0, send: Sender | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:  # fmt: skip
        self.target_url = target_url
        self.client_secret = client_secret
        self.app_id, self.portal_id = app_id, portal_id
        self.max_batch = max(1, min(max_batch, 100))
        self.max_attempts = max_attempts
        self.duplicate_every = duplicate_every
        self.reorder = reorder
        self.timeout = timeout
        self._send = send or urllib_send
        self._clock = clock
        self._rng = random.Random(seed)
        self._ids = itertools.count(3_816_279_340)
        self._pending: deque[Event] = deque()
        self._lock = threading.Lock()
        self._published = 0
        self.delivered: list[Event] = []
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def publish(self, event: Event) -> None:
        """Queues one portal event (called by the fake CRM on every change)."""
        action = str(event["subscriptionType"]).split(".", 1)[1]
        full = {
            "eventId": next(self._ids), "subscriptionId": SUBSCRIPTION_IDS.get(action, 100),
            "portalId": self.portal_id, "appId": self.app_id, "attemptNumber": 0, **event,
        }  # fmt: skip
        with self._lock:
            self._pending.append(full)
            self._published += 1
            if self.duplicate_every and self._published % self.duplicate_every == 0:
                self._pending.append(dict(full))

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def signed_request(
        self, events: list[Event], *, timestamp_ms: int | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """The body and headers HubSpot would send for ``events``."""
        body = json.dumps(events, separators=(",", ":")).encode()
        stamp = str(timestamp_ms if timestamp_ms is not None else int(self._clock() * 1000))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "HubSpot Connect 2.0 (fake)",
            "X-HubSpot-Request-Timestamp": stamp,
            "X-HubSpot-Signature-v3": sign_v3(self.client_secret, "POST", self.target_url, body, stamp),
            "X-HubSpot-Signature": sign_v1(self.client_secret, body),
            "X-HubSpot-Signature-Version": "v1",
            "X-HubSpot-Timeout-Millis": str(int(self.timeout * 1000)),
        }
        return body, headers

    def flush(self, *, rounds: int | None = None) -> DeliveryReport:
        """Delivers everything pending; failed requests go back for the next round (up to
        ``max_attempts`` deliveries per event). Rounds follow each other without waiting."""
        report = DeliveryReport()
        for _ in range(rounds or self.max_attempts):
            with self._lock:
                events = list(self._pending)
                self._pending.clear()
            if not events:
                break
            if self.reorder:
                self._rng.shuffle(events)
            for start in range(0, len(events), self.max_batch):
                self._deliver(events[start : start + self.max_batch], report)
        return report

    def _deliver(self, batch: list[Event], report: DeliveryReport) -> None:
        body, headers = self.signed_request(batch)
        status = self._send(self.target_url, body, headers, self.timeout)
        report.requests += 1
        report.statuses.append(status)
        if 200 <= status < 300:
            report.delivered_events += len(batch)
            self.delivered.extend(batch)
            return
        report.failed_requests += 1
        retry = [
            {**e, "attemptNumber": e["attemptNumber"] + 1}
            for e in batch
            if e["attemptNumber"] + 1 < self.max_attempts
        ]
        report.given_up_events += len(batch) - len(retry)
        with self._lock:
            self._pending.extend(retry)

    def start(self, interval: float = 1.0) -> None:
        """Delivers in the background every ``interval`` seconds (the CLI fake)."""
        if self._thread is not None:
            return
        self._stop.clear()

        def loop() -> None:
            while not self._stop.wait(interval):
                self.flush(rounds=1)

        self._thread = threading.Thread(target=loop, name="fake-hubspot-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
