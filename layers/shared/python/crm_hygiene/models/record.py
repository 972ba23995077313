"""A CRM record in canonical field names, with its custom fields kept aside untouched."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from crm_hygiene.types import FieldName, ObjectType, RecordId


class Record(BaseModel):
    """One contact, company or deal.

    Attributes:
        object_type: contact, company or deal.
        record_id: The CRM's id (or ``row-<n>`` for an export without an id column).
        fields: Canonical field -> raw value as found (all strings; "" when blank).
        custom: Other columns / properties, never changed.
        source: Where the record came from ("csv", "hubspot", "internal", ...).
        line: For files: the line where the record starts, for error messages.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    object_type: ObjectType
    record_id: RecordId
    fields: dict[FieldName, str] = Field(default_factory=dict)
    custom: dict[str, str] = Field(default_factory=dict)
    source: str = "csv"
    line: int | None = None

    def get(self, name: FieldName) -> str:
        """The raw value of a canonical field, "" when absent."""
        return self.fields.get(name, "")

    def has(self, name: FieldName) -> bool:
        """Whether the source has this field at all (an export may lack the column)."""
        return name in self.fields
