"""``DynamoChangeQueue``: the review queue in DynamoDB (table and GSIs in docs/pipeline.md).

**Lists filter in the query, and every page is full.** A page comes from one or more partitions of a
GSI whose sort key is the order asked for (``_plan``): newest/oldest from the most selective partition
given (``by_run``, ``by_status``, ``by_kind``, ``by_object``); confidence and priority from
``by_status_confidence`` / ``by_status_priority`` (sort keys ``sort_confidence``, ``sort_priority``,
written at put time). The other equalities and the search terms (``contains`` on the ``search``
attribute, also written at put time: the normalized label, record id, review id and merge members) are
a FilterExpression. DynamoDB applies ``Limit`` before the filter, so a page is read in as many calls
as it takes to fill it (``_merge``), each larger than the last; without a status, the twelve status
partitions are read side by side and merged in order (a k-way merge), so the cursor holds a position
per partition. The index is read for keys only (review id, partition, sort key: what the merge compares
and the cursor holds; what the filter refuses or the merge reads ahead is never transferred whole),
and the page's items are then fetched by key (one BatchGetItem per 100). The next page starts after
the last item returned (not after the last item read), so nothing is skipped. A page reads at most
``MAX_CALLS`` queries: past that (a very selective search in a very large queue) the page comes back
short with a cursor that continues the search; it never repeats or skips an item. Cost per page, in
items read: ``limit`` when nothing is filtered out, up to ``limit / selectivity`` with a filter; about
12x more, at worst, without a status; plus the page's ``limit`` items read again by key.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from crm_hygiene.adapters.aws.errors import aws_errors
from crm_hygiene.errors import BackendError, Conflict, InvalidRequest, NotFound, Throttled
from crm_hygiene.models.review import ReviewItem, advance
from crm_hygiene.models.review_query import (
    COUNTED,
    SORT_ATTRIBUTES,
    ReviewCounts,
    ReviewFilter,
    count,
    decode_position,
    encode_position,
    order_key,
    search_key,
)
from crm_hygiene.types import CHANGE_STATUSES, ChangeStatus, FieldName, ObjectType, ReviewSort

# filter -> the GSI partitioned by it and sorted by created_at, most selective first
_BY_CREATED = (
    ("run_id", "by_run"), ("status", "by_status"), ("kind", "by_kind"), ("object_type", "by_object")
)  # fmt: skip
# sort attribute -> the GSI partitioned by status and sorted by it
_BY_STATUS = {"created_at": "by_status", "sort_confidence": "by_status_confidence",
              "sort_priority": "by_status_priority"}  # fmt: skip
_DERIVED = ("created_day", "search", "sort_confidence", "sort_priority")
MAX_CALLS = 40
"""Queries one page may make (each reads at most 1 MB); see the module docstring."""
_BATCH_MAX = 1000
_FILTERED_START = 4
_RETRIES = 8
_START: Any = None  # a partition's position before its first item
_DONE = 0  # a partition's position once read to its end


def to_item(item: ReviewItem) -> dict[str, Any]:
    """The persisted shape: strings and integers only (no floats for DynamoDB); None left out; plus
    the derived attributes the indexes and the search read."""
    data = item.model_dump(mode="json", exclude_none=True)
    data["confidence"] = str(item.confidence)
    if "proposal" in data:
        data["proposal"] = json.dumps(data["proposal"], separators=(",", ":"))
    data["created_day"] = item.created_at.date().isoformat()
    data["sort_confidence"] = order_key(item, "confidence")
    data["sort_priority"] = order_key(item, "priority")
    data["search"] = search_key(item)
    if not item.run_id:
        del data["run_id"]  # an index key cannot be an empty string: no run, not in the run index
    return data


def from_item(data: dict[str, Any]) -> ReviewItem:
    body = {k: v for k, v in data.items() if k not in _DERIVED}
    body["confidence"] = float(body["confidence"])
    body["version"] = int(body.get("version", 0))
    body.setdefault("run_id", "")
    if isinstance(body.get("proposal"), str):
        body["proposal"] = json.loads(body["proposal"])
    return ReviewItem.model_validate(body)


@dataclass(frozen=True)
class _Plan:
    """How one list request reads: which index, which partitions of it, in which direction, and the
    filter applied to what it reads."""

    index: str
    partition_attribute: str
    partitions: list[str]
    sort_attribute: str
    ascending: bool
    request: dict[str, Any]


def _plan(where: ReviewFilter, sort: ReviewSort) -> _Plan:
    attribute, ascending = SORT_ATTRIBUTES[sort]
    given = where.equalities
    keyed = next(((a, i) for a, i in _BY_CREATED if a in given), None) if attribute == "created_at" else None
    if keyed is None:
        keyed = ("status", _BY_STATUS[attribute])
    key, index = keyed
    partitions: list[str] = [given[key]] if key in given else list(CHANGE_STATUSES)
    request = _filter_request(where, exclude=(key,))
    return _Plan(index, key, partitions, attribute, ascending, request)


def _filter_request(where: ReviewFilter, exclude: Sequence[str]) -> dict[str, Any]:
    """The FilterExpression of the equalities not in the key condition and of the search terms."""
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    conditions = []
    for i, (attribute, value) in enumerate(where.equalities.items()):
        if attribute not in exclude:
            names[f"#f{i}"], values[f":f{i}"] = attribute, value
            conditions.append(f"#f{i} = :f{i}")
    if where.terms:
        names["#s"] = "search"
    for i, term in enumerate(where.terms):
        values[f":t{i}"] = term
        conditions.append(f"contains(#s, :t{i})")
    if not conditions:
        return {}
    return {"FilterExpression": " AND ".join(conditions), "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values}  # fmt: skip


def _positions(plan: _Plan, position: Any) -> dict[str, Any]:
    """A cursor's position per partition, checked to be one this plan issues."""
    valid = isinstance(position, dict) and all(
        p in plan.partitions
        and (v == _DONE or (isinstance(v, list) and len(v) == 2 and all(isinstance(x, str) and x for x in v)))
        for p, v in position.items()
    )
    if not valid:
        raise InvalidRequest("invalid cursor: pass back the next_cursor of a page, unchanged")
    return dict(position)


