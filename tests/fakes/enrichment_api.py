"""A local fake enrichment API on 127.0.0.1, with fault injection and its own enforced rate limit.

Endpoints (the shapes of the HTTP provider's presets):

* ``GET /v1/person?email=...``  -> ``{"person": {"email", "first_name", "last_name", "title",
  "company": {"name", "domain"}, "phone", "location": {...}, "manager": {...}, "updated_at",
  "confidence"}}``
* ``GET /v1/company?domain=...`` -> ``{"company": {"domain", "name", "industry", "employees", ...}}``

Unknown people and companies are synthesized from the key (``synthesize=True``) or answered 404.
The server counts requests per fixed 1-second window (from its start): a request beyond
``rate_limit`` in its window is answered 429 with a Retry-After and counted in ``over_limit``.
Faults come from a ``FaultPlan``: a script consumed request by request, then probabilities.

    with FakeEnrichmentApi(rate_limit=50, faults=FaultPlan(script=["429", "malformed"])) as api:
        ... api.url ... api.stats.requests ...
"""

from __future__ import annotations

import json
import math
import random
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

FAULTS = ("ok", "429", "429_no_retry_after", "500", "503", "timeout", "slow", "malformed", "wrong_person",
          "not_found", "html")  # fmt: skip
_TITLES = ("VP of Sales", "Head of Marketing", "CTO", "Account Executive", "Data Analyst", "Controller")


@dataclass
class FaultPlan:
    """Which answers go wrong, and how.

    Attributes:
        script: Faults for the first requests, in order ("ok" for a good answer).
        rates: Fault -> probability for every request after the script.
        slow_seconds: How long a "slow" answer takes (it still arrives).
        hang_seconds: How long a "timeout" answer takes (longer than the client's timeout).
        retry_after: Retry-After seconds sent with an injected 429.
    """

    script: list[str] = field(default_factory=list)
    rates: dict[str, float] = field(default_factory=dict)
    seed: int = 0
    slow_seconds: float = 0.2
    hang_seconds: float = 1.5
    retry_after: float = 0.05


@dataclass
class ApiStats:
    """What the fake saw (thread-safe via the server's lock)."""

    requests: int = 0
    over_limit: int = 0
    windows: Counter[int] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    arrivals: list[float] = field(default_factory=list)
    unauthorized: int = 0

    def max_per_window(self) -> int:
        return max(self.windows.values(), default=0)

    def max_sliding(self, width: float = 1.0) -> int:
        """Most requests in any window of ``width`` seconds (stricter than fixed windows)."""
        times = sorted(self.arrivals)
        best, start = 0, 0
        for end, t in enumerate(times):
            while t - times[start] >= width:
                start += 1
            best = max(best, end - start + 1)
        return best


def _person(email: str) -> dict[str, Any]:
    local, _, domain = email.partition("@")
    first, _, last = local.partition(".")
    label = domain.split(".", 1)[0]
    h = sum(map(ord, email))
    return {
        "email": email,
        "first_name": first.title(),
        "last_name": last.title() or None,
        "title": _TITLES[h % len(_TITLES)],
        "company": {"name": f"{label.title()} Inc.", "domain": domain},
        "phone": None,
        "location": {"city": "Austin", "state": "TX", "country": "US"},
        "manager": {"email": f"boss@{domain}", "name": "Pat Boss"},
        "updated_at": "2026-11-01T00:00:00Z",
        "confidence": 90,
    }


def _company(domain: str) -> dict[str, Any]:
    label = domain.split(".", 1)[0]
    return {"domain": domain, "name": f"{label.title()} Inc.", "industry": "Computer Software",
            "employees": 120 + len(domain), "annual_revenue": 9_000_000, "phone": "+15125550123",
            "location": {"city": "Austin", "state": "TX", "country": "US"}, "updated_at": "2026-10-01"}  # fmt: skip


