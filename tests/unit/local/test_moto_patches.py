"""The local stack's moto patches keep AWS semantics: a failed transaction still changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from crm_hygiene.local import moto_patches


@pytest.fixture
def table() -> Iterator[Any]:
    moto_patches.apply()
    with mock_aws():
        ddb = boto3.resource("dynamodb", region_name="us-east-1")
        created = ddb.create_table(TableName="crm", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                                   BillingMode="PAY_PER_REQUEST")  # fmt: skip
        created.put_item(Item={"pk": "contact#1", "name": "Ada"})
        created.put_item(Item={"pk": "contact#2", "name": "Ada L."})
        yield created


def _merge(table: Any, condition_on_2: str) -> None:
    client = table.meta.client
    client.transact_write_items(TransactItems=[
        {"Update": {"TableName": "crm", "Key": {"pk": "contact#2"}, "UpdateExpression": "SET merged_into = :p",
                    "ConditionExpression": condition_on_2, "ExpressionAttributeValues": {":p": "1"}}},
        {"Update": {"TableName": "crm", "Key": {"pk": "contact#1"}, "UpdateExpression": "SET #n = :n",
                    "ExpressionAttributeNames": {"#n": "name"}, "ExpressionAttributeValues": {":n": "Ada Lovelace"}}},
        {"Put": {"TableName": "crm", "Item": {"pk": "alias#2", "to": "1"}}},
    ])  # fmt: skip


def test_a_transaction_applies_every_item(table: Any) -> None:
    _merge(table, "attribute_not_exists(merged_into)")
    assert table.get_item(Key={"pk": "contact#2"})["Item"]["merged_into"] == "1"
    assert table.get_item(Key={"pk": "contact#1"})["Item"]["name"] == "Ada Lovelace"
    assert "Item" in table.get_item(Key={"pk": "alias#2"})


def test_a_cancelled_transaction_leaves_every_item_as_it_was(table: Any) -> None:
    _merge(table, "attribute_not_exists(merged_into)")
    table.delete_item(Key={"pk": "alias#2"})
    table.put_item(Item={"pk": "contact#1", "name": "Ada"})
    before = table.scan()["Items"]
    # When the same merge runs again, its first condition now fails (after moto applied nothing else)
    # and a later item would have changed or created something
    with pytest.raises(ClientError, match="TransactionCanceled"):
        _merge(table, "attribute_not_exists(merged_into)")
    assert sorted(table.scan()["Items"], key=lambda i: i["pk"]) == sorted(before, key=lambda i: i["pk"])