class _Stream:
    """One partition of the plan's index, read in order from a position, filtered, buffered."""

    def __init__(self, table: Any, plan: _Plan, partition: str, position: Any) -> None:
        self.table, self.plan, self.partition = table, plan, partition
        self.done = position == _DONE
        self.resume = self._key(position) if isinstance(position, list) else None
        self.buffer: deque[dict[str, Any]] = deque()
        self.last: list[str] | None = position if isinstance(position, list) else None
        self.batch = 0

    def _key(self, position: list[str]) -> dict[str, str]:
        sort_value, review_id = position
        return {"review_id": review_id, self.plan.partition_attribute: self.partition,
                self.plan.sort_attribute: sort_value}  # fmt: skip

    @property
    def waiting(self) -> bool:
        """Nothing buffered, but more may match."""
        return not self.buffer and not self.done

    def fetch(self, wanted: int) -> None:
        # DynamoDB counts Limit before the filter: each call of a page reads more than the one before,
        # and a filtered read starts larger (a search keeps a few items in a hundred: fewer round trips)
        first = (wanted + 1) * (_FILTERED_START if "FilterExpression" in self.plan.request else 1)
        self.batch = min(_BATCH_MAX, max(first, self.batch * 4))
        request = {**self.plan.request, "IndexName": self.plan.index, "Limit": self.batch,
                   "KeyConditionExpression": "#p = :p", "ScanIndexForward": self.plan.ascending}  # fmt: skip
        # keys only: what the merge compares and the cursor needs; the page's items are fetched by key
        request["ExpressionAttributeNames"] = {**request.get("ExpressionAttributeNames", {}),
                                               "#p": self.plan.partition_attribute, "#r": "review_id",
                                               "#o": self.plan.sort_attribute}  # fmt: skip
        request["ProjectionExpression"] = "#r, #p, #o"
        request["ExpressionAttributeValues"] = {**request.get("ExpressionAttributeValues", {}),
                                                ":p": self.partition}  # fmt: skip
        if self.resume is not None:
            request["ExclusiveStartKey"] = self.resume
        response = self.table.query(**request)
        self.buffer.extend(response.get("Items", []))
        self.resume = response.get("LastEvaluatedKey")
        self.done = self.resume is None

    def head(self) -> tuple[str, str]:
        first = self.buffer[0]
        return str(first[self.plan.sort_attribute]), str(first["review_id"])

    def take(self) -> dict[str, Any]:
        item = self.buffer.popleft()
        self.last = [str(item[self.plan.sort_attribute]), str(item["review_id"])]
        return item

    def position(self) -> Any:
        """Where the next page reads this partition from: after the last item returned; or, when
        nothing read is left over, after the last item read (what the filter refused is not read
        again); or ``_DONE``."""
        if self.buffer:
            return self.last if self.last is not None else _START
        if self.done:
            return _DONE
        if self.resume is None:
            return _START
        return [str(self.resume[self.plan.sort_attribute]), str(self.resume["review_id"])]


