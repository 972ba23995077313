"""Shapes that cross the CRM port: pages of records, field writes with the value they expect, results;
and the names of the CRMs this package connects to."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from crm_hygiene.models.record import Record
from crm_hygiene.types import FieldName, ObjectType, RecordId

CrmKind = Literal["internal", "hubspot"]
"""Which CRM a deployment talks to: ``internal`` (the DynamoDB CRM table) or ``hubspot``. Settings
(``CRM_KIND``), the infra context (``crm_kind``), the demo's ``--crm`` and the registry in
``crm_hygiene.wiring.crm`` all take their choices from here."""
CRM_KINDS: tuple[CrmKind, ...] = get_args(CrmKind)


class RecordPage(BaseModel):
    """One page of records and the cursor of the next page (None on the last page)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    records: list[Record]
    next_cursor: str | None = None


class FieldWrite(BaseModel):
    """Set ``field`` to ``new_value`` only if the CRM still holds ``expected_old`` (optimistic concurrency).

    ``change_id`` travels with the write so a retried write is recognised and never applied twice.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    record_id: RecordId
    field: FieldName
    expected_old: str
    new_value: str
    change_id: str

    def result(self, status: WriteStatus, current: str | None = None, detail: str = "") -> WriteResult:
        """What happened to this write."""
        return WriteResult(
            change_id=self.change_id,
            record_id=self.record_id,
            field=self.field,
            status=status,
            current=current,
            detail=detail,
        )


WriteStatus = Literal["applied", "conflict", "not_found", "read_only", "failed"]


class WriteResult(BaseModel):
    """What happened to one ``FieldWrite``; ``current`` is the CRM's value when it was a conflict."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    change_id: str
    record_id: RecordId
    field: FieldName
    status: WriteStatus
    current: str | None = None
    detail: str = ""
    restore: str | None = None
    """Set when the write left the field in a state nobody chose (a multi-step write whose restore
    failed, e.g. a HubSpot lifecycle stage moved back): the value the field must get back. The apply
    step raises a high-priority review item and a ``restore_needed`` alert naming it."""


class MergeResult(BaseModel):
    """A merge in the CRM: HubSpot mints a new id for the survivor, Salesforce keeps the master's."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    object_type: ObjectType
    primary_id: RecordId
    merged_ids: list[RecordId]
    surviving_id: RecordId
    detail: str = ""


class FieldInfo(BaseModel):
    """What the CRM says about one canonical field: can it be written at all."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    field: FieldName
    crm_name: str
    writable: bool
    options: list[str] = Field(default_factory=list)
