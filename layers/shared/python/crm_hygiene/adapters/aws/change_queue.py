"""``DynamoChangeQueue``: the review queue in DynamoDB (table and GSIs in docs/pipeline.md)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from crm_hygiene.adapters.aws.codec import decode_cursor, encode_cursor
from crm_hygiene.adapters.aws.errors import aws_errors
from crm_hygiene.errors import BackendError, Conflict, InvalidRequest, NotFound
from crm_hygiene.models.review import ReviewItem, advance
from crm_hygiene.types import ChangeStatus, ObjectType

# filter -> (index name, key attribute); the first filter given picks the index, the rest filter.
_INDEXES = (("status", "by_status"), ("run_id", "by_run"), ("kind", "by_kind"), ("object_type", "by_object"))


def to_item(item: ReviewItem) -> dict[str, Any]:
    """The persisted shape: strings and integers only (no floats for DynamoDB); None left out."""
    data = item.model_dump(mode="json", exclude_none=True)
    data["confidence"] = str(item.confidence)
    if "proposal" in data:
        data["proposal"] = json.dumps(data["proposal"], separators=(",", ":"))
    data["created_day"] = item.created_at.date().isoformat()
    if not item.run_id:
        del data["run_id"]  # an index key cannot be an empty string: no run, not in the run index
    return data


def from_item(data: dict[str, Any]) -> ReviewItem:
    body = {k: v for k, v in data.items() if k != "created_day"}
    body["confidence"] = float(body["confidence"])
    body["version"] = int(body.get("version", 0))
    body.setdefault("run_id", "")
    if isinstance(body.get("proposal"), str):
        body["proposal"] = json.loads(body["proposal"])
    return ReviewItem.model_validate(body)


class DynamoChangeQueue:
    """Implements ``ChangeQueue`` on one table; takes a boto3 DynamoDB ``Table`` resource."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def put_new(self, items: Sequence[ReviewItem]) -> list[ReviewItem]:
        added = []
        for item in items:
            try:
                with aws_errors():
                    self._table.put_item(
                        Item=to_item(item), ConditionExpression="attribute_not_exists(review_id)"
                    )
            except Conflict:
                continue  # already queued: enqueueing is idempotent
            added.append(item)
        return added

    def get(self, review_id: str) -> ReviewItem:
        with aws_errors():
            response = self._table.get_item(Key={"review_id": review_id}, ConsistentRead=True)
        if "Item" not in response:
            raise NotFound(f"review {review_id} does not exist")
        return from_item(response["Item"])

    def list(
        self,
        *,
        status: ChangeStatus | None = None,
        kind: str | None = None,
        object_type: ObjectType | None = None,
        run_id: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> tuple[list[ReviewItem], str | None]:
        filters = {
            k: v
            for k, v in (("status", status), ("run_id", run_id), ("kind", kind), ("object_type", object_type))
            if v is not None
        }
        request: dict[str, Any] = {"Limit": limit}
        start = decode_cursor(cursor)
        if start is not None and not (
            isinstance(start.get("review_id"), str) and all(isinstance(v, str | int) for v in start.values())
        ):  # the keys a page of this table ends on; anything else was not issued by us
            raise InvalidRequest("invalid cursor: pass back a page's next_cursor, unchanged")
        if start:
            request["ExclusiveStartKey"] = start
        index = next(((a, i) for a, i in _INDEXES if a in filters), None)
        rest = {k: v for k, v in filters.items() if index is None or k != index[0]}
        if rest:
            names = {f"#f{i}": k for i, k in enumerate(rest)}
            values = {f":f{i}": v for i, v in enumerate(rest.values())}
            request["FilterExpression"] = " AND ".join(f"#f{i} = :f{i}" for i in range(len(rest)))
            request["ExpressionAttributeNames"] = names
            request["ExpressionAttributeValues"] = values
        try:
            with aws_errors():
                response = self._query(index, filters, request) if index else self._table.scan(**request)
        except BackendError as exc:
            if start and exc.service_code == "ValidationException":  # a cursor we did not issue
                raise InvalidRequest(
                    "invalid cursor: pass back the next_cursor of a page, unchanged"
                ) from exc
            raise
        items = [from_item(x) for x in response.get("Items", [])]
        return items, encode_cursor(response.get("LastEvaluatedKey"))

    def _query(self, index: tuple[str, str], filters: dict[str, str], request: dict[str, Any]) -> Any:
        attribute, name = index
        request.setdefault("ExpressionAttributeNames", {})["#k"] = attribute
        request.setdefault("ExpressionAttributeValues", {})[":k"] = filters[attribute]
        return self._table.query(
            IndexName=name, KeyConditionExpression="#k = :k", ScanIndexForward=False, **request
        )

    def transition(self, item: ReviewItem, status: ChangeStatus, **changes: Any) -> ReviewItem:
        updated = advance(item, status, **changes)
        try:
            with aws_errors():
                self._table.put_item(
                    Item=to_item(updated),
                    ConditionExpression="attribute_exists(review_id) AND version = :v",
                    ExpressionAttributeValues={":v": item.version},
                )
        except Conflict:
            raise Conflict(f"review {item.review_id} changed since it was read") from None
        return updated

    def oldest(self, status: ChangeStatus) -> ReviewItem | None:
        with aws_errors():
            response = self._table.query(
                IndexName="by_status",
                KeyConditionExpression="#s = :s",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":s": status},
                ScanIndexForward=True,
                Limit=1,
            )
        items = response.get("Items", [])
        return from_item(items[0]) if items else None

    def set_task_token(self, review_id: str, token: str) -> None:
        try:
            with aws_errors():
                self._table.update_item(
                    Key={"review_id": review_id},
                    UpdateExpression="SET task_token = :t, updated_at = :u",
                    ConditionExpression="attribute_exists(review_id)",
                    ExpressionAttributeValues={":t": token, ":u": datetime.now(UTC).isoformat()},
                )
        except Conflict:
            raise NotFound(f"review {review_id} does not exist") from None
