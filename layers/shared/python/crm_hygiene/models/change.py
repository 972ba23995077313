"""A proposed change to one field of one record, and the policy's verdict on it."""

from __future__ import annotations

import hashlib

from pydantic import BaseModel, ConfigDict, computed_field

from crm_hygiene.types import ChangeKind, Confidence, Decision, FieldName, FindingKind, ObjectType, RecordId


class ProposedChange(BaseModel):
    """Set ``field`` of a record from ``old_value`` to ``new_value``. Never a delete.

    Attributes:
        kind: normalize, enrich, fill_derived, flag or merge.
        source: What proposed it ("normalize.phone", "derived.phone_country", a provider's name).
        evidence: Why, for the reviewer.
        confidence: Probability that ``new_value`` is right.
        finding_kind: The kind of problem this change fixes, if any.
        conflict: Set when sources disagree: the source of truth is unclear (the policy blocks it).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    record_id: RecordId
    object_type: ObjectType
    field: FieldName
    old_value: str
    new_value: str
    kind: ChangeKind
    source: str
    evidence: str
    confidence: Confidence
    finding_kind: FindingKind | None = None
    conflict: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def change_id(self) -> str:
        """Stable id: the same proposal made twice has the same id (idempotency, decision memory)."""
        key = "\x1f".join((self.object_type, self.record_id, self.field, self.old_value, self.new_value))
        return hashlib.sha256(key.encode()).hexdigest()[:24]


class Verdict(BaseModel):
    """What the policy decided for a change, and why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    decision: Decision
    reason: str
    protected: bool
