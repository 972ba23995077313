"""Health of one record (0-100) and its components (each 0-1). See docs/health.md for the formula."""

from __future__ import annotations

from datetime import datetime

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


class HealthPoint(BaseModel):
    """One run's aggregate health of one object type: a point of the health trend.

    Attributes:
        at: When the run started (a retried finalize writes the same point again, not a second one).
        health: The mean record health (0-100); runs that scored no record of the type have no point.
        records: Records scanned. queue_volume: Rows the run queued (changes and findings).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    run_id: str
    at: datetime
    object_type: ObjectType
    health: float
    records: int
    queue_volume: int
