"""``DynamoMatchIndex`` and ``DynamoMatchIndexStore``: the match index in its DynamoDB table.

Items (pk ``block_key``, sk ``record_key``, GSI ``by_record``: ``record_key``, ``block_key``), with
``T`` the object type:

* a key: ``block_key = T#<rule>#<digest of the key>``, ``record_key = T#<record id>``; the key is a
  blake2b digest, so the table's keys do not spell names or emails;
* a record's projection: ``block_key = T#record#<record id>``, ``record_key = T#<record id>``, with
  ``fields`` (the non-blank values of the matching fields) and ``keys`` (its key items' block keys);
  one partition per record, so bulk loads spread over partitions;
* the snapshot (``dedup.snapshot.MatchSnapshot.to_bytes``) in parts of at most 300 kB:
  ``block_key = T#snapshot``, ``record_key = T#snapshot#<generation>#<part>``, and a head item
  ``record_key = T#snapshot#head`` naming the current generation and its part count (written last,
  so a reader never sees half a snapshot; older generations are deleted afterwards).

Scoring always reads the projection: a key item left behind (the GSI lags its table by a moment)
only adds a candidate to score, never a wrong match, and a record whose projection is gone is
never a candidate.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import Key

from crm_hygiene.adapters.aws.errors import aws_errors
from crm_hygiene.errors import Throttled
from crm_hygiene.models.merge import MatchCandidate
from crm_hygiene.types import ObjectType, RecordId

if TYPE_CHECKING:  # numpy and rapidfuzz: imported where matching runs, not with the factory
    from concurrent.futures import ThreadPoolExecutor

    from crm_hygiene.dedup.snapshot import MatchSnapshot

PART_BYTES = 300_000
_BATCH_GET = 100
_RETRIES = 8


def digest(key: str) -> str:
    """The stored form of a key string (``"<rule>:<key>"`` -> ``"<rule>#<24 hex digits>"``)."""
    rule, _, value = key.partition(":")
    return f"{rule}#{hashlib.blake2b(value.encode(), digest_size=12).hexdigest()}"


class DynamoMatchIndex:
    """Implements ``MatchIndex`` for one object type over the table resource (see the module docstring)."""

    def __init__(
        self, table: Any, snapshot: MatchSnapshot, object_type: ObjectType, *, workers: int = 8
    ) -> None:
        self._table = table
        self.snapshot = snapshot
        self.object_type = object_type
        self.workers = workers
        self._pool: ThreadPoolExecutor | None = None

    # --- item keys ----------------------------------------------------------------------------------

    def block_key(self, key: str) -> str:
        return f"{self.object_type}#{digest(key)}"

    def record_key(self, record_id: RecordId) -> str:
        return f"{self.object_type}#{record_id}"

    def projection_key(self, record_id: RecordId) -> dict[str, str]:
        return {
            "block_key": f"{self.object_type}#record#{record_id}",
            "record_key": self.record_key(record_id),
        }

    def _record_id(self, record_key: str) -> RecordId:
        return record_key.split("#", 1)[1]

    # --- the port -----------------------------------------------------------------------------------

    def add(self, record_id: RecordId, record: Mapping[str, str]) -> None:
        """Writes the record's projection and keys, and deletes its keys that no longer hold."""
        keys = self.snapshot.record_keys(record)
        old = self._stored_keys(record_id)
        self.write([(record_id, record, keys)], {record_id: old})

    def remove(self, record_id: RecordId) -> None:
        """Deletes the record's projection and keys (an index, not the audit log: nothing is lost)."""
        deletes = [
            {"block_key": b, "record_key": self.record_key(record_id)} for b in self._stored_keys(record_id)
        ]
        _batch_write(self._table, [], [self.projection_key(record_id), *deletes])

    def candidates(self, record: Mapping[str, str], *, limit: int = 10) -> list[MatchCandidate]:
        from crm_hygiene.dedup.snapshot import match

        return match(self.snapshot, record, self._lookup, self._fetch, limit=limit)

    # --- bulk ---------------------------------------------------------------------------------------

    def write(
        self,
        records: Sequence[tuple[RecordId, Mapping[str, str], Sequence[str]]],
        old_keys: Mapping[RecordId, Sequence[str]],
    ) -> tuple[int, int]:
        """Puts projections and new key items, deletes key items not held any more (``old_keys``:
        block keys stored before, per record); returns (items put, items deleted)."""
        columns = self.snapshot.columns
        puts: list[dict[str, Any]] = []
        deletes: list[dict[str, str]] = []
        for record_id, fields, keys in records:
            record_key = self.record_key(record_id)
            blocks = sorted({self.block_key(k) for k in keys})
            old = set(old_keys.get(record_id, ()))
            kept = {c: fields[c] for c in columns if fields.get(c)}
            puts.append({**self.projection_key(record_id), "fields": kept, "keys": blocks})
            puts.extend({"block_key": b, "record_key": record_key} for b in blocks if b not in old)
            deletes.extend({"block_key": b, "record_key": record_key} for b in sorted(old - set(blocks)))
        _batch_write(self._table, puts, deletes)
        return len(puts), len(deletes)

    def projections(self, record_ids: Sequence[RecordId]) -> dict[RecordId, dict[str, Any]]:
        """The stored projection items of these records (BatchGetItem, unprocessed keys retried)."""
        wanted = [self.projection_key(rid) for rid in dict.fromkeys(record_ids)]
        items = _batch_get(self._table, wanted)
        return {self._record_id(item["record_key"]): item for item in items}

    # --- internals ----------------------------------------------------------------------------------

    def _stored_keys(self, record_id: RecordId) -> list[str]:
        """The block keys of the record's key items, by the ``by_record`` index."""
        found: list[str] = []
        request: dict[str, Any] = {
            "IndexName": "by_record",
            "KeyConditionExpression": Key("record_key").eq(self.record_key(record_id)),
            "ProjectionExpression": "block_key",
        }
        record_block = self.projection_key(record_id)["block_key"]
        while True:
            with aws_errors():
                page = self._table.query(**request)
            found.extend(i["block_key"] for i in page.get("Items", []) if i["block_key"] != record_block)
            if "LastEvaluatedKey" not in page:
                return found
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _lookup(self, keys: Sequence[str]) -> dict[str, list[RecordId]]:
        """One Query per key, ``workers`` at a time (the low-level client is shared by threads; the
        table resource is not): about 11 keys a contact, so one round trip's latency, not eleven."""
        cap = self.snapshot.config.max_block_size
        client, name = self._table.meta.client, self._table.name

        def query(key: str) -> list[RecordId]:
            with aws_errors():
                page = client.query(
                    TableName=name,
                    KeyConditionExpression=Key("block_key").eq(self.block_key(key)),
                    ProjectionExpression="record_key",
                    Limit=cap,
                )
            return [self._record_id(i["record_key"]) for i in page.get("Items", [])]

        if len(keys) < 2 or self.workers < 2:
            return {key: query(key) for key in keys}
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="match-index")
        return dict(zip(keys, self._pool.map(query, keys), strict=True))

    def _fetch(self, record_ids: Sequence[RecordId]) -> dict[RecordId, dict[str, str]]:
        return {rid: dict(item.get("fields", {})) for rid, item in self.projections(record_ids).items()}


