"""``DynamoAuditLog``: append-only, MAC-chained per record, archived to an Object-Locked S3 bucket.

Only conditional ``PutItem`` is used (the functions hold no update or delete permission on the
table): an entry is written at the next sequence number of its record only if that number is
free, so two writers can never fork or overwrite a chain; the loser re-reads and retries. Entries
are sealed with the audit key (``key``: the keyring from Secrets Manager, never stored here).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from datetime import UTC
from typing import Any

from boto3.dynamodb.conditions import Key

from crm_hygiene.adapters.aws.errors import aws_errors
from crm_hygiene.errors import Conflict, HygieneError
from crm_hygiene.models.audit import GENESIS, AuditDraft, AuditEntry, Sealer, record_key
from crm_hygiene.types import ObjectType, RecordId

MAX_RACES = 10


# Index keys must not be empty strings in DynamoDB: an entry without a run or change is left out
# of that index rather than written with "".
_SPARSE = ("change_id", "review_id", "run_id")


def _to_item(entry: AuditEntry) -> dict[str, Any]:
    data = entry.model_dump(mode="json", exclude_none=True)
    if "confidence" in data:
        data["confidence"] = repr(entry.confidence)  # DynamoDB takes no floats; repr round-trips exactly
    return {k: v for k, v in data.items() if not (k in _SPARSE and v == "")}


def _from_item(data: dict[str, Any]) -> AuditEntry:
    body = dict(data)
    body["seq"] = int(body["seq"])
    return AuditEntry.model_validate(body)


class DynamoAuditLog:
    """Implements ``AuditLog`` and ``AuditEntries``; takes the table resource, an S3 client, the
    archive bucket name and the audit key (None seals unkeyed, as version 1 did: only tests of
    legacy data want that; the wiring always passes the stack's keyring)."""

    def __init__(
        self, table: Any, s3: Any | None = None, bucket: str | None = None, *, key: Sealer | None = None
    ) -> None:
        self._table = table
        self._s3 = s3
        self._bucket = bucket
        self._key = key

    def _last(self, key: str) -> AuditEntry | None:
        with aws_errors():
            response = self._table.query(
                KeyConditionExpression=Key("record_key").eq(key),
                ScanIndexForward=False,
                Limit=1,
                ConsistentRead=True,
            )
        items = response.get("Items", [])
        return _from_item(items[0]) if items else None

    def _written(self, key: str, wanted: str) -> tuple[AuditEntry | None, AuditEntry | None]:
        """The entry of ``key``'s chain with entry id ``wanted`` (None: not written yet), and the
        chain's last entry, from one consistent read of the chain (chains are per record: short)."""
        condition = Key("record_key").eq(key)
        last = None
        for entry in self._query_all(KeyConditionExpression=condition, ConsistentRead=True):
            if entry.entry_id == wanted:
                return entry, entry
            last = entry
        return None, last

    def _append_one(self, draft: AuditDraft) -> AuditEntry:
        key = record_key(draft.object_type, draft.record_id)
        for _ in range(MAX_RACES):
            if draft.entry_id:
                # Idempotent by entry id: the check and the conditional put below see the same chain,
                # so of two writers of one id the second either finds it or loses the put and re-reads.
                done, last = self._written(key, draft.entry_id)
                if done is not None:
                    return done
            else:
                last = self._last(key)
            entry = draft.entry(last.seq + 1 if last else 1, last.hash if last else GENESIS, self._key)
            try:
                with aws_errors():
                    self._table.put_item(
                        Item=_to_item(entry),
                        ConditionExpression="attribute_not_exists(record_key) AND attribute_not_exists(seq)",
                    )
            except Conflict:
                continue  # someone appended to this record meanwhile: chain after their entry
            return entry
        raise HygieneError(f"audit: could not append to {key} after {MAX_RACES} concurrent writers")

    def append(self, drafts: Sequence[AuditDraft]) -> list[AuditEntry]:
        entries = [self._append_one(d) for d in drafts]
        if entries:
            self._archive(entries)
        return entries

    def _archive(self, entries: list[AuditEntry]) -> None:
        """Puts the entries (new ones and those a redelivered append found written) under a key
        derived from them: a retry after a failed put archives what the table already holds, and a
        repeat writes the same object again instead of a second copy."""
        if self._s3 is None or not self._bucket:
            return
        first = min(e.at for e in entries).astimezone(UTC)
        run = entries[0].run_id or "adhoc"
        ids = "\n".join(f"{e.record_key}#{e.seq}#{e.hash}" for e in entries)
        key = f"audit/{first:%Y/%m/%d}/{run}/{hashlib.sha256(ids.encode()).hexdigest()[:32]}.jsonl"
        body = "".join(json.dumps(e.model_dump(mode="json"), separators=(",", ":")) + "\n" for e in entries)
        with aws_errors():
            self._s3.put_object(
                Bucket=self._bucket, Key=key, Body=body.encode(), ContentType="application/x-ndjson"
            )

    def history(self, object_type: ObjectType, record_id: RecordId) -> list[AuditEntry]:
        condition = Key("record_key").eq(record_key(object_type, record_id))
        return list(self._query_all(KeyConditionExpression=condition, ConsistentRead=True))

    def all_entries(self) -> Iterator[AuditEntry]:
        """Every entry: a strongly consistent scan of the table (verification, digests)."""
        request: dict[str, Any] = {"ConsistentRead": True}
        while True:
            with aws_errors():
                response = self._table.scan(**request)
            yield from (_from_item(x) for x in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def by_change(self, change_id: str) -> list[AuditEntry]:
        return list(
            self._query_all(IndexName="by_change", KeyConditionExpression=Key("change_id").eq(change_id))
        )

    def by_run(self, run_id: str) -> Iterator[AuditEntry]:
        return self._query_all(IndexName="by_run", KeyConditionExpression=Key("run_id").eq(run_id))

    def _query_all(self, **request: Any) -> Iterator[AuditEntry]:
        while True:
            with aws_errors():
                response = self._table.query(**request)
            yield from (_from_item(x) for x in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
