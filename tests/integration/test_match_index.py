"""The DynamoDB match index on moto: Finalize stores it, the entry scan matches against it without
reading the CRM, and remove/add keep its keys exact."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from boto3.dynamodb.conditions import Key
from entry_handler import lambda_handler as entry_lambda

from crm_hygiene.adapters.aws.crm_store import DynamoCrmStore
from crm_hygiene.adapters.aws.match_index import DynamoMatchIndex, DynamoMatchIndexStore
from crm_hygiene.csvio.records import read_records
from crm_hygiene.local.sample import generate_sample
from crm_hygiene.models.crm import RecordPage
from crm_hygiene.services.dedup.pipeline import propose_merges
from crm_hygiene.wiring.aws import AwsDeps
from tests.events.factory import FakeContext, sqs_event


class NoListing:
    """The CRM, except that reading every record fails the test."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.listed = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def list_records(self, *args: Any, **kwargs: Any) -> RecordPage:
        self.listed += 1
        raise AssertionError("the entry scan read the whole CRM")


@pytest.fixture
def stored(aws: dict[str, str], deps: AwsDeps, tmp_path: Path) -> AwsDeps:
    """A CRM of 40 contacts whose weekly scan's Finalize ran (merge proposals and the match index)."""
    boto3.client("stepfunctions").create_state_machine(
        name="merge", roleArn="arn:aws:iam::123456789012:role/merge",
        definition=json.dumps({"StartAt": "Wait", "States": {"Wait": {"Type": "Pass", "End": True}}}),
    )  # fmt: skip
    generate_sample(tmp_path, contacts=40, seed=9)
    assert isinstance(deps.crm, DynamoCrmStore)
    deps.crm.put_records(list(read_records(tmp_path / "contacts.csv")))
    figures = propose_merges(deps.pipeline(), "run-1", "contact")
    assert figures["match_index_records"] == 40 and figures["match_index_unchanged"] == 0
    return deps


def _items_of(table: Any, record_key: str) -> set[str]:
    found = table.query(IndexName="by_record", KeyConditionExpression=Key("record_key").eq(record_key))
    return {item["block_key"] for item in found["Items"]}


def _index(deps: AwsDeps) -> DynamoMatchIndex:
    store = deps.match_index
    assert isinstance(store, DynamoMatchIndexStore)
    index = store.open("contact")
    assert isinstance(index, DynamoMatchIndex)
    return index


def test_finalize_stores_the_snapshot_keys_and_fields(stored: AwsDeps) -> None:
    table = boto3.resource("dynamodb").Table(stored.settings.match_index_table)
    index = _index(stored)
    [record] = stored.crm.get_records("contact", ["100003"])
    keys = {index.block_key(k) for k in index.snapshot.record_keys(record.fields)}
    assert keys and _items_of(table, "contact#100003") == keys | {"contact#record#100003"}
    projection = index.projections(["100003"])["100003"]
    assert projection["fields"]["email"] == record.get("email")
    assert not any("@" in k for k in keys)  # keys are digests, not emails
    # A second scan of an unchanged CRM rewrites nothing but the snapshot.
    again = propose_merges(stored.pipeline(), "run-2", "contact")
    assert again["match_index_unchanged"] == 40 and again["match_index_items_put"] == 0


def test_a_new_twin_at_entry_is_found_in_dynamodb_without_listing_the_crm(
    aws: dict[str, str], stored: AwsDeps
) -> None:
    deps = stored
    assert isinstance(deps.crm, DynamoCrmStore)
    [original] = deps.crm.get_records("contact", ["100003"])
    twin = original.model_copy(
        update={"record_id": "990001", "fields": {**original.fields, "record_id": "990001"}}
    )
    deps.crm.put_records([twin])
    sfn = boto3.client("stepfunctions")
    before = len(sfn.list_executions(stateMachineArn=aws["MERGE_WORKFLOW_ARN"])["executions"])
    guarded = NoListing(deps.crm)
    deps.__dict__["crm"] = guarded  # the cached CRM adapter, wrapped
    body = json.dumps({"object_type": "contact", "record_id": "990001", "reason": "created"})
    assert entry_lambda(sqs_event([body], queue="scan-requests"), FakeContext(), deps=deps) == {
        "batchItemFailures": []
    }
    assert guarded.listed == 0
    executions = sfn.list_executions(stateMachineArn=aws["MERGE_WORKFLOW_ARN"])["executions"]
    assert len(executions) == before + 1
    newest = max(executions, key=lambda e: e["startDate"])
    started = json.loads(sfn.describe_execution(executionArn=newest["executionArn"])["input"])
    assert set(started["proposal"]["members"]) == {"100003", "990001"}
    # The entry scan added the twin to the stored index.
    assert "990001" in {c.record_id for c in _index(deps).candidates(original.fields)}