class FakeEnrichmentApi:
    """The fake server (see the module docstring). Use as a context manager."""

    def __init__(
        self,
        *,
        rate_limit: float | None = 50,
        api_key: str | None = None,
        people: Mapping[str, dict[str, Any]] | None = None,
        companies: Mapping[str, dict[str, Any]] | None = None,
        synthesize: bool = True,
        faults: FaultPlan | None = None,
    ) -> None:
        self.rate_limit = rate_limit
        self.api_key = api_key
        self.people = {k.lower(): v for k, v in (people or {}).items()}
        self.companies = {k.lower(): v for k, v in (companies or {}).items()}
        self.synthesize = synthesize
        self.faults = faults or FaultPlan()
        self.stats = ApiStats()
        self._rng = random.Random(self.faults.seed)
        self._script = list(self.faults.script)
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeEnrichmentApi:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body in separate writes must not wait 40 ms

            def do_GET(self) -> None:  # noqa: N802 (the http.server API)
                api._handle(self)

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._started = time.monotonic()
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-enrichment-api", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeEnrichmentApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- one request --------------------------------------------------------------------------------

    def _admit(self) -> tuple[bool, float]:
        """Counts the request in its window; (within the limit, seconds to the next window)."""
        now = time.monotonic() - self._started
        window = int(now)
        with self._lock:
            self.stats.requests += 1
            self.stats.arrivals.append(now)
            self.stats.windows[window] += 1
            within = self.rate_limit is None or self.stats.windows[window] <= self.rate_limit
            if not within:
                self.stats.over_limit += 1
        return within, window + 1 - now

    def _fault(self) -> str:
        with self._lock:
            if self._script:
                return self._script.pop(0)
            roll = self._rng.random()
        for name, p in self.faults.rates.items():
            if roll < p:
                return name
            roll -= p
        return "ok"

    def _send(
        self, handler: BaseHTTPRequestHandler, status: int, body: bytes, headers: Mapping[str, str] = {}
    ) -> None:
        with self._lock:
            self.stats.statuses[status] += 1
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", headers.get("Content-Type", "application/json"))
            handler.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                if name != "Content-Type":
                    handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout): fine
            pass

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        within, wait = self._admit()
        if not within:
            self._send(
                handler, 429, b'{"error": "rate limit"}', {"Retry-After": str(max(1, math.ceil(wait)))}
            )
            return
        if self.api_key is not None and handler.headers.get("Authorization") != f"Bearer {self.api_key}":
            with self._lock:
                self.stats.unauthorized += 1
            self._send(handler, 401, b'{"error": "bad key"}')
            return
        fault = self._fault()
        with self._lock:
            self.stats.faults[fault] += 1
        self._answer(handler, fault)

    def _answer(self, handler: BaseHTTPRequestHandler, fault: str) -> None:
        plan = self.faults
        if fault in ("429", "429_no_retry_after"):
            headers = {"Retry-After": f"{plan.retry_after:g}"} if fault == "429" else {}
            self._send(handler, 429, b'{"error": "slow down"}', headers)
            return
        if fault in ("500", "503"):
            self._send(handler, int(fault), b'{"error": "server"}')
            return
        if fault == "timeout":
            time.sleep(plan.hang_seconds)
        elif fault == "slow":
            time.sleep(plan.slow_seconds)
        if fault == "malformed":
            self._send(handler, 200, b'{"person": {"email": ')
            return
        if fault == "html":
            self._send(handler, 200, b"<html>gateway</html>", {"Content-Type": "text/html"})
            return
        status, body = self._lookup(handler.path, wrong=fault == "wrong_person", missing=fault == "not_found")
        self._send(handler, status, json.dumps(body).encode())

    def _lookup(self, path: str, *, wrong: bool, missing: bool) -> tuple[int, dict[str, Any]]:
        parts = urlsplit(path)
        query = parse_qs(parts.query)
        if parts.path.endswith("/person"):
            email = query.get("email", [""])[0].lower()
            person = self.people.get(email) or (_person(email) if self.synthesize and email else None)
            if person is None or missing:
                return 404, {"error": "not found"}
            if wrong:
                person = {**person, "email": f"someone.else@{email.partition('@')[2] or 'x.test'}"}
            return 200, {"person": person}
        if parts.path.endswith("/company"):
            domain = query.get("domain", [""])[0].lower()
            company = self.companies.get(domain) or (_company(domain) if self.synthesize and domain else None)
            if company is None or missing:
                return 404, {"error": "not found"}
            if wrong:
                company = {**company, "domain": "another-company.test"}
            return 200, {"company": company}
        return 404, {"error": "no such endpoint"}


def _stats_json(stats: ApiStats) -> str:
    return json.dumps({
        "requests": stats.requests, "over_limit": stats.over_limit, "max_per_window": stats.max_per_window(),
        "max_sliding": stats.max_sliding(), "windows": {str(k): v for k, v in sorted(stats.windows.items())},
        "statuses": {str(k): v for k, v in stats.statuses.items()}, "faults": dict(stats.faults),
    })  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    """Serves in its own process (benchmarks: the client then has the interpreter to itself).

    Prints the URL, serves until stdin closes, then prints the stats as one JSON line.
    """
    import argparse
    import sys

    parser = argparse.ArgumentParser(description="a local fake enrichment API")
    parser.add_argument("--rate-limit", type=float, default=50)
    parser.add_argument(
        "--rates", type=json.loads, default={}, help='fault probabilities, e.g. {"429": 0.05}'
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    with FakeEnrichmentApi(
        rate_limit=args.rate_limit, faults=FaultPlan(rates=args.rates, seed=args.seed)
    ) as api:
        sys.stdout.write(api.url + "\n")
        sys.stdout.flush()
        sys.stdin.read()
        sys.stdout.write(_stats_json(api.stats) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
