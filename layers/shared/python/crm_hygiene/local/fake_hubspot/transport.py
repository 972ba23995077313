"""The fake as an httpx transport: no socket, so unit tests (sockets disabled) talk to the same fake.

A dropped connection raises ``RemoteProtocolError`` and an answer slower than ``timeout`` raises
``ReadTimeout`` (the request was processed: what a client sees when HubSpot is slow after writing).
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from crm_hygiene.local.fake_hubspot.app import FakeHubSpot


class FakeTransport(httpx.BaseTransport):
    """Calls a ``FakeHubSpot`` in-process.

    Args:
        after: Called with each request's method and path once the fake answered it (tests use it
            to play a person editing a record between the connector's read and its write).
    """

    def __init__(
        self, fake: FakeHubSpot, *, timeout: float = 30.0, after: Callable[[str, str], None] | None = None
    ) -> None:
        self.fake = fake
        self.timeout = timeout
        self.after = after

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        target = request.url.raw_path.decode("ascii")
        answer = self.fake.handle(request.method, target, dict(request.headers), body)
        if self.after is not None:
            self.after(request.method, request.url.path)
        if answer.drop:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        if answer.delay >= self.timeout:
            raise httpx.ReadTimeout("The read operation timed out", request=request)
        return httpx.Response(answer.status, headers=answer.headers, content=answer.body, request=request)