def test_remove_makes_a_record_unfindable(stored: AwsDeps) -> None:
    table = boto3.resource("dynamodb").Table(stored.settings.match_index_table)
    index = _index(stored)
    [original] = stored.crm.get_records("contact", ["100003"])
    assert "100003" in {c.record_id for c in index.candidates(original.fields)}
    index.remove("100003")
    assert "100003" not in {c.record_id for c in index.candidates(original.fields)}
    assert _items_of(table, "contact#100003") == set()


def test_adding_a_changed_record_replaces_its_old_keys(stored: AwsDeps) -> None:
    table = boto3.resource("dynamodb").Table(stored.settings.match_index_table)
    index = _index(stored)
    [original] = stored.crm.get_records("contact", ["100003"])
    changed = {
        **original.fields, "first_name": "Quentin", "last_name": "Zabriskie", "email": "qz@unique-example.org",
        "phone": "+1 415 555 0199", "company": "Nowhere Works",
    }  # fmt: skip
    index.add("100003", changed)
    new_keys = {index.block_key(k) for k in index.snapshot.record_keys(changed)}
    old_keys = {index.block_key(k) for k in index.snapshot.record_keys(original.fields)}
    assert _items_of(table, "contact#100003") == new_keys | {"contact#record#100003"}
    assert old_keys - new_keys  # some keys changed, and those are gone
    assert "100003" in {c.record_id for c in index.candidates(changed)}
    assert "100003" not in {c.record_id for c in index.candidates(original.fields)}


def test_a_reload_in_small_chunks_over_threads_rewrites_only_what_is_missing(stored: AwsDeps) -> None:
    table = boto3.resource("dynamodb").Table(stored.settings.match_index_table)
    index = _index(stored)
    for record_id in ("100001", "100002", "100003"):
        index.remove(record_id)
    crm = stored.crm
    assert isinstance(crm, DynamoCrmStore)
    records = crm.list_records("contact", limit=100).records
    store = DynamoMatchIndexStore(table, chunk=7, workers=4)
    entries = ((r.record_id, r.fields, index.snapshot.record_keys(r.fields)) for r in records)
    figures = store.save("contact", index.snapshot, entries)
    assert figures["records"] == 40 and figures["unchanged"] == 37 and figures["items_deleted"] == 0
    [record] = crm.get_records("contact", ["100003"])
    assert "100003" in {c.record_id for c in index.candidates(record.fields)}
    assert store.generation("contact") is not None


class _Flaky:
    """A table whose client leaves the first batch call's work unprocessed (as DynamoDB does when
    throttled)."""

    name = "match-index"

    def __init__(self) -> None:
        self.meta = self
        self.client = self
        self.written: list[dict[str, Any]] = []
        self.calls = 0

    def batch_write_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:  # noqa: N803
        self.calls += 1
        requests = RequestItems[self.name]
        if self.calls == 1:
            return {"UnprocessedItems": {self.name: requests[1:]}}
        self.written.extend(requests)
        return {"UnprocessedItems": {}}

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:  # noqa: N803
        self.calls += 1
        keys = RequestItems[self.name]["Keys"]
        if self.calls == 1:
            return {"Responses": {self.name: [keys[0]]}, "UnprocessedKeys": {self.name: {"Keys": keys[1:]}}}
        return {"Responses": {self.name: list(keys)}}


def test_unprocessed_items_and_keys_are_sent_again(monkeypatch: pytest.MonkeyPatch) -> None:
    from crm_hygiene.adapters.aws import match_index

    monkeypatch.setattr("crm_hygiene.adapters.aws.match_index.time.sleep", lambda _: None)
    table = _Flaky()
    match_index._batch_write(table, [{"block_key": "a", "record_key": str(i)} for i in range(3)], [])
    assert table.calls == 2 and len(table.written) == 2  # the first item was taken, then the other two
    table = _Flaky()
    got = match_index._batch_get(table, [{"block_key": "a", "record_key": str(i)} for i in range(150)])
    assert len(got) == 150 and table.calls == 3  # 100 (1 taken, 99 again) + 50
