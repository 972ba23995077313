"""Every DynamoDB table's keys, indexes, TTL and stream: one description, read by the stack
(``infra/components/storage.py``) and by whatever creates the tables without CloudFormation (the
moto fixtures of the tests, benchmarks), so a table in a test is the table the stack deploys.

Plain data (no ``aws_cdk`` import): tests and tools import it without starting jsii.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

from infra import names

AttributeType = Literal["S", "N", "B"]


@dataclass(frozen=True)
class Key:
    partition: tuple[str, AttributeType]
    sort: tuple[str, AttributeType] | None = None

    @property
    def attributes(self) -> list[tuple[str, AttributeType]]:
        return [self.partition, *([self.sort] if self.sort else [])]


@dataclass(frozen=True)
class TableSpec:
    key: Key
    indexes: dict[str, Key]
    ttl: str | None = None
    stream: Literal["NEW_AND_OLD_IMAGES"] | None = None


def _key(
    pk: str, sk: str | None = None, *, pk_type: AttributeType = "S", sk_type: AttributeType = "S"
) -> Key:
    return Key((pk, pk_type), (sk, sk_type) if sk else None)


TABLES: Final[dict[str, TableSpec]] = {
    names.CHANGE_QUEUE_TABLE: TableSpec(
        _key("review_id"),
        {
            "by_status": _key("status", "created_at"),
            "by_kind": _key("kind", "created_at"),
            "by_object": _key("object_type", "created_at"),
            "by_created": _key("created_day", "created_at"),
            "by_run": _key("run_id", "created_at"),
            # the queue's other orders (adapters/aws/change_queue.py): sort keys written at put time
            "by_status_confidence": _key("status", "sort_confidence"),
            "by_status_priority": _key("status", "sort_priority"),
        },
    ),
    names.AUDIT_TABLE: TableSpec(
        _key("record_key", "seq", sk_type="N"),
        {"by_run": _key("run_id", "at"), "by_change": _key("change_id", "at")},
    ),
    names.DECISION_MEMORY_TABLE: TableSpec(_key("key"), {}),
    names.HEALTH_TABLE: TableSpec(_key("pk", "sk"), {}),
    names.MATCH_INDEX_TABLE: TableSpec(
        _key("block_key", "record_key"), {"by_record": _key("record_key", "block_key")}
    ),
    names.IDEMPOTENCY_TABLE: TableSpec(_key("id"), {}, ttl="expiration"),
    names.JOBS_TABLE: TableSpec(_key("pk", "sk"), {}),
    names.CRM_TABLE: TableSpec(
        _key("pk"), {"by_type": _key("object_type", "record_id")}, stream="NEW_AND_OLD_IMAGES"
    ),
}


def _schema(key: Key) -> list[dict[str, str]]:
    return [
        {"AttributeName": name, "KeyType": "HASH" if i == 0 else "RANGE"}
        for i, (name, _) in enumerate(key.attributes)
    ]


def create_table_request(name: str, spec: TableSpec) -> dict[str, Any]:
    """The ``CreateTable`` request (boto3 keywords) for a table like the stack's, named ``name``."""
    attributes: dict[str, str] = {}
    for key in (spec.key, *spec.indexes.values()):
        attributes.update(key.attributes)
    request: dict[str, Any] = {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": _schema(spec.key),
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in attributes.items()],
    }
    if spec.indexes:
        request["GlobalSecondaryIndexes"] = [
            {"IndexName": index, "KeySchema": _schema(key), "Projection": {"ProjectionType": "ALL"}}
            for index, key in spec.indexes.items()
        ]
    if spec.stream:
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": spec.stream}
    return request


def create_table(client: Any, name: str, spec: TableSpec) -> None:
    """Creates the table (and its TTL) through a boto3 DynamoDB ``client``."""
    client.create_table(**create_table_request(name, spec))
    if spec.ttl:
        client.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl}
        )
