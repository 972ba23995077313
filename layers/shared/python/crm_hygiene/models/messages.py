"""Work-queue payloads (SQS message bodies) and workflow step payloads."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from crm_hygiene.models.crm import CrmKind
from crm_hygiene.models.merge import MergeApproval, MergeProposal
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


class PlanTask(BaseModel):
    """Scan workflow ``Plan``: partition a full scan of ``object_types``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    action: Literal["plan"]
    run_id: str | None = None
    object_types: list[ObjectType] = Field(default_factory=lambda: list(OBJECT_TYPES))


class ScanPartitionTask(Partition):
    """Scan workflow ``ScanPartition``: scan one partition from its cursor (the partition's own keys)."""

    action: Literal["scan_partition"]

    def partition(self) -> Partition:
        return Partition.model_validate(self.model_dump(exclude={"action"}))


class FinalizeTask(BaseModel):
    """Scan workflow ``Finalize``: aggregate the run's figures."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    action: Literal["finalize"]
    run_id: str
    # the execution's start (the run's date in the health trend); absent from a workflow of before it
    started_at: datetime | None = None


ScanTask = Annotated[PlanTask | ScanPartitionTask | FinalizeTask, Field(discriminator="action")]
SCAN_TASK: TypeAdapter[PlanTask | ScanPartitionTask | FinalizeTask] = TypeAdapter(ScanTask)


class ScanPlan(BaseModel):
    """What ``Plan`` returns: the partitions inline (Map), or where it wrote them (Distributed Map)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    run_id: str
    partitions: list[Partition] | None = None
    manifest_key: str | None = None

    def payload(self) -> dict[str, Any]:
        """The state output: ``partitions`` or ``manifest_key``, never both (each partition keeps
        its ``cursor: null``: the map's item selector reads every key)."""
        return self.model_dump(mode="json", exclude={"partitions" if self.manifest_key else "manifest_key"})


class MergeTask(BaseModel):
    """The merge workflow's payload to the apply function (action=merge) and the review registration.

    Its JSON is what Step Functions holds between the steps (``infra/components/merge_workflow.py``):
    the execution input's ``review_id``, ``run_id`` and ``proposal``, plus the task token (register)
    or the decision (merge). An execution may wait a week, so the previous version's JSON must parse.
    """

    model_config = ConfigDict(extra="forbid")

    action: Literal["merge", "register"] = "merge"
    review_id: str
    run_id: str = ""
    proposal: MergeProposal
    decision: MergeApproval | None = None
    task_token: str | None = Field(default=None, repr=False)

    @model_validator(mode="after")
    def _primary_is_a_member(self) -> MergeTask:
        # the review API refuses such a decision; this guards payloads from anywhere else
        if self.primary not in self.proposal.members:
            raise ValueError(f"merge {self.review_id}: primary {self.primary} is not one of its members")
        return self

    @property
    def primary(self) -> RecordId:
        """The record the others merge into: the reviewer's choice, else the suggested primary."""
        chosen = self.decision.primary_id if self.decision is not None else None
        return chosen or self.proposal.suggested_primary


ScanReason = Literal["created", "changed", "merged", "restored"]


class ScanRequest(BaseModel):
    """Scan this record (again): what a CRM's webhook receiver hands the entry scan (SQS body).

    ``source`` names the CRM the request came from; messages queued before it could name another
    CRM carry none, and they came from HubSpot.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    object_type: ObjectType
    record_id: RecordId
    reason: ScanReason
    properties: list[str] = Field(default_factory=list)
    merged_ids: list[RecordId] = Field(default_factory=list)
    occurred_at: int = 0
    event_ids: list[int] = Field(default_factory=list)
    source: CrmKind = "hubspot"
