"""A scan of the CRM as the API and the CLI see it: one execution of the scan workflow.

``ScanWorkflowInput`` is what starts one (on demand: ``POST /scans``, ``crm-hygiene scan-now``; the weekly
schedule sends the same shape); ``ScanRun`` is where it stands. The scan's id is the run's id: the
review items it queues carry it as their ``run_id``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from crm_hygiene.types import OBJECT_TYPES, ObjectType, ScanStatus

ScanTrigger = Literal["schedule", "manual"]


class ScanWorkflowInput(BaseModel):
    """The scan workflow's input (docs/pipeline.md, "Workflow payloads")."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    object_types: list[ObjectType] = Field(default_factory=lambda: list(OBJECT_TYPES))
    trigger: ScanTrigger = "manual"
    requested_by: str | None = None


class ScanRun(BaseModel):
    """One scan: its status, when it ran, who asked, and (once it succeeded) its figures per object type.

    Attributes:
        scan_id: The execution's name, which is also the run id of everything the scan queued.
        objects: Finalize's figures per object type (records, queue_volume, health, ...), when succeeded.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    scan_id: str
    status: ScanStatus
    started_at: datetime
    stopped_at: datetime | None = None
    object_types: list[ObjectType] = Field(default_factory=list)
    trigger: ScanTrigger | None = None
    requested_by: str | None = None
    objects: dict[str, dict[str, Any]] | None = None
