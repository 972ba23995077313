"""A row of the review queue (queue.csv / queue.jsonl): one finding or one proposed change."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from crm_hygiene.types import (
    ChangeStatus,
    Confidence,
    FieldName,
    ObjectType,
    QueueDecision,
    QueueKind,
    RecordId,
)

QUEUE_COLUMNS: tuple[str, ...] = (
    "record_id", "object_type", "kind", "field", "current_value", "suggested_value", "evidence",
    "confidence", "protected", "decision", "status",
)  # fmt: skip


class QueueRow(BaseModel):
    """One row of the weekly cleanup queue, in the exact column order of ``QUEUE_COLUMNS``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    record_id: RecordId
    object_type: ObjectType
    kind: QueueKind
    field: FieldName
    current_value: str
    suggested_value: str
    evidence: str
    confidence: Confidence
    protected: bool
    decision: QueueDecision
    status: ChangeStatus

    def csv_cells(self) -> list[str]:
        """The row as CSV cells: confidence with 2 decimals, protected as true/false."""
        return [
            self.record_id, self.object_type, self.kind, self.field, self.current_value,
            self.suggested_value, self.evidence, f"{self.confidence:.2f}",
            "true" if self.protected else "false",
            self.decision, self.status,
        ]  # fmt: skip
