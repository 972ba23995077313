"""Health of one record (0-100) and its components (each 0-1). See docs/health.md for the formula."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from crm_hygiene.types import ObjectType, RecordId


class HealthScore(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    record_id: RecordId
    object_type: ObjectType
    score: float
    completeness: float
    validity: float
    freshness: float
    trust: float
