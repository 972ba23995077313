"""A signed webhook from the fake reaches a scan request over HTTP; a forged one gets 401."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from crm_hygiene.local.fake_hubspot import FakeHubSpotServer
from crm_hygiene.models.messages import ScanRequest
from crm_hygiene.webhooks import HubSpotWebhookReceiver, InMemoryIdempotencyStore

SECRET = "integration-secret"


class Receiver:
    """A minimal HTTP endpoint around the receiver, as ``crm-hygiene serve`` or the Lambda would be."""

    def __init__(self) -> None:
        self.receiver = HubSpotWebhookReceiver(SECRET, InMemoryIdempotencyStore())
        self.scans: list[ScanRequest] = []
        self.statuses: list[int] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                uri = f"http://{self.headers['Host']}{self.path}"
                result = owner.receiver.receive(
                    method="POST", uri=uri, headers=dict(self.headers.items()), body=body
                )
                owner.scans += result.accepted
                owner.statuses.append(result.status_code)
                self.send_response(result.status_code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/webhooks/hubspot?app=crm-hygiene"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    endpoint = Receiver()
    endpoint.thread.start()
    yield endpoint
    endpoint.httpd.shutdown()
    endpoint.httpd.server_close()


def test_signed_deliveries_reach_a_scan_and_forged_ones_get_401(
    fake_hubspot: FakeHubSpotServer, receiver: Receiver
) -> None:
    fake = fake_hubspot.fake
    emitter = fake.subscribe(receiver.url, SECRET, duplicate_every=2)
    fake.ui_update("contacts", "100020", {"jobtitle": "Chief of Staff"})
    fake.ui_update("companies", "500003", {"city": "Denver"})
    report = emitter.flush()
    assert report.statuses == [200]
    assert sorted((s.object_type, s.record_id) for s in receiver.scans) == [
        ("company", "500003"),
        ("contact", "100020"),
    ]

    forged = fake.subscribe(receiver.url, "a-guess", max_attempts=2)
    fake.ui_update("contacts", "100021", {"jobtitle": "Intern"})
    assert forged.flush().statuses == [401, 401]
    assert ("contact", "100021") not in {(s.object_type, s.record_id) for s in receiver.scans}
