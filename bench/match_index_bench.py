"""The DynamoDB match index on moto (in-process): save, snapshot load, candidates() latency.

    .venv/bin/python bench/match_index_bench.py [--records 1000] [--queries 30] [--dicts-only]

moto is a Python emulation of DynamoDB in this process: its latencies say what our code costs
(keys, scoring, request building) and how many requests one lookup makes, NOT what DynamoDB takes
(a Query or BatchGetItem is a few milliseconds over the network; one lookup makes one Query per key
of the record, about 11 for a contact, 8 at a time on threads, and one BatchGetItem per 100
candidates; moto, pure Python under the GIL, gains nothing from the threads).
moto's Query reads and sorts every item of the table (profiled: ``Table.all_items``), so its
lookup latency grows with the table, which DynamoDB's does not: keep ``--records`` small.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws

from crm_hygiene.adapters.aws.match_index import DynamoMatchIndexStore
from crm_hygiene.csvio.records import read_records
from crm_hygiene.dedup.index import InMemoryMatchIndex
from crm_hygiene.dedup.keyed import InMemoryMatchIndexStore
from crm_hygiene.dedup.kinds import CANONICAL_KINDS
from crm_hygiene.dedup.snapshot import keys_by_row
from crm_hygiene.local.sample import generate_sample
from crm_hygiene.models.record import Record


def _table() -> Any:
    def key(*names: str) -> list[dict[str, str]]:
        return [{"AttributeName": n, "KeyType": t} for n, t in zip(names, ("HASH", "RANGE"), strict=True)]

    client: Any = boto3.client("dynamodb", region_name="us-east-1")  # plain dicts, not the stubs' TypedDicts
    client.create_table(
        TableName="match-index",
        BillingMode="PAY_PER_REQUEST",
        KeySchema=key("block_key", "record_key"),
        AttributeDefinitions=[
            {"AttributeName": n, "AttributeType": "S"} for n in ("block_key", "record_key")
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_record",
                "Projection": {"ProjectionType": "ALL"},
                "KeySchema": key("record_key", "block_key"),
            }
        ],
    )
    return boto3.resource("dynamodb", region_name="us-east-1").Table("match-index")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--dicts-only", action="store_true", help="skip moto (for larger --records)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        generate_sample(folder, contacts=args.records, seed=5)
        records = list(read_records(Path(folder) / "contacts.csv"))
    kinds = CANONICAL_KINDS["contact"]
    columns = {name: [r.get(name) for r in records] for name in kinds}
    memory = InMemoryMatchIndex.build(columns, kinds, [r.record_id for r in records])
    snapshot = memory.snapshot
    figures: dict[str, object] = {"records": len(records), "snapshot_bytes": len(snapshot.to_bytes())}
    if args.dicts_only:
        figures["candidates_in_dicts"] = _in_dicts(memory, records, columns, args.queries)
        print(json.dumps(figures, indent=2))
        return
    with mock_aws():
        table = _table()
        store = DynamoMatchIndexStore(table)
        started = time.perf_counter()
        table_keys = snapshot.keys_of(snapshot.table(columns, len(records)))
        entries = (
            (r.record_id, r.fields, keys)
            for r, keys in zip(records, keys_by_row(table_keys, len(records)), strict=True)
        )
        figures["save"] = store.save("contact", snapshot, entries)
        figures["save_s"] = round(time.perf_counter() - started, 2)
        started = time.perf_counter()
        index = store.open("contact")
        figures["snapshot_load_ms"] = round((time.perf_counter() - started) * 1000, 1)
        assert index is not None
        calls: dict[str, int] = {}

        def count(event_name: str, **_: Any) -> None:
            operation = event_name.rsplit(".", 1)[-1]
            calls[operation] = calls.get(operation, 0) + 1

        table.meta.client.meta.events.register("before-call.dynamodb", count)
        latencies, agree = [], 0
        queries = records[: args.queries]
        for record in queries:
            began = time.perf_counter()
            found = index.candidates(record.fields)
            latencies.append((time.perf_counter() - began) * 1000)
            expected = memory.candidates(record.fields)
            agree += {c.record_id for c in found} == {c.record_id for c in expected}
        latencies.sort()
        figures["candidates_on_moto"] = {
            "queries": len(queries),
            "p50_ms": round(statistics.median(latencies), 2),
            "p99_ms": round(latencies[int(0.99 * (len(latencies) - 1))], 2),
            "requests_per_lookup": {k: round(v / len(queries), 2) for k, v in sorted(calls.items())},
            "same_candidates_as_in_memory": agree,
        }
    figures["candidates_in_dicts"] = _in_dicts(memory, records, columns, args.queries)
    print(json.dumps(figures, indent=2))


def _in_dicts(
    memory: InMemoryMatchIndex, records: list[Record], columns: dict[str, list[str]], queries: int
) -> dict[str, float]:
    """The same lookup path (keys, ``snapshot.match``, scoring) over dicts: what a lookup costs in
    this process besides DynamoDB's round trips."""
    snapshot = memory.snapshot
    store = InMemoryMatchIndexStore()
    keys = keys_by_row(snapshot.keys_of(snapshot.table(columns, len(records))), len(records))
    store.save("contact", snapshot, ((r.record_id, r.fields, k) for r, k in zip(records, keys, strict=True)))
    index = store.open("contact")
    assert index is not None
    latencies = []
    for record in records[: max(queries, 200)]:
        began = time.perf_counter()
        index.candidates(record.fields)
        latencies.append((time.perf_counter() - began) * 1000)
    latencies.sort()
    return {
        "queries": len(latencies),
        "p50_ms": round(statistics.median(latencies), 2),
        "p99_ms": round(latencies[int(0.99 * (len(latencies) - 1))], 2),
    }


if __name__ == "__main__":
    main()
