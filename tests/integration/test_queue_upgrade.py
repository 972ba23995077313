"""A deployed queue upgraded to the searchable, sortable one (STYLE point 14): items stored by version 1
(tests/data/compat/persisted.v1.json: no label, no search or order attributes) still list newest first
at once, and after ``DynamoChangeQueue.reindex`` sort by confidence and priority and are found by id."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from crm_hygiene.adapters.aws.change_queue import DynamoChangeQueue
from crm_hygiene.models.review_query import ReviewFilter
from infra import names
from infra.tables import TABLES, create_table

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "compat" / "persisted.v1.json"


@pytest.fixture
def table() -> Iterator[Any]:
    with mock_aws():
        create_table(boto3.client("dynamodb"), "queue", TABLES[names.CHANGE_QUEUE_TABLE])
        table = boto3.resource("dynamodb").Table("queue")
        for raw in json.loads(FIXTURE.read_text())["change_queue_items"]:
            table.put_item(Item=raw)
        yield table


def test_version_1_items_list_at_once_and_sort_and_search_after_reindexing(table: Any) -> None:
    queue = DynamoChangeQueue(table)
    # Given items written by version 1: they parse, with an empty label, and list newest first
    newest, _ = queue.list()
    assert [i.review_id for i in newest] == ["merge-100017-100093", newest[1].review_id]
    assert all(i.label == "" for i in newest)
    # but the new orders' indexes and the search do not hold them yet
    assert queue.list(sort="confidence") == ([], None)
    assert queue.list(q="100093") == ([], None)
    # When the queue is reindexed (twice: the second finds nothing left to do)
    assert queue.reindex() == 2 and queue.reindex() == 0
    # Then every order holds them, the search finds the merge by its other member, and nothing else changed
    assert {i.review_id for i in queue.list(sort="priority")[0]} == {i.review_id for i in newest}
    assert [i.review_id for i in queue.list(q="100093")[0]] == ["merge-100017-100093"]
    assert [queue.get(i.review_id) for i in newest] == newest
    assert queue.counts(ReviewFilter(status="queued")).total == 1
