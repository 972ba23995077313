"""Runs the right normalizer for a field's format."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Protocol

from crm_hygiene.normalize.base import EMPTY, Normalized, fixed, placeholder, valid
from crm_hygiene.normalize.company import SuffixPolicy, normalize_company_name
from crm_hygiene.normalize.country import normalize_country, normalize_state
from crm_hygiene.normalize.date import normalize_date
from crm_hygiene.normalize.domain import normalize_domain
from crm_hygiene.normalize.email import normalize_email
from crm_hygiene.normalize.name import NamePart, normalize_person_name
from crm_hygiene.normalize.number import normalize_number
from crm_hygiene.normalize.phone import normalize_phone
from crm_hygiene.normalize.picklist import PicklistIndex, normalize_picklist
from crm_hygiene.normalize.placeholder import is_placeholder
from crm_hygiene.standard.model import DataStandard, ObjectStandard
from crm_hygiene.types import FieldName, ObjectType


class CheckContext(Protocol):
    """What binding a field's normalizer reads of a run's ``validate.context.CheckContext`` (which
    builds its normalizers with this module, so it is described here rather than imported)."""

    @property
    def standard(self) -> DataStandard: ...
    @property
    def object_type(self) -> ObjectType: ...
    @property
    def rules(self) -> ObjectStandard: ...
    @property
    def normalizers(self) -> Mapping[FieldName, Callable[[str, str | None], Normalized]]: ...


_SPACES = re.compile(r"\s+")
_NAME_PART: dict[str, NamePart] = {"first_name": "first", "last_name": "last"}


@lru_cache(maxsize=65536)
def normalize_text(raw: str, kind: str = "text") -> Normalized:
    """Free text: placeholders count as missing; stray white space is tidied."""
    if not raw:
        return EMPTY
    text = _SPACES.sub(" ", raw.strip())
    if not text:
        return EMPTY
    if is_placeholder(text, kind):
        return placeholder(f"placeholder value {text!r}")
    if text == raw:
        return valid(text)
    return fixed(text, 0.99, "tidied white space")


FieldNormalizer = Callable[[str, "str | None"], Normalized]
"""One field's normalizer bound to a run: ``(raw, record country) -> verdict``."""


def _binders() -> dict[str, Callable[[CheckContext, FieldName], FieldNormalizer]]:
    """Per format: given the run and the field, the one-call normalizer (settings looked up once)."""

    def date(ctx: CheckContext, date_only: bool) -> FieldNormalizer:
        order, explicit = ctx.standard.date_order, ctx.standard.date_order_explicit
        return lambda raw, country: normalize_date(raw, order, explicit, date_only)

    return {
        "email": lambda ctx, name: lambda raw, country: normalize_email(raw),
        "phone_e164": lambda ctx, name: _phone(ctx.standard.default_phone_region),
        "person_name": lambda ctx, name: _person(_NAME_PART.get(name, "first")),
        "company_name": lambda ctx, name: _company(ctx.standard.legal_suffix),
        "domain": lambda ctx, name: lambda raw, country: normalize_domain(raw),
        "country_alpha2": lambda ctx, name: lambda raw, country: normalize_country(raw),
        "subdivision_code": lambda ctx, name: normalize_state,
        "date": lambda ctx, name: date(ctx, True),
        "datetime": lambda ctx, name: date(ctx, False),
        "picklist": lambda ctx, name: _picklist(ctx.standard.picklists[(ctx.object_type, name)]),
        "number": lambda ctx, name: lambda raw, country: normalize_number(raw, False),
        "integer": lambda ctx, name: lambda raw, country: normalize_number(raw, True),
        "identifier": lambda ctx, name: lambda raw, country: normalize_text(raw, "identifier"),
    }


def _phone(default_region: str | None) -> FieldNormalizer:
    return lambda raw, country: normalize_phone(raw, country, default_region)


def _person(part: NamePart) -> FieldNormalizer:
    return lambda raw, country: normalize_person_name(raw, part)


def _company(policy: SuffixPolicy) -> FieldNormalizer:
    return lambda raw, country: normalize_company_name(raw, policy)


def _picklist(index: PicklistIndex) -> FieldNormalizer:
    return lambda raw, country: normalize_picklist(raw, index)


_BINDERS = _binders()


def field_normalizer(ctx: CheckContext, name: FieldName) -> FieldNormalizer:
    """The normalizer of one field bound to the run's context (built once per run and field, in
    ``CheckContext.normalizers``, so checking a record does no lookups and one call per field)."""
    rule = ctx.rules.fields.get(name)
    binder = _BINDERS.get(rule.format) if rule is not None else None
    if binder is None:
        return lambda raw, country: normalize_text(raw, name)
    return binder(ctx, name)


def normalize_field(ctx: CheckContext, name: FieldName, raw: str, country: str | None) -> Normalized:
    """Normalizes ``raw`` as the standard's format for ``name``; ``country`` is the record's (normalized)."""
    return (
        ctx.normalizers[name](raw, country)
        if name in ctx.normalizers
        else field_normalizer(ctx, name)(raw, country)
    )
