"""The review queue on moto (in-process): every page full, and how long pages and searches take.

    .venv/bin/python bench/queue_bench.py [--items 1000] [--limit 50] [--repeat 5]

A queue of ``--items`` review items over the contacts of a generated sample (labels from the records:
name, e-mail, company), spread over statuses, kinds, fields, runs and priorities as a week's queue is.
Through the review API's handler (``GET /reviews``, ``GET /reviews/counts``) with the DynamoDB queue
on moto and in-memory stand-ins for the other ports, it reads every page of several filters and sorts
and checks that each page but the last is full, then times searches by name, e-mail, company, record
id and review id. It also counts the DynamoDB calls and items read per page (what the cost in
docs/review-api.md is about).

moto is a Python emulation of DynamoDB in this process: its latencies say what our code costs (the
query plans, the k-way merge, the handler) plus moto's own work; moto's Query reads and sorts every
item of the table on each call, so its time grows with the table, which DynamoDB's does not.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "functions" / "review_api"))

from crm_hygiene.adapters.aws.change_queue import DynamoChangeQueue  # noqa: E402
from crm_hygiene.csvio.records import read_records  # noqa: E402
from crm_hygiene.local.sample import generate_sample  # noqa: E402
from crm_hygiene.memory import (  # noqa: E402
    InMemoryAuditLog,
    InMemoryCrmStore,
    InMemoryDecisionMemory,
    InMemoryHealthStore,
    InMemoryWorkflow,
    ListWorkQueue,
)
from crm_hygiene.models.record import Record  # noqa: E402
from crm_hygiene.models.review import ReviewItem  # noqa: E402
from crm_hygiene.models.review_query import record_label  # noqa: E402
from crm_hygiene.services.review.core import ReviewDeps  # noqa: E402
from crm_hygiene.types import ChangeStatus, QueueKind  # noqa: E402
from infra import names  # noqa: E402
from infra.tables import TABLES, create_table  # noqa: E402

STATUSES: list[tuple[ChangeStatus, int]] = [
    ("queued", 55), ("blocked", 8), ("applied", 20), ("rejected", 7), ("auto_applied", 5), ("conflict", 3),
    ("failed", 2),
]  # fmt: skip
KINDS: list[tuple[QueueKind, str]] = [
    ("malformed", "phone"), ("malformed", "email"), ("placeholder", "email"), ("missing_critical", "company"),
    ("enrich", "job_title"), ("routing_blocker", "country"), ("stale", ""),
]  # fmt: skip


class CountingTable:
    """The boto3 table, counting queries and the items DynamoDB reads for them (``ScannedCount``)."""

    def __init__(self, table: Any) -> None:
        self.table, self.calls, self.read = table, 0, 0

    def query(self, **request: Any) -> Any:
        response = self.table.query(**request)
        self.calls += 1
        self.read += int(response.get("ScannedCount", 0))
        return response

    def scan(self, **request: Any) -> Any:
        response = self.table.scan(**request)
        self.calls += 1
        self.read += int(response.get("ScannedCount", 0))
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self.table, name)


def _items(records: list[Record], count: int, rng: random.Random) -> list[ReviewItem]:
    start = datetime(2026, 12, 1, tzinfo=UTC)
    statuses = [s for s, weight in STATUSES for _ in range(weight)]
    out = []
    for n in range(count):
        record = records[n % len(records)]
        kind, field = KINDS[n % len(KINDS)]
        out.append(ReviewItem(
            review_id=f"{n:06d}{rng.getrandbits(64):016x}", run_id=f"run-{n % 4}", kind=kind,
            change_kind="flag" if kind in ("stale", "missing_critical") else "normalize",
            object_type="contact", record_id=record.record_id, field=field, current_value=record.get(field),
            suggested_value="x", evidence="bench", confidence=round(rng.random(), 2), protected=False,
            decision="review", status=rng.choice(statuses), source="bench",
            created_at=start + timedelta(seconds=rng.randrange(7 * 86400), microseconds=rng.randrange(10**6)),
            priority="high" if rng.random() < 0.05 else "normal", label=record_label(record),
        ))  # fmt: skip
    return out


CPU: list[float] = []  # the process's CPU ms of each call, beside its wall ms (a shared machine's load)


def _call(handler: Any, deps: ReviewDeps, path: str, **query: Any) -> tuple[float, Any]:
    from tests.events.factory import FakeContext, api_event

    event = api_event("GET", path, query={k: str(v) for k, v in query.items()} or None)
    began, cpu = time.perf_counter(), time.process_time()
    response = handler(event, FakeContext(), deps=deps)
    elapsed = (time.perf_counter() - began) * 1000
    CPU.append((time.process_time() - cpu) * 1000)
    assert response["statusCode"] == 200, response["body"]
    return elapsed, json.loads(response["body"])


def _page_through(
    handler: Any, deps: ReviewDeps, table: CountingTable, limit: int, **query: Any
) -> dict[str, Any]:
    sizes, times, calls, read, cursor = [], [], [], [], None
    CPU.clear()
    while True:
        table.calls = table.read = 0
        elapsed, body = _call(
            handler, deps, "/reviews", limit=limit, **query, **({"cursor": cursor} if cursor else {})
        )
        sizes.append(len(body["items"]))
        times.append(elapsed)
        calls.append(table.calls)
        read.append(table.read)
        if not (cursor := body["next_cursor"]):
            break
    return {"query": query or {"(none)": ""}, "pages": len(sizes), "items": sum(sizes),
            "every_page_full": all(s == limit for s in sizes[:-1]) and (len(sizes) == 1 or sizes[-1] > 0),
            "page_ms_p50": round(statistics.median(times), 1), "page_ms_max": round(max(times), 1),
            "page_cpu_ms_p50": round(statistics.median(CPU), 1),
            "calls_per_page_max": max(calls), "items_read_per_page_max": max(read)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from review_api_handler import lambda_handler

    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as folder:
        generate_sample(folder, contacts=max(200, args.items // 3), seed=11)
        records = list(read_records(Path(folder) / "contacts.csv"))
    items = _items(records, args.items, rng)
    with mock_aws():
        create_table(
            boto3.client("dynamodb", region_name="us-east-1"), "queue", TABLES[names.CHANGE_QUEUE_TABLE]
        )
        table = CountingTable(boto3.resource("dynamodb", region_name="us-east-1").Table("queue"))
        queue = DynamoChangeQueue(table)
        began = time.perf_counter()
        queue.put_new(items)
        put_s = time.perf_counter() - began
        deps = ReviewDeps(queue=queue, audit=InMemoryAuditLog(), memory=InMemoryDecisionMemory(),
                          apply_queue=ListWorkQueue(), workflow=InMemoryWorkflow(), crm=InMemoryCrmStore(),
                          health=InMemoryHealthStore())  # fmt: skip
        _call(lambda_handler, deps, "/reviews")  # warm: imports, the resolver's first route compile
        paging = [
            _page_through(lambda_handler, deps, table, args.limit, **query)
            for query in ({}, {"status": "queued"}, {"status": "queued", "sort": "priority"},
                          {"sort": "confidence"},
                          {"status": "blocked", "kind": "malformed", "sort": "oldest"},
                          {"field": "email", "sort": "confidence_asc"}, {"kind": "enrich"},
                          {"q": "gmail"}, {"status": "queued", "q": records[3].get("company") or "a"})
        ]  # fmt: skip
        probe = items[len(items) // 2]
        record = next(r for r in records if r.record_id == probe.record_id)
        searches = {
            "last name": record.get("last_name") or record.get("first_name"),
            "e-mail": record.get("email") or probe.record_id,
            "company": record.get("company") or probe.record_id,
            "record id": probe.record_id,
            "review id": probe.review_id,
            "no match": "zzzz-nobody",
        }
        timed = {}
        for what, q in searches.items():
            CPU.clear()
            runs = [
                _call(lambda_handler, deps, "/reviews", q=q, limit=args.limit) for _ in range(args.repeat)
            ]
            times = [r[0] for r in runs]
            timed[what] = {"ms_p50": round(statistics.median(times), 1), "ms_max": round(max(times), 1),
                           "cpu_ms_p50": round(statistics.median(CPU), 1),
                           "found": len(runs[0][1]["items"])}  # fmt: skip
        counts = [_call(lambda_handler, deps, "/reviews/counts", **q)[0] for q in ({}, {"status": "queued"})]
        queued_searches = {}
        for what, q in searches.items():
            CPU.clear()
            runs = [_call(lambda_handler, deps, "/reviews", q=q, status="queued", limit=args.limit)
                    for _ in range(args.repeat)]  # fmt: skip
            queued_searches[what] = {"ms_p50": round(statistics.median(r[0] for r in runs), 1),
                                     "cpu_ms_p50": round(statistics.median(CPU), 1)}  # fmt: skip
    report = {"items": args.items, "limit": args.limit, "put_s": round(put_s, 2), "paging": paging,
              "searches": timed, "searches_in_queued": queued_searches,
              "counts_ms": [round(c, 1) for c in counts],
              "load_average": [round(x, 2) for x in os.getloadavg()]}  # fmt: skip
    print(json.dumps(report, indent=2, ensure_ascii=False))  # noqa: T201


if __name__ == "__main__":
    main()
