"""``DynamoDecisionMemory``: rejected change ids and pair keys, so proposals are not raised again."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from crm_hygiene.adapters.aws.errors import aws_errors


class DynamoDecisionMemory:
    """Implements ``DecisionMemory``; takes the table resource.

    Only "rejected" is cached: a rejection is permanent (nothing forgets one), so it holds for the
    container's life. "Not rejected" is asked of the table every time: the instance lives as long as
    its Lambda container, and a reviewer in another function (the review API) may reject the same
    merge a second later; a cached "no" would propose that merge again at entry for as long as the
    container lives.
    """

    def __init__(self, table: Any) -> None:
        self._table = table
        self._rejected: set[str] = set()

    def was_rejected(self, key: str) -> bool:
        if key in self._rejected:
            return True
        with aws_errors():
            hit = "Item" in self._table.get_item(
                Key={"key": key},
                ProjectionExpression="#k",
                ExpressionAttributeNames={"#k": "key"},
                ConsistentRead=True,  # a rejection written a moment ago counts
            )
        if hit:
            self._rejected.add(key)
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
        self._rejected.add(key)
