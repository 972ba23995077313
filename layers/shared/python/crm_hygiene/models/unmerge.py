"""What a merge keeps so it can be undone, and what an unmerge answers.

A merge stores the ``RecordImage`` of every member in the audit before the CRM's first merge call
(``before_image`` entries) and the survivor's image right after it (``after_image``): the unmerge
(``services/merge/unmerge.py``) puts the merged-away records back from the first and compares the
survivor's current values with the second to tell the merge's own changes from later ones.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from crm_hygiene.types import FieldName, ObjectType, RecordId


class AssociationImage(BaseModel):
    """One association of a record: the associated record, in the CRM's own type name (HubSpot's
    ``companies``), with every association type (category, type id) and label it had."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    to_type: str
    to_id: RecordId
    types: list[tuple[str, int]] = Field(default_factory=list)
    labels: list[str] = Field(default_factory=list)


class RecordImage(BaseModel):
    """A record's whole state at one moment, as the CRM holds it.

    Attributes:
        fields: Canonical fields (owner and lifecycle stage among them), as ``Record.fields``.
        properties: Every other value the CRM keeps on the record in its own names (HubSpot: every
            property with a value, consent such as ``hs_email_optout`` included; the internal table:
            its custom columns).
        associations: The records it is linked to, with their labels (HubSpot; the internal table
            keeps links as fields, e.g. a deal's ``company_id``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    object_type: ObjectType
    record_id: RecordId
    fields: dict[FieldName, str] = Field(default_factory=dict)
    properties: dict[str, str] = Field(default_factory=dict)
    associations: list[AssociationImage] = Field(default_factory=list)


class RestoredRecord(BaseModel):
    """A merged-away record back in the CRM: under its own id (the internal table) or as a new record
    (HubSpot, whose merges cannot be undone): ``old_id`` -> ``new_id``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    object_type: ObjectType
    old_id: RecordId
    new_id: RecordId


class UnmergeResult(BaseModel):
    """What ``POST /merges/{review_id}/unmerge`` answers.

    Attributes:
        restored: Every merged-away member, with the id it has now.
        survivor_restored: The survivor's fields put back to their value before the merge.
        conflicts: Review items raised for survivor fields changed since the merge (not overwritten).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    review_id: str
    status: Literal["unmerged"] = "unmerged"
    survivor_id: RecordId
    restored: list[RestoredRecord]
    survivor_restored: list[FieldName]
    conflicts: list[str]
    unmerged_at: datetime
    unmerged_by: str
