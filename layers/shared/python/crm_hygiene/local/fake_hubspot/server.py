"""The fake on a real socket: ``http.server.ThreadingHTTPServer``, HTTP/1.1 keep-alive, one thread
per connection. Slow answers sleep in the connection's thread; dropped connections are shut down
without an answer."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from crm_hygiene.local.fake_hubspot.app import FakeHubSpot


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # idle keep-alive connections must not hold up shutdown
    fake: FakeHubSpot

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up (timeout, reset) is part of the game


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60
    server: _Server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        response = self.server.fake.handle(self.command, self.path, dict(self.headers.items()), body)
        if response.delay:
            time.sleep(response.delay)
        if response.drop:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if response.body:
            self.wfile.write(response.body)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass  # requests carry tokens and record data: never log them


class FakeHubSpotServer:
    """Serves a ``FakeHubSpot`` on ``host:port`` (port 0: a free one) from a background thread."""

    def __init__(self, fake: FakeHubSpot | None = None, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.fake = fake or FakeHubSpot()
        self._httpd = _Server((host, port), _Handler)
        self._httpd.fake = self.fake
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        host = self._httpd.server_address[0]
        return f"http://{host if isinstance(host, str) else host.decode()}:{self.port}"

    def start(self) -> FakeHubSpotServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        if self.fake.webhooks is not None:
            self.fake.webhooks.stop()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> FakeHubSpotServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
