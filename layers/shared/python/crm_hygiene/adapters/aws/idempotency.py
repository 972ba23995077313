"""``DynamoIdempotencyStore``: webhook event claims in the idempotency table, expiring with TTL.

A claim is a conditional put that succeeds when the key is new or its previous claim has expired
(DynamoDB's TTL deletes lazily, so expiry is checked on read, not trusted to have happened).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from crm_hygiene.adapters.aws.errors import aws_errors
from crm_hygiene.errors import Conflict


class DynamoIdempotencyStore:
    """Implements ``IdempotencyStore``; keys are prefixed so they never collide with powertools' records."""

    def __init__(
        self, table: Any, *, prefix: str = "webhook#", clock: Callable[[], float] = time.time
    ) -> None:
        self._table = table
        self._prefix = prefix
        self._clock = clock

    def claim(self, key: str, *, ttl_seconds: int = 172_800) -> bool:
        now = int(self._clock())
        try:
            with aws_errors():
                self._table.put_item(
                    Item={"id": self._prefix + key, "expiration": now + ttl_seconds, "status": "CLAIMED"},
                    ConditionExpression="attribute_not_exists(id) OR expiration < :now",
                    ExpressionAttributeValues={":now": now},
                )
        except Conflict:
            return False
        return True

    def release(self, key: str) -> None:
        with aws_errors():
            self._table.delete_item(Key={"id": self._prefix + key})
