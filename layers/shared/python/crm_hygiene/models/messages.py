"""Work-queue payloads (SQS message bodies) and workflow step payloads."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from crm_hygiene.types import OBJECT_TYPES, ObjectType, RecordId


class ApplyMessage(BaseModel):
    """Apply one queued change whose decision is auto or approved/edited."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    review_id: str
    run_id: str = ""


class EnrichMessage(BaseModel):
    """Enrich one record (it has missing critical fields, or its title/company decayed)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    object_type: ObjectType
    record_id: RecordId
    run_id: str = ""
    wanted_fields: list[str] = Field(default_factory=list)


class Partition(BaseModel):
    """One slice of a full scan; ``cursor`` resumes it, ``done`` ends the loop."""

    model_config = ConfigDict(extra="forbid")

    run_id: str
    object_type: ObjectType
    segment: int = 0
    total: int = 1
    cursor: str | None = None
    done: bool = False
    scanned: int = 0


class ScanAction(BaseModel):
    """What the scan workflow asks the scan function to do."""

    model_config = ConfigDict(extra="allow")

    action: Literal["plan", "scan_partition", "finalize"]
    run_id: str | None = None
    object_types: list[ObjectType] = Field(default_factory=lambda: list(OBJECT_TYPES))


class MergeTask(BaseModel):
    """The merge workflow's payload to the apply function (action=merge) and the review registration."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["merge", "register"] = "merge"
    review_id: str
    run_id: str = ""
    proposal: dict[str, Any]
    decision: dict[str, Any] | None = None
    task_token: str | None = Field(default=None, repr=False)