class DynamoMatchIndexStore:
    """Implements ``MatchIndexStore`` over the match index table (see the module docstring).

    ``save`` reads the stored projections of each chunk of records first (BatchGetItem, 100 a call)
    and writes only the records whose fields or keys changed: a weekly reload of a CRM that changed
    by 2% writes about 2% of the items (reads cost a fifth of writes in DynamoDB).
    """

    def __init__(self, table: Any, *, chunk: int = 500, workers: int = 8) -> None:
        self._table = table
        self._chunk = chunk
        self._workers = workers

    def index(self, object_type: ObjectType, snapshot: MatchSnapshot) -> DynamoMatchIndex:
        return DynamoMatchIndex(self._table, snapshot, object_type)

    def save(
        self,
        object_type: ObjectType,
        snapshot: MatchSnapshot,
        records: Iterator[tuple[RecordId, Mapping[str, str], Sequence[str]]],
    ) -> dict[str, int]:
        """Chunks of ``chunk`` records are compared and written by ``workers`` threads (the batch
        calls go through the table's low-level client, which threads may share); the snapshot's new
        head is written last."""
        from concurrent.futures import Future, ThreadPoolExecutor

        index = self.index(object_type, snapshot)
        figures = {"records": 0, "unchanged": 0, "items_put": 0, "items_deleted": 0}
        pending: list[Future[dict[str, int]]] = []

        def settle(keep: int) -> None:
            while len(pending) > keep:
                for name, value in pending.pop(0).result().items():
                    figures[name] += value

        with ThreadPoolExecutor(max_workers=self._workers) as pool:
            chunk: list[tuple[RecordId, Mapping[str, str], Sequence[str]]] = []
            for entry in records:
                chunk.append(entry)
                if len(chunk) >= self._chunk:
                    pending.append(pool.submit(self._save_chunk, index, chunk))
                    settle(2 * self._workers)  # bounds the records held in memory
                    chunk = []
            if chunk:
                pending.append(pool.submit(self._save_chunk, index, chunk))
            settle(0)
        self._put_snapshot(object_type, snapshot.to_bytes())
        return figures

    def open(self, object_type: ObjectType) -> DynamoMatchIndex | None:
        from crm_hygiene.dedup.snapshot import MatchSnapshot

        blob = self.snapshot_bytes(object_type)
        return None if blob is None else self.index(object_type, MatchSnapshot.from_bytes(blob))

    def generation(self, object_type: ObjectType) -> str | None:
        head = self._head(object_type)
        return None if head is None else str(head["generation"])

    def _head(self, object_type: ObjectType) -> dict[str, Any] | None:
        pk = f"{object_type}#snapshot"
        with aws_errors():
            head: dict[str, Any] | None = self._table.get_item(
                Key={"block_key": pk, "record_key": f"{pk}#head"}, ConsistentRead=True
            ).get("Item")
        return head

    def snapshot_bytes(self, object_type: ObjectType) -> bytes | None:
        """The stored snapshot, or None when there is none yet."""
        pk = f"{object_type}#snapshot"
        head = self._head(object_type)
        if head is None:
            return None
        generation, parts = str(head["generation"]), int(head["parts"])
        wanted = [{"block_key": pk, "record_key": f"{pk}#{generation}#{i:04d}"} for i in range(parts)]
        found = {item["record_key"]: _bytes(item["data"]) for item in _batch_get(self._table, wanted)}
        return b"".join(found[w["record_key"]] for w in wanted)

    def _save_chunk(
        self, index: DynamoMatchIndex, chunk: list[tuple[RecordId, Mapping[str, str], Sequence[str]]]
    ) -> dict[str, int]:
        stored = index.projections([rid for rid, _, _ in chunk])
        columns = index.snapshot.columns
        changed = []
        old: dict[RecordId, list[str]] = {}
        for record_id, fields, keys in chunk:
            item = stored.get(record_id)
            kept = {c: fields[c] for c in columns if fields.get(c)}
            blocks = sorted({index.block_key(k) for k in keys})
            if (
                item is not None
                and dict(item.get("fields", {})) == kept
                and list(item.get("keys", [])) == blocks
            ):
                continue
            old[record_id] = list(item.get("keys", [])) if item is not None else []
            changed.append((record_id, fields, keys))
        put, deleted = index.write(changed, old)
        return {
            "records": len(chunk),
            "unchanged": len(chunk) - len(changed),
            "items_put": put,
            "items_deleted": deleted,
        }

    def _put_snapshot(self, object_type: ObjectType, blob: bytes) -> None:
        pk = f"{object_type}#snapshot"
        generation = f"{time.time_ns():020d}"
        parts = [blob[i : i + PART_BYTES] for i in range(0, len(blob), PART_BYTES)] or [b""]
        previous = self._head(object_type)
        with aws_errors():
            for i, part in enumerate(parts):  # one put each: a batch of 25 parts would exceed 16 MB
                self._table.put_item(
                    Item={"block_key": pk, "record_key": f"{pk}#{generation}#{i:04d}", "data": part}
                )
            self._table.put_item(
                Item={"block_key": pk, "record_key": f"{pk}#head", "generation": generation,
                      "parts": len(parts), "bytes": len(blob)}
            )  # fmt: skip
        if previous is not None:
            old = str(previous["generation"])
            stale = [
                {"block_key": pk, "record_key": f"{pk}#{old}#{i:04d}"} for i in range(int(previous["parts"]))
            ]
            _batch_write(self._table, [], stale)


