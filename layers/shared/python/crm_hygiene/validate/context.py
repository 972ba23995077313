"""What a check needs besides the record: the standard, the time, and what the source can hold."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

from crm_hygiene.models.fields import CANONICAL_FIELDS
from crm_hygiene.normalize.base import Normalized
from crm_hygiene.standard.model import DataStandard, ObjectStandard
from crm_hygiene.types import FieldName, ObjectType
from crm_hygiene.validate.fields import field_normalizer


@dataclass(frozen=True)
class CheckContext:
    """Shared, read-only inputs of ``check_record`` for one run.

    Attributes:
        standard: The clean-record standard the records are checked against.
        object_type: The object type of the records in this run.
        as_of: "Now" for staleness (fixed per run so results are reproducible).
        present: Canonical fields the source has (a column in an export); a missing column is
            reported once per run, not as a finding on every record.
        extra_columns: Names of extra columns the source has (e.g. "salutation"), lower-cased.
    """

    standard: DataStandard
    object_type: ObjectType
    as_of: datetime = field(default_factory=lambda: datetime.now(UTC))
    present: frozenset[FieldName] | None = None
    extra_columns: frozenset[str] = frozenset()

    @cached_property
    def rules(self) -> ObjectStandard:
        return self.standard.for_object(self.object_type)

    @cached_property
    def normalizers(self) -> dict[FieldName, Callable[[str, str | None], Normalized]]:
        """Per canonical field, its normalizer bound to this run (built once, used for every record)."""
        return {name: field_normalizer(self, name) for name in CANONICAL_FIELDS[self.object_type]}

    def has(self, name: FieldName) -> bool:
        return self.present is None or name in self.present
