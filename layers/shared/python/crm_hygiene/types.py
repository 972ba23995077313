"""The shared vocabulary: names every layer uses for the same things."""

from __future__ import annotations

from typing import Annotated, Literal, TypeAlias, get_args

from pydantic import Field

RecordId: TypeAlias = str
FieldName: TypeAlias = str
Confidence: TypeAlias = Annotated[float, Field(ge=0.0, le=1.0)]
Score: TypeAlias = float

ObjectType = Literal["contact", "company", "deal"]
OBJECT_TYPES: tuple[ObjectType, ...] = ("contact", "company", "deal")

Decision = Literal["auto", "review", "blocked", "suppressed"]
"""What may happen to a change: applied by itself, sent to a person, held because the source of
truth is unclear, or dropped because a person already rejected the same proposal."""
QUEUE_DECISIONS: tuple[Decision, ...] = ("auto", "review", "blocked")
Severity = Literal["error", "warning", "info"]
Workflow = Literal["routing", "reporting", "segmentation", "forecasting"]

FindingKind = Literal[
    "missing_critical",
    "malformed",
    "placeholder",
    "stale",
    "misowned",
    "routing_blocker",
    "inconsistent",
]
FINDING_KINDS: tuple[FindingKind, ...] = get_args(FindingKind)

ChangeKind = Literal["normalize", "enrich", "fill_derived", "flag", "merge"]

# The `kind` column of the review queue: a finding kind, or what a proposal is about.
QueueKind = Literal[FindingKind, "duplicate", "enrich", "job_change"]

# Where a queue item is in the change lifecycle (ARCHITECTURE.md, "Change lifecycle").
ChangeStatus = Literal[
    "proposed",
    "auto_applied",
    "queued",
    "blocked",
    "suppressed",
    "approved",
    "rejected",
    "edited",
    "applied",
    "conflict",
    "failed",
    "rolled_back",
]

# The format a field must have under the standard; each maps to one normalizer module.
FieldFormat = Literal[
    "email",
    "phone_e164",
    "person_name",
    "company_name",
    "domain",
    "country_alpha2",
    "subdivision_code",
    "date",
    "datetime",
    "picklist",
    "number",
    "integer",
    "text",
    "identifier",
]