def _merge(streams: list[_Stream], plan: _Plan, limit: int) -> tuple[list[dict[str, Any]], bool]:
    """Up to ``limit`` matching items in order across the partitions, and whether none is left."""
    page: list[dict[str, Any]] = []
    calls = 0
    while True:
        wanted = limit - len(page)
        for stream in streams:  # every partition's next item is known before one is taken
            while stream.waiting and calls < MAX_CALLS:
                stream.fetch(max(wanted, 1))
                calls += 1
        if any(s.waiting for s in streams):
            return page, False  # out of calls: a short page, the cursor continues
        ready = [s for s in streams if s.buffer]
        if not ready:
            return page, True
        if len(page) == limit:
            return page, False
        pick = min if plan.ascending else max
        page.append(pick(ready, key=_Stream.head).take())


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
        field: FieldName | None = None,
        q: str | None = None,
        sort: ReviewSort = "newest",
        limit: int = 50,
        cursor: str | None = None,
    ) -> tuple[list[ReviewItem], str | None]:
        where = ReviewFilter.model_validate(
            {"status": status, "kind": kind, "object_type": object_type, "run_id": run_id, "field": field,
             "q": q}
        )  # fmt: skip
        plan = _plan(where, sort)
        digest = where.digest(sort)
        positions = _positions(plan, decode_position(cursor, digest)) if cursor is not None else {}
        streams = [_Stream(self._table, plan, p, positions.get(p, _START)) for p in plan.partitions]
        try:
            with aws_errors():
                page, complete = _merge(streams, plan, limit)
        except BackendError as exc:
            if cursor is not None and exc.service_code == "ValidationException":  # a key we did not issue
                raise InvalidRequest("invalid cursor: pass back a page's next_cursor, unchanged") from exc
            raise
        items = [from_item(x) for x in self._fetch([str(k["review_id"]) for k in page])]
        if complete:
            return items, None
        positions = {s.partition: s.position() for s in streams}
        return items, encode_position(digest, {p: v for p, v in positions.items() if v is not _START})

    def _fetch(self, review_ids: Sequence[str]) -> Sequence[dict[str, Any]]:
        """The items, in the order asked (BatchGetItem, 100 a request, unprocessed keys asked again
        with backoff; ``Throttled`` after ``_RETRIES``). An item changed since the index was read is
        returned as it is now."""
        client = self._table.meta.client  # the resource's client: plain values in and out
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(review_ids), 100):
            keys = [{"review_id": r} for r in review_ids[start : start + 100]]
            pending: dict[str, Any] = {self._table.name: {"Keys": keys}}
            for attempt in range(_RETRIES):
                with aws_errors():
                    answer = client.batch_get_item(RequestItems=pending)
                for raw in answer.get("Responses", {}).get(self._table.name, []):
                    found[str(raw["review_id"])] = raw
                pending = answer.get("UnprocessedKeys") or {}
                if not pending:
                    break
                time.sleep(min(0.05 * 2**attempt, 2.0))
            else:
                raise Throttled(f"review items still unprocessed after {_RETRIES} attempts")
        return [found[r] for r in review_ids if r in found]

    def counts(self, where: ReviewFilter) -> ReviewCounts:
        """Reads every matching item's four counted attributes: one query of the most selective
        partition given (run, status, kind, object type), else a scan of the table (see the cost in
        docs/review-api.md)."""
        request = _filter_request(where, exclude=())
        names = request.setdefault("ExpressionAttributeNames", {})
        names.update({f"#c{i}": a for i, a in enumerate(COUNTED)})
        request["ProjectionExpression"] = ", ".join(f"#c{i}" for i in range(len(COUNTED)))
        keyed = next(((a, i) for a, i in _BY_CREATED if a in where.equalities), None)
        if keyed is not None:
            attribute, index = keyed
            names["#p"] = attribute
            request.setdefault("ExpressionAttributeValues", {})[":p"] = where.equalities[attribute]
            request.update(IndexName=index, KeyConditionExpression="#p = :p")
        read = self._table.query if keyed is not None else self._table.scan
        rows: list[dict[str, Any]] = []
        with aws_errors():
            while True:
                response = read(**request)
                rows.extend(response.get("Items", []))
                if "LastEvaluatedKey" not in response:
                    break
                request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return count(rows)

    def reindex(self) -> int:
        """Writes the attributes the queue's orders and search read (``sort_confidence``,
        ``sort_priority``, ``search``) on items stored before they existed; returns how many. Run
        once after upgrading a deployed queue (``crm-hygiene`` has no command for it yet: call it from
        a shell with the table); an item a reviewer changes meanwhile is skipped (it was rewritten)."""
        request: dict[str, Any] = {"FilterExpression": "attribute_not_exists(sort_priority)"}
        done = 0
        while True:
            with aws_errors():
                response = self._table.scan(**request)
            for raw in response.get("Items", []):
                item = from_item(raw)
                try:
                    with aws_errors():
                        self._table.put_item(
                            Item=to_item(item),
                            ConditionExpression="version = :v",
                            ExpressionAttributeValues={":v": item.version},
                        )
                    done += 1
                except Conflict:
                    continue
            if "LastEvaluatedKey" not in response:
                return done
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

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
