"""A problem found on a record."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from crm_hygiene.types import Confidence, FieldName, FindingKind, ObjectType, RecordId, Severity, Workflow


class Finding(BaseModel):
    """One problem on one record, explained.

    Attributes:
        kind: What is wrong (each kind and what it means: ``types.FINDING_MEANINGS``).
        field: The canonical field involved ("" for a row-level problem).
        rule: The standard's rule that was broken, e.g. ``contact.critical`` or ``format.phone_e164``.
        severity: error, warning or info.
        workflows: Which of routing / reporting / segmentation / forecasting it affects.
        evidence: Why, in words a reviewer understands.
        current_value: The value as found.
        confidence: How sure we are that this is a problem.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    record_id: RecordId
    object_type: ObjectType
    kind: FindingKind
    field: FieldName
    rule: str
    severity: Severity
    workflows: tuple[Workflow, ...] = ()
    evidence: str
    current_value: str = ""
    confidence: Confidence = 1.0
