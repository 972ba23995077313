"""``DynamoHealthStore``: per-record health, per-object aggregates and their trend over runs, and a
run's partition figures."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from boto3.dynamodb.conditions import Key

from crm_hygiene.adapters.aws.errors import aws_errors
from crm_hygiene.models.audit import record_key
from crm_hygiene.models.health import HealthPoint, HealthScore
from crm_hygiene.types import ObjectType


class DynamoHealthStore:
    """Implements ``HealthStore`` on the health table (pk/sk layout in docs/pipeline.md).

    Figures are stored as JSON strings: they hold floats, which DynamoDB would need as Decimals.
    """

    def __init__(self, table: Any) -> None:
        self._table = table

    def put_scores(self, scores: Sequence[HealthScore]) -> None:
        now = datetime.now(UTC).isoformat()
        with aws_errors(), self._table.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
            for s in scores:
                batch.put_item(
                    Item={
                        "pk": record_key(s.object_type, s.record_id),
                        "sk": "latest",
                        "score": str(s.score),
                        "detail": s.model_dump_json(),
                        "at": now,
                    }
                )

    def put_partition_totals(self, run_id: str, partition: str, figures: dict[str, Any]) -> None:
        with aws_errors():
            self._table.put_item(
                Item={"pk": f"run#{run_id}", "sk": partition, "figures": json.dumps(figures)}
            )

    def partition_totals(self, run_id: str) -> list[dict[str, Any]]:
        request: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(f"run#{run_id}"),
            "ConsistentRead": True,
        }
        out: list[dict[str, Any]] = []
        while True:
            with aws_errors():
                response = self._table.query(**request)
            out.extend(json.loads(item["figures"]) for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return out
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def put_aggregate(self, object_type: ObjectType, figures: dict[str, Any]) -> None:
        with aws_errors():
            self._table.put_item(
                Item={
                    "pk": f"aggregate#{object_type}",
                    "sk": "latest",
                    "figures": json.dumps(figures),
                    "at": datetime.now(UTC).isoformat(),
                }
            )

    def aggregate(self, object_type: ObjectType) -> dict[str, Any] | None:
        with aws_errors():
            response = self._table.get_item(Key={"pk": f"aggregate#{object_type}", "sk": "latest"})
        item = response.get("Item")
        return json.loads(item["figures"]) if item else None

    def put_history(self, point: HealthPoint) -> None:
        # sk: the run's start, then its id: a query reads the trend in time order, and a retried
        # finalize of the same run writes the same key again
        with aws_errors():
            self._table.put_item(
                Item={
                    "pk": f"history#{point.object_type}",
                    "sk": f"{point.at.astimezone(UTC).isoformat()}#{point.run_id}",
                    "point": point.model_dump_json(),
                }
            )

    def history(self, object_type: ObjectType, limit: int) -> list[HealthPoint]:
        with aws_errors():
            response = self._table.query(
                KeyConditionExpression=Key("pk").eq(f"history#{object_type}"),
                ScanIndexForward=False,
                Limit=limit,
            )
        newest_first = [HealthPoint.model_validate_json(item["point"]) for item in response.get("Items", [])]
        return newest_first[::-1]
