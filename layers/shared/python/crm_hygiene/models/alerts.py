"""Alerts: something an operator must look at, published to the alerts topic (ids only, never PII)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from crm_hygiene.types import ALERT_MEANINGS, AlertKind, ObjectType, RecordId


class Alert(BaseModel):
    """One alert. ``summary`` is written by our code from ids and vocabulary, never from record values
    (except ``restore_value`` for ``restore_needed``, the one value an operator must put back)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: AlertKind
    severity: Literal["high", "normal"] = "normal"
    summary: str = ""
    object_type: ObjectType | None = None
    record_id: RecordId | None = None
    field: str | None = None
    review_id: str | None = None
    run_id: str | None = None
    execution: str | None = None
    restore_value: str | None = None
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    @property
    def subject(self) -> str:
        """An SNS subject (at most 100 characters)."""
        return f"crm-hygiene {self.severity}: {ALERT_MEANINGS[self.kind]}"[:100]
