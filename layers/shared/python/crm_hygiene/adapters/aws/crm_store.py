"""``DynamoCrmStore``: the internal sales database (a CRM in one DynamoDB table).

Field writes are conditional on the old value (optimistic concurrency); a write whose record
already holds the new value is reported ``applied`` (a redelivered write is not a conflict).
Merges mark the secondary record ``merged_into`` in one transaction; nothing is ever deleted, so an
unmerge reinstates it: the mark is removed and its values put back from the merge's before-image.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from crm_hygiene.adapters.aws.codec import decode_cursor, encode_cursor
from crm_hygiene.adapters.aws.errors import aws_errors, code_of
from crm_hygiene.errors import Conflict, HygieneError, NotFound
from crm_hygiene.models.crm import FieldInfo, FieldWrite, MergeResult, RecordPage, WriteResult
from crm_hygiene.models.fields import CANONICAL_FIELDS
from crm_hygiene.models.record import Record
from crm_hygiene.models.unmerge import RecordImage
from crm_hygiene.normalize.date import parse_instant
from crm_hygiene.ports import every_record
from crm_hygiene.types import FieldName, ObjectType, RecordId

READ_ONLY: frozenset[FieldName] = frozenset({"record_id", "created_at", "updated_at", "last_activity_at"})


def to_item(record: Record) -> dict[str, Any]:
    return {
        "pk": f"{record.object_type}#{record.record_id}",
        "object_type": record.object_type,
        "record_id": record.record_id,
        "fields": {k: v for k, v in record.fields.items() if k != "record_id"},
        "custom": dict(record.custom),
    }


def from_item(item: dict[str, Any]) -> Record:
    fields = {"record_id": item["record_id"], **item.get("fields", {})}
    return Record(
        object_type=item["object_type"],
        record_id=item["record_id"],
        fields=fields,
        custom=item.get("custom", {}),
        source="internal",
    )


def _explain(exc: ClientError, w: FieldWrite) -> WriteResult:
    """Why a conditional write failed, from the old item DynamoDB returned (low-level attribute values)."""
    item: dict[str, Any] = dict(exc.response.get("Item") or {})  # type: ignore[call-overload]
    if not item:
        return w.result("not_found")
    if "merged_into" in item:
        return w.result("not_found", detail=f"merged into {item['merged_into'].get('S')}")
    current = str(item.get("fields", {}).get("M", {}).get(w.field, {}).get("S", ""))
    if current == w.new_value:
        return w.result("applied", current, "already held the new value")
    return w.result("conflict", current)


class DynamoCrmStore:
    """Implements ``CrmStore`` and ``PartitionedCrmStore``; takes the table resource."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def put_records(self, records: Sequence[Record]) -> None:
        """Seeds or replaces records (the local demo and imports; not used by the hygiene flow)."""
        with aws_errors(), self._table.batch_writer(overwrite_by_pkeys=["pk"]) as batch:
            for record in records:
                batch.put_item(Item=to_item(record))

    def list_records(
        self, object_type: ObjectType, *, cursor: str | None = None, limit: int = 100
    ) -> RecordPage:
        request: dict[str, Any] = {
            "IndexName": "by_type",
            "KeyConditionExpression": Key("object_type").eq(object_type),
            "Limit": limit,
        }
        return self._page(self._table.query, request, cursor)

    def list_partition(
        self,
        object_type: ObjectType,
        segment: int,
        total: int,
        *,
        cursor: str | None = None,
        limit: int = 100,
    ) -> RecordPage:
        request: dict[str, Any] = {
            "Segment": segment,
            "TotalSegments": total,
            "FilterExpression": Attr("object_type").eq(object_type),
            "Limit": limit,
        }
        return self._page(self._table.scan, request, cursor)

    def _page(self, call: Any, request: dict[str, Any], cursor: str | None) -> RecordPage:
        start = decode_cursor(cursor)
        if start:
            request["ExclusiveStartKey"] = start
        with aws_errors():
            response = call(**request)
        records = [from_item(i) for i in response.get("Items", []) if "merged_into" not in i]
        return RecordPage(records=records, next_cursor=encode_cursor(response.get("LastEvaluatedKey")))

    def changed_since(self, object_type: ObjectType, since: datetime) -> Iterator[Record]:
        for record in every_record(self, object_type):
            moment = parse_instant(record.get("updated_at"))
            if moment is None or moment >= since:
                yield record

    def get_records(self, object_type: ObjectType, record_ids: Sequence[RecordId]) -> list[Record]:
        out = []
        for record_id in record_ids:
            with aws_errors():
                item = self._table.get_item(
                    Key={"pk": f"{object_type}#{record_id}"}, ConsistentRead=True
                ).get("Item")
            if item is not None and "merged_into" not in item:
                out.append(from_item(item))
        return out

    def write_fields(self, object_type: ObjectType, writes: Sequence[FieldWrite]) -> list[WriteResult]:
        return [self._write(object_type, w) for w in writes]

    def _write(self, object_type: ObjectType, w: FieldWrite) -> WriteResult:
        result = w.result
        if w.field in READ_ONLY:
            return result("read_only")
        if w.field not in CANONICAL_FIELDS[object_type]:  # the table holds canonical fields only
            return result("read_only", detail=f"{w.field!r} is not a {object_type} field")
        condition = "attribute_exists(pk) AND attribute_not_exists(merged_into) AND "
        condition += "(#fs.#f = :old OR (attribute_not_exists(#fs.#f) AND :old = :empty))"
        try:
            self._table.update_item(
                Key={"pk": f"{object_type}#{w.record_id}"},
                UpdateExpression="SET #fs.#f = :new, #fs.updated_at = :now",
                ConditionExpression=condition,
                ExpressionAttributeNames={"#fs": "fields", "#f": w.field},
                ExpressionAttributeValues={
                    ":old": w.expected_old,
                    ":new": w.new_value,
                    ":empty": "",
                    ":now": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if code_of(exc) != "ConditionalCheckFailedException":
                return w.result("failed", detail=code_of(exc))
            return _explain(exc, w)
        return w.result("applied", w.new_value)

    def merge(self, object_type: ObjectType, primary_id: RecordId, secondary_id: RecordId) -> MergeResult:
        if primary_id == secondary_id:
            raise HygieneError(f"cannot merge {object_type} {primary_id} with itself")
        live = "attribute_exists(pk) AND attribute_not_exists(merged_into)"
        now = datetime.now(UTC).isoformat()
        # The table resource's client serializes Python values itself: no {"S": ...} here.
        mark = {
            "TableName": self._table.name,
            "Key": {"pk": f"{object_type}#{secondary_id}"},
            "UpdateExpression": "SET merged_into = :p, merged_at = :t",
            "ConditionExpression": live,
            "ExpressionAttributeValues": {":p": primary_id, ":t": now},
        }
        note = {
            "TableName": self._table.name,
            "Key": {"pk": f"{object_type}#{primary_id}"},
            "UpdateExpression": "ADD merged_ids :s",
            "ConditionExpression": live,
            "ExpressionAttributeValues": {":s": {secondary_id}},
        }
        try:
            with aws_errors():
                self._table.meta.client.transact_write_items(
                    TransactItems=[{"Update": mark}, {"Update": note}]
                )
        except Conflict:
            return self._merge_outcome(object_type, primary_id, secondary_id)
        return MergeResult(
            object_type=object_type, primary_id=primary_id, merged_ids=[secondary_id], surviving_id=primary_id
        )

    def _merge_outcome(
        self, object_type: ObjectType, primary_id: RecordId, secondary_id: RecordId
    ) -> MergeResult:
        with aws_errors():
            item = self._table.get_item(Key={"pk": f"{object_type}#{secondary_id}"}, ConsistentRead=True).get(
                "Item"
            )
        if item is not None and item.get("merged_into") == primary_id:
            return MergeResult(
                object_type=object_type,
                primary_id=primary_id,
                merged_ids=[secondary_id],
                surviving_id=primary_id,
                detail="already merged",
            )
        raise NotFound(
            f"cannot merge {object_type} {secondary_id} into {primary_id}: missing or already merged"
        )

    def field_info(self, object_type: ObjectType) -> dict[FieldName, FieldInfo]:
        return {
            n: FieldInfo(field=n, crm_name=n, writable=n not in READ_ONLY)
            for n in CANONICAL_FIELDS[object_type]
        }

    def snapshot(self, object_type: ObjectType, record_ids: Sequence[RecordId]) -> list[RecordImage]:
        return [
            RecordImage(object_type=object_type, record_id=r.record_id, fields=dict(r.fields),
                        properties=dict(r.custom))
            for r in self.get_records(object_type, record_ids)
        ]  # fmt: skip

    def restore_merged(self, object_type: ObjectType, image: RecordImage, survivor_id: RecordId) -> RecordId:
        """Reinstates a record merged into ``survivor_id``: in one transaction the ``merged_into`` mark
        goes, its values become the image's, and the survivor forgets it in ``merged_ids``."""
        record = Record(object_type=object_type, record_id=image.record_id, fields=image.fields,
                        custom=image.properties)  # fmt: skip
        item = to_item(record)
        reinstate = {
            "TableName": self._table.name,
            "Key": {"pk": item["pk"]},
            "UpdateExpression": "SET #fs = :f, #cs = :c REMOVE merged_into, merged_at",
            "ConditionExpression": "merged_into = :s",
            "ExpressionAttributeNames": {"#fs": "fields", "#cs": "custom"},
            "ExpressionAttributeValues": {":f": item["fields"], ":c": item["custom"], ":s": survivor_id},
        }
        forget = {
            "TableName": self._table.name,
            "Key": {"pk": f"{object_type}#{survivor_id}"},
            "UpdateExpression": "DELETE merged_ids :m",
            "ConditionExpression": "attribute_exists(pk)",
            "ExpressionAttributeValues": {":m": {image.record_id}},
        }
        try:
            with aws_errors():
                self._table.meta.client.transact_write_items(
                    TransactItems=[{"Update": reinstate}, {"Update": forget}]
                )
        except Conflict:
            with aws_errors():
                now = self._table.get_item(Key={"pk": item["pk"]}, ConsistentRead=True).get("Item")
            if now is not None and "merged_into" not in now:
                return image.record_id  # reinstated before (a repeat)
            raise Conflict(
                f"cannot reinstate {object_type} {image.record_id}: it is missing or merged into "
                f"another record than {survivor_id}"
            ) from None
        return image.record_id
