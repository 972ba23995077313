"""One contract for every ``ChangeQueue`` (STYLE point 22): in memory, and DynamoDB on moto with the
stack's own table definition (infra/tables.py), so the fake the unit tests use cannot drift from the
adapter. The reference for filters, search and orders is ``models/review_query.py``."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from crm_hygiene.adapters.aws.change_queue import DynamoChangeQueue
from crm_hygiene.errors import Conflict, InvalidRequest, NotFound
from crm_hygiene.memory import InMemoryChangeQueue
from crm_hygiene.models.merge import MergeProposal
from crm_hygiene.models.review import ReviewItem
from crm_hygiene.models.review_query import ReviewFilter, order_key
from crm_hygiene.ports import ChangeQueue
from crm_hygiene.types import REVIEW_SORTS, ChangeStatus, QueueKind, ReviewSort
from infra import names
from infra.tables import TABLES, create_table


def _dynamo() -> Iterator[ChangeQueue]:
    with mock_aws():
        create_table(boto3.client("dynamodb"), "queue", TABLES[names.CHANGE_QUEUE_TABLE])
        yield DynamoChangeQueue(boto3.resource("dynamodb").Table("queue"))


def _memory() -> Iterator[ChangeQueue]:
    yield InMemoryChangeQueue()


BUILDERS: dict[str, Callable[[], Iterator[ChangeQueue]]] = {"memory": _memory, "dynamodb": _dynamo}


@pytest.fixture(params=list(BUILDERS))
def queue(request: pytest.FixtureRequest) -> Iterator[ChangeQueue]:
    yield from BUILDERS[request.param]()


T0 = datetime(2026, 12, 1, 9, tzinfo=UTC)
NAMES = ["Ana Pérez", "Bob Stone", "Chloé Martin", "Dan Ng", "Eve Adams", "Fay Wong", "Gus Lee"]
COMPANIES = ["Acme", "Globex", "Initech"]
STATUSES: list[ChangeStatus] = ["queued", "queued", "blocked", "applied", "rejected"]
KINDS: list[QueueKind] = ["malformed", "placeholder", "enrich", "missing_critical"]
FIELDS = ["email", "phone", "company"]


def _item(n: int, **changes: Any) -> ReviewItem:
    name = NAMES[n % len(NAMES)]
    company = COMPANIES[n % len(COMPANIES)]
    email = f"{name.split()[0].lower()}{n}@example.com"
    base: dict[str, Any] = {
        "review_id": f"r{n:04d}",
        "run_id": f"run-{n % 3}",
        "kind": KINDS[n % len(KINDS)],
        "change_kind": "normalize",
        "object_type": "contact" if n % 5 else "company",
        "record_id": f"{100000 + n}",
        "field": FIELDS[n % len(FIELDS)],
        "current_value": "x",
        "suggested_value": "y",
        "evidence": "e",
        # a few equal confidences, so the orders' tie-breaks are exercised
        "confidence": round((n * 37 % 20) / 20, 2),
        "protected": False,
        "decision": "review",
        "status": STATUSES[n % len(STATUSES)],
        "source": "check.test",
        "created_at": T0 + timedelta(minutes=n * 7 % 101, seconds=n),
        "priority": "high" if n % 11 == 0 else "normal",
        "label": f"{name} <{email}>, {company}",
    }
    return ReviewItem.model_validate({**base, **changes})


ITEMS = [_item(n) for n in range(90)]


def _all_pages(queue: ChangeQueue, limit: int, **query: Any) -> list[list[ReviewItem]]:
    pages, cursor = [], None
    while True:
        page, cursor = queue.list(limit=limit, cursor=cursor, **query)
        pages.append(page)
        if cursor is None:
            return pages
        assert len(pages) < 100


def _expected(where: ReviewFilter, sort: ReviewSort) -> list[str]:
    from crm_hygiene.models.review_query import SORT_ATTRIBUTES

    _, ascending = SORT_ATTRIBUTES[sort]
    matching = [i for i in ITEMS if where.matches(i)]
    matching.sort(key=lambda i: order_key(i, sort), reverse=not ascending)
    return [i.review_id for i in matching]


QUERIES: list[dict[str, Any]] = [
    {},
    {"status": "queued"},
    {"kind": "enrich"},
    {"object_type": "company"},
    {"field": "phone"},
    {"run_id": "run-1"},
    {"status": "queued", "field": "email", "object_type": "contact"},
    {"run_id": "run-2", "kind": "malformed"},
    {"q": "ACME"},
    {"q": "chloe"},
    {"q": "ana acme", "status": "queued"},
    {"status": "suppressed"},
]


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: "-".join(f"{k}={v}" for k, v in q.items()) or "all")
def test_every_page_is_full_until_the_last_in_the_order_asked(
    queue: ChangeQueue, query: dict[str, Any]
) -> None:
    # Given 90 items over statuses, kinds, fields, runs and object types
    queue.put_new(ITEMS)
    for sort in REVIEW_SORTS:
        # When the queue is read page by page in each order
        pages = _all_pages(queue, 7, sort=sort, **query)
        # Then every page but the last holds 7 items, and together they are the matching items in order
        assert all(len(p) == 7 for p in pages[:-1]), sort
        assert len(pages[-1]) <= 7 and (len(pages) == 1 or pages[-1]), sort
        assert [i.review_id for p in pages for i in p] == _expected(ReviewFilter(**query), sort), sort


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("PÉREZ", {n for n in range(90) if n % 7 == 0}),  # accents and case do not matter
        ("perez", {n for n in range(90) if n % 7 == 0}),
        ("bob8@example.com", {8}),  # an e-mail
        ("Initech", {n for n in range(90) if n % 3 == 2}),  # a company
        ("100042", {42}),  # a record id
        ("r0017", {17}),  # a review id
        ("nobody", set()),
    ],
)
def test_search_finds_names_emails_companies_and_ids(queue: ChangeQueue, q: str, expected: set[int]) -> None:
    queue.put_new(ITEMS)
    found, cursor = queue.list(q=q, limit=100)
    assert {int(i.review_id[1:]) for i in found} == expected and cursor is None


def test_search_finds_a_merge_by_any_member(queue: ChangeQueue) -> None:
    proposal = MergeProposal(object_type="contact", members=("200001", "200002"), match_probability=0.9,
                             suggested_primary="200001")  # fmt: skip
    merge = _item(200, review_id="merge-abc", change_kind="merge", kind="duplicate", record_id="200001",
                  field="", proposal=proposal, label="")  # fmt: skip
    queue.put_new([merge, *ITEMS[:5]])
    assert [i.review_id for i in queue.list(q="200002")[0]] == ["merge-abc"]


def test_a_cursor_not_issued_by_the_queue_is_refused(queue: ChangeQueue) -> None:
    queue.put_new(ITEMS)
    _, cursor = queue.list(status="queued", limit=5)
    assert cursor is not None
    forged = base64.urlsafe_b64encode(json.dumps({"review_id": "r0001"}).encode()).decode()
    for bad in ("not-a-cursor", "0", forged, cursor[:-3]):
        with pytest.raises(InvalidRequest):
            queue.list(status="queued", limit=5, cursor=bad)
    with pytest.raises(InvalidRequest):  # a cursor of another filter or order
        queue.list(status="blocked", limit=5, cursor=cursor)
    with pytest.raises(InvalidRequest):
        queue.list(status="queued", sort="oldest", limit=5, cursor=cursor)


def test_items_queued_between_pages_shift_nothing(queue: ChangeQueue) -> None:
    # Given the first page of the oldest items
    queue.put_new(ITEMS)
    first, cursor = queue.list(sort="oldest", limit=10)
    # When newer items arrive before the next page
    queue.put_new([_item(n, created_at=T0 + timedelta(days=3, minutes=n)) for n in range(500, 505)])
    rest = [i for p in _all_pages_from(queue, cursor, sort="oldest", limit=10) for i in p]
    # Then the pages continue where the first stopped, nothing repeated or skipped, the new ones last
    ids = [i.review_id for i in [*first, *rest]]
    assert len(ids) == len(set(ids)) == 95 and ids[-5:] == [f"r{n:04d}" for n in range(500, 505)]


def _all_pages_from(queue: ChangeQueue, cursor: str | None, **query: Any) -> list[list[ReviewItem]]:
    pages = []
    while cursor is not None:
        page, cursor = queue.list(cursor=cursor, **query)
        pages.append(page)
    return pages


def test_a_transition_moves_an_item_between_filters_and_orders(queue: ChangeQueue) -> None:
    queue.put_new(ITEMS)
    item = queue.get("r0001")  # queued, normal priority
    assert item.status == "queued" and item.priority == "normal"
    moved = queue.transition(item, "approved", priority="high", reviewer="ana")
    assert "r0001" not in {i.review_id for i in queue.list(status="queued", limit=200)[0]}
    assert [i.review_id for i in queue.list(status="approved", limit=200)[0]] == ["r0001"]
    first, _ = queue.list(sort="priority", limit=1, status="approved")
    assert first == [moved]
    with pytest.raises(Conflict):
        queue.transition(item, "rejected")


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: "-".join(f"{k}={v}" for k, v in q.items()) or "all")
def test_counts_match_the_items_the_filter_lists(queue: ChangeQueue, query: dict[str, Any]) -> None:
    queue.put_new(ITEMS)
    where = ReviewFilter(**query)
    counts = queue.counts(where)
    matching = [i for i in ITEMS if where.matches(i)]
    assert counts.total == len(matching) == len(queue.list(limit=500, **query)[0])
    for attribute, tally in (("status", counts.by_status), ("kind", counts.by_kind), ("field", counts.by_field),
                             ("object_type", counts.by_object_type)):  # fmt: skip
        expected: dict[str, int] = {}
        for i in matching:
            expected[getattr(i, attribute)] = expected.get(getattr(i, attribute), 0) + 1
        assert tally == expected


def test_an_empty_queue_lists_and_counts_nothing(queue: ChangeQueue) -> None:
    assert queue.list(sort="confidence", q="ana") == ([], None)
    assert queue.counts(ReviewFilter()).total == 0
    with pytest.raises(NotFound):
        queue.get("r0001")


def test_enqueueing_is_idempotent_and_keeps_the_first(queue: ChangeQueue) -> None:
    assert queue.put_new(ITEMS[:3]) == ITEMS[:3]
    assert queue.put_new([ITEMS[0].model_copy(update={"label": "other"}), ITEMS[3]]) == [ITEMS[3]]
    assert queue.get("r0000") == ITEMS[0]


def test_the_oldest_waiting_item_is_found(queue: ChangeQueue) -> None:
    queue.put_new(ITEMS)
    oldest = queue.oldest("blocked")
    blocked = [i for i in ITEMS if i.status == "blocked"]
    assert oldest is not None and oldest.created_at == min(i.created_at for i in blocked)
