"""Versioned signal events emitted on the SNS topics (JSON Schema exported under docs/signals/).

Every event carries ``schema`` (its name) and ``version``; consumers filter on the ``signal`` message
attribute. A new field is added with a default (same version); a removed or retyped one bumps the
version.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from crm_hygiene.types import Confidence, FieldName, ObjectType, RecordId

SignalName = Literal[
    "hygiene_health_score", "relationship_graph_signal", "data_provider_quality_signal", "measurement"
]


def _now() -> datetime:
    return datetime.now(UTC)


class _Signal(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = 1
    emitted_at: datetime = Field(default_factory=_now)
    run_id: str = ""


class HealthScoreSignal(_Signal):
    """Health of one record (``record_id`` set) or of a whole object type (``record_id`` None)."""

    schema_name: Literal["hygiene_health_score"] = Field(default="hygiene_health_score", alias="schema")
    object_type: ObjectType
    record_id: RecordId | None = None
    score: float
    components: dict[str, float] = Field(default_factory=dict)
    records: int = 1


class RelationshipSignal(_Signal):
    """A person moved (job change) or a relationship was found (reports-to)."""

    schema_name: Literal["relationship_graph_signal"] = Field(
        default="relationship_graph_signal", alias="schema"
    )
    relation: Literal["job_change", "reports_to", "works_at"]
    person_id: RecordId
    person_email: str | None = None
    from_company: str | None = None
    to_company: str | None = None
    from_title: str | None = None
    to_title: str | None = None
    evidence: str
    source: str
    confidence: Confidence
    observed_at: datetime | None = None
    from_company_id: RecordId | None = None
    to_company_id: RecordId | None = None
    related_person_id: RecordId | None = None
    related_person_name: str | None = None
    """reports_to: the manager (CRM id when the manager is a known contact, else the provider's name)."""


class ProviderQualitySignal(_Signal):
    """How good one enrichment provider is for one field, from review outcomes."""

    schema_name: Literal["data_provider_quality_signal"] = Field(
        default="data_provider_quality_signal", alias="schema"
    )
    provider: str
    field: FieldName
    proposals: int
    approved: int
    rejected: int
    edited: int
    approval_rate: float | None
    rejection_rate: float | None = None
    edit_rate: float | None = None
    lookups: int = 0
    filled: int = 0
    fault_kinds: dict[str, int] = Field(default_factory=dict)
    agreement_rate: float | None = None
    fill_rate: float | None = None
    faults: int = 0
    cost_total: float = 0.0
    cost_per_accepted: float | None = None
    reliability_mean: float
    reliability_alpha: float
    reliability_beta: float


class MeasurementSignal(_Signal):
    """Measurement figures: a run's scan figures per object type (``source`` "run": queue volume,
    auto-apply / review / blocked shares of the proposals), or the human-decision figures of a run
    (``source`` "decisions": decided_by_people, approval / rejection / rework / blocked rates over
    human decisions only), sent after each decision batch and after each run."""

    schema_name: Literal["measurement"] = Field(default="measurement", alias="schema")
    object_type: ObjectType | None = None
    source: Literal["run", "decisions"] = "run"
    figures: dict[str, float | int | None]


Signal = Annotated[
    HealthScoreSignal | RelationshipSignal | ProviderQualitySignal | MeasurementSignal,
    Field(discriminator="schema_name"),
]
