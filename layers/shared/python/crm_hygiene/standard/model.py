"""The ``DataStandard`` model. It is validated strictly: unknown keys and non-canonical field names
are errors, because a typo in a protected-field list must never silently unprotect a field."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from functools import cached_property
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from crm_hygiene.dedup.config import MatchConfig
from crm_hygiene.models.fields import CANONICAL_FIELDS
from crm_hygiene.normalize.picklist import PicklistIndex
from crm_hygiene.standard.consent import is_consent_name, is_permission_column
from crm_hygiene.types import FieldFormat, FieldName, ObjectType, Workflow

_STRICT = ConfigDict(extra="forbid", frozen=True)


class PicklistOption(BaseModel):
    """One allowed value: ``value`` is the CRM's internal value, ``label`` what people see."""

    model_config = _STRICT

    value: str = Field(min_length=1)
    label: str | None = None
    aliases: tuple[str, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: Any) -> Any:
        return {"value": data} if isinstance(data, str) else data


class FieldRule(BaseModel):
    """How one field must look and what may change it.

    Attributes:
        format: The value kind, one normalizer each.
        picklist: Allowed values (required when ``format`` is picklist).
        auto_apply: Whether fixes to this field may be applied without review.
        overwrite: Whether enrichment may replace a non-empty value that is less trusted.
    """

    model_config = _STRICT

    format: FieldFormat
    picklist: tuple[PicklistOption, ...] | None = None
    auto_apply: bool = True
    overwrite: bool = False

    @model_validator(mode="after")
    def _picklist_needed(self) -> Self:
        if self.format == "picklist" and not self.picklist:
            raise ValueError("format 'picklist' needs a non-empty 'picklist'")
        return self


class Staleness(BaseModel):
    """When a record counts as stale.

    Attributes:
        max_days_without_activity: Days since the last activity (or, with none, since creation).
        exempt: Field -> values that make a record never stale (e.g. customers).
        open_past_close_date: Deals: an open deal whose close date has passed is stale.
        closed_values: Deals: stage values that mean closed (anything else is open).
    """

    model_config = _STRICT

    max_days_without_activity: int | None = Field(default=None, ge=1)
    exempt: dict[FieldName, tuple[str, ...]] = Field(default_factory=dict)
    open_past_close_date: bool = False
    closed_values: tuple[str, ...] = ()


class ObjectStandard(BaseModel):
    """The standard for one object type. Field names are canonical names of that type."""

    model_config = _STRICT

    critical: tuple[FieldName, ...] = ()
    routing: tuple[FieldName, ...] = ()
    reporting: tuple[FieldName, ...] = ()
    protected: tuple[FieldName, ...] = ()
    protected_custom: tuple[str, ...] = Field(
        default=(), description="Glob patterns (case-insensitive) of custom columns that are protected."
    )
    fields: dict[FieldName, FieldRule] = Field(default_factory=dict)
    workflows: dict[FieldName, tuple[Workflow, ...]] = Field(default_factory=dict)
    staleness: Staleness = Field(default_factory=Staleness)
    active_owners: tuple[str, ...] | None = None

    def is_protected(self, field: str, values: Iterable[str] = ()) -> bool:
        """Whether a field is protected: nothing changes it by itself, a merge whose members differ in
        it goes to a person. The one rule every decision reads (policy, survivorship, auto-merge).

        A canonical field the standard lists, a custom column matching one of its patterns, or a
        consent / contact-permission column (``standard/consent.py``: by its name in any language
        the mapping knows, or, given the column's ``values``, a yes/no column whose name mentions
        contacting), whatever the standard lists.
        """
        memo = self._protected_memo
        hit = memo.get(field)
        if hit is None:
            lowered = field.lower()
            hit = (
                field in self.protected
                or any(fnmatch.fnmatchcase(lowered, pattern.lower()) for pattern in self.protected_custom)
                or is_consent_name(field)
            )
            memo[field] = hit
        return hit or is_permission_column(field, values)

    @cached_property
    def _protected_memo(self) -> dict[str, bool]:
        return {}


class Thresholds(BaseModel):
    model_config = _STRICT

    auto_apply: float = Field(default=0.95, ge=0.0, le=1.0)
    """A change applies by itself only at or above this confidence (and only if unprotected)."""


class DataStandard(BaseModel):
    """The clean-record standard (see ARCHITECTURE.md). Load it with ``load_standard``."""

    model_config = _STRICT

    version: Literal[1] = 1
    name: str = "custom"
    auto_apply: bool = True
    auto_merge: bool = False
    thresholds: Thresholds = Field(default_factory=Thresholds)
    date_order: Literal["MDY", "DMY"] = "MDY"
    default_phone_region: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    legal_suffix: Literal["keep", "normalize", "strip"] = "keep"
    picklist_output: Literal["label", "value"] = "label"
    objects: dict[ObjectType, ObjectStandard] = Field(default_factory=dict)
    match: MatchConfig = Field(default_factory=MatchConfig)

    @field_validator("objects")
    @classmethod
    def _canonical_names(cls, objects: dict[ObjectType, ObjectStandard]) -> dict[ObjectType, ObjectStandard]:
        for object_type, std in objects.items():
            _check_names(object_type, std)
        return objects

    @property
    def date_order_explicit(self) -> bool:
        """Whether the user set ``date_order`` (a default gives ambiguous dates lower confidence)."""
        return "date_order" in self.model_fields_set

    def for_object(self, object_type: ObjectType) -> ObjectStandard:
        return self.objects.get(object_type) or ObjectStandard()

    @cached_property
    def picklists(self) -> dict[tuple[ObjectType, FieldName], PicklistIndex]:
        """Lookup indexes of every picklist, built once."""
        out: dict[tuple[ObjectType, FieldName], PicklistIndex] = {}
        for object_type, std in self.objects.items():
            for name, rule in std.fields.items():
                if rule.picklist:
                    out[(object_type, name)] = PicklistIndex.build(self._options(rule.picklist))
        return out

    def _options(self, options: tuple[PicklistOption, ...]) -> list[tuple[str, tuple[str, ...]]]:
        built = []
        for o in options:
            label = o.label or o.value
            output, other = (label, o.value) if self.picklist_output == "label" else (o.value, label)
            built.append((output, (other, *o.aliases)))
        return built


_FIELD_LISTS = ("critical", "routing", "reporting", "protected")


def name_problems(object_type: ObjectType, std: ObjectStandard) -> list[tuple[tuple[str | int, ...], str]]:
    """Every field name in ``std`` that is not a canonical field of ``object_type``, with its path."""
    allowed = set(CANONICAL_FIELDS[object_type])
    hint = f"not a {object_type} field (fields: {', '.join(CANONICAL_FIELDS[object_type])})"
    problems: list[tuple[tuple[str | int, ...], str]] = []
    for attr in _FIELD_LISTS:
        for i, name in enumerate(getattr(std, attr)):
            if name not in allowed:
                problems.append(((attr, i), f"{name!r} is {hint}"))
    for attr in ("fields", "workflows"):
        for name in getattr(std, attr):
            if name not in allowed:
                problems.append(((attr, name), f"{name!r} is {hint}"))
    for name in std.staleness.exempt:
        if name not in allowed:
            problems.append((("staleness", "exempt", name), f"{name!r} is {hint}"))
    return problems


def _check_names(object_type: ObjectType, std: ObjectStandard) -> None:
    problems = name_problems(object_type, std)
    if problems:
        raise ValueError("; ".join(f"{object_type}.{'.'.join(map(str, p))}: {m}" for p, m in problems))
