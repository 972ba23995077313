"""``DynamoDecisionMemory``: rejected change ids and pair keys, so proposals are not raised again."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from crm_hygiene.adapters.aws.errors import aws_errors


class DynamoDecisionMemory:
    """Implements ``DecisionMemory``; takes the table resource. Reads are cached per instance."""

    def __init__(self, table: Any) -> None:
        self._table = table
        self._cache: dict[str, bool] = {}

    def was_rejected(self, key: str) -> bool:
        hit = self._cache.get(key)
        if hit is None:
            with aws_errors():
                hit = "Item" in self._table.get_item(
                    Key={"key": key}, ProjectionExpression="#k", ExpressionAttributeNames={"#k": "key"}
                )
            self._cache[key] = hit
        return hit

    def remember_rejection(self, key: str, reason: str, reviewer: str) -> None:
        with aws_errors():
            self._table.put_item(
                Item={
                    "key": key,
                    "reason": reason[:1000],
                    "reviewer": reviewer,
                    "at": datetime.now(UTC).isoformat(),
                }
            )
        self._cache[key] = True
