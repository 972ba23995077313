"""``DynamoQualityStore``: provider quality per field for the pipeline (the ``QualityStore`` port).

On the health table (pk/sk, docs/pipeline.md): one item per provider and field,
``pk = "provider_quality"``, ``sk = "<provider>#<field>"``, whose counters only ever grow by
``ADD`` (so concurrent enrich batches and reviewers never lose each other's counts), plus one
item per counted review outcome (``pk = "provider_quality_feedback"``) so an outcome counts once.
Rejections go to decision memory, like every other rejected proposal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Key

from crm_hygiene.adapters.aws.errors import aws_errors
from crm_hygiene.enrich.quality import COUNTERS, FieldQuality, QualityKey
from crm_hygiene.ports import DecisionMemory

_PK = "provider_quality"
_FEEDBACK = "provider_quality_feedback"
_FAULT = "fault#"


class DynamoQualityStore:
    """Implements ``QualityStore``; takes the health table resource and the decision memory."""

    def __init__(self, table: Any, memory: DecisionMemory) -> None:
        self._table = table
        self._memory = memory

    def snapshot(self) -> dict[QualityKey, FieldQuality]:
        out: dict[QualityKey, FieldQuality] = {}
        request: dict[str, Any] = {"KeyConditionExpression": Key("pk").eq(_PK)}
        while True:
            with aws_errors():
                response = self._table.query(**request)
            for item in response.get("Items", []):
                provider, _, name = str(item["sk"]).rpartition("#")
                out[(provider, name)] = _quality_of(item)
            if "LastEvaluatedKey" not in response:
                return out
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def add(self, deltas: Mapping[QualityKey, FieldQuality], feedback_keys: Iterable[str] = ()) -> None:
        for (provider, name), q in deltas.items():
            values = {c: getattr(q, c) for c in COUNTERS if getattr(q, c)}
            values.update({f"{_FAULT}{kind}": n for kind, n in q.fault_kinds.items() if n})
            if q.cost:
                values["cost"] = Decimal(str(q.cost))
            if not values:
                continue
            names = {f"#a{i}": attribute for i, attribute in enumerate(values)}
            expression = ", ".join(f"#a{i} :v{i}" for i in range(len(values)))
            with aws_errors():
                self._table.update_item(
                    Key={"pk": _PK, "sk": f"{provider}#{name}"},
                    UpdateExpression=f"ADD {expression}",
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues={f":v{i}": v for i, v in enumerate(values.values())},
                )
        for key in feedback_keys:
            with aws_errors():
                self._table.put_item(Item={"pk": _FEEDBACK, "sk": key})

    def seen_feedback(self, key: str) -> bool:
        with aws_errors():
            return "Item" in self._table.get_item(Key={"pk": _FEEDBACK, "sk": key})

    def was_rejected(self, key: str) -> bool:
        return self._memory.was_rejected(key)

    def remember_rejection(self, key: str, reason: str, reviewer: str) -> None:
        self._memory.remember_rejection(key, reason, reviewer)


def _quality_of(item: Mapping[str, Any]) -> FieldQuality:
    q = FieldQuality(cost=float(item.get("cost", 0)))
    for counter in COUNTERS:
        setattr(q, counter, int(item.get(counter, 0)))
    q.fault_kinds = {k.removeprefix(_FAULT): int(v) for k, v in item.items() if k.startswith(_FAULT)}
    return q
