"""Files an enrichment run writes besides the queue: the proposals ledger and the associations.

``proposals.jsonl`` keeps, for each proposal, what every provider said: review outcomes fed back
later (``crm-hygiene enrich feedback``) credit or debit each provider by comparing its value with
the value the reviewer kept. ``associations.jsonl`` keeps who works where: a job change ends the
old association (``former``, with the date it was last true) and starts the new one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from crm_hygiene.types import Confidence, Decision, FieldName, ObjectType, QueueKind, RecordId


class SourceValue(BaseModel):
    """What one provider said about one field of one record."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    provider: str
    value: str
    confidence: Confidence
    match: str
    provider_kind: str = ""


class LedgerEntry(BaseModel):
    """One proposal of a run, with every provider's value (one line of ``proposals.jsonl``).

    Attributes:
        field: The name in the queue (canonical, or the export's column for an extra field).
        logical_field: The enrichment field it is (``time_zone`` for a "Time Zone" column).
        sources: Providers that gave the proposed value; ``dissent``: those that gave another.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Literal[1] = 1
    change_id: str
    record_id: RecordId
    object_type: ObjectType
    field: FieldName
    logical_field: FieldName
    kind: QueueKind
    old_value: str
    new_value: str
    decision: Decision
    confidence: Confidence
    sources: list[SourceValue]
    dissent: list[SourceValue] = []


class Association(BaseModel):
    """A contact's association with a company (one line of ``associations.jsonl``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    person_id: RecordId
    company: str
    company_id: RecordId | None = None
    status: Literal["current", "former"]
    since: datetime | None = None
    until: datetime | None = None
    source: str
    evidence: str