def _bytes(value: Any) -> bytes:
    return bytes(value.value) if hasattr(value, "value") else bytes(value)


def _until_processed(
    send: Callable[[dict[str, Any]], dict[str, Any]], request: dict[str, Any], what: str
) -> None:
    """Sends a batch request, then what DynamoDB left unprocessed, with exponential backoff;
    ``send`` returns the unprocessed part. ``Throttled`` (the workflows retry it) after ``_RETRIES``."""
    pending = request
    for attempt in range(_RETRIES):
        with aws_errors():
            pending = send(pending)
        if not pending:
            return
        time.sleep(min(0.05 * 2**attempt, 2.0))
    raise Throttled(f"match index {what} still unprocessed after {_RETRIES} attempts")


def _batch_write(table: Any, puts: Sequence[dict[str, Any]], deletes: Sequence[dict[str, str]]) -> None:
    """BatchWriteItem in requests of 25 (unprocessed items resent)."""
    client = table.meta.client
    requests = [{"PutRequest": {"Item": item}} for item in puts]
    requests += [{"DeleteRequest": {"Key": key}} for key in deletes]
    for start in range(0, len(requests), 25):
        _until_processed(
            lambda pending: client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {},
            {table.name: requests[start : start + 25]},
            "writes",
        )


def _batch_get(table: Any, keys: Sequence[dict[str, str]]) -> list[dict[str, Any]]:
    """BatchGetItem in requests of 100 (unprocessed keys asked again)."""
    client = table.meta.client
    found: list[dict[str, Any]] = []

    def send(pending: dict[str, Any]) -> dict[str, Any]:
        answer = client.batch_get_item(RequestItems=pending)
        found.extend(answer.get("Responses", {}).get(table.name, []))
        return answer.get("UnprocessedKeys") or {}

    for start in range(0, len(keys), _BATCH_GET):
        _until_processed(send, {table.name: {"Keys": list(keys[start : start + _BATCH_GET])}}, "reads")
    return found
