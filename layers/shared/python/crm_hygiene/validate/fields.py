"""Runs the right normalizer for a field's format."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from crm_hygiene.normalize.base import EMPTY, Normalized, fixed, placeholder, valid
from crm_hygiene.normalize.company import normalize_company_name
from crm_hygiene.normalize.country import normalize_country, normalize_state
from crm_hygiene.normalize.date import normalize_date
from crm_hygiene.normalize.domain import normalize_domain
from crm_hygiene.normalize.email import normalize_email
from crm_hygiene.normalize.name import NamePart, normalize_person_name
from crm_hygiene.normalize.number import normalize_number
from crm_hygiene.normalize.phone import normalize_phone
from crm_hygiene.normalize.picklist import normalize_picklist
from crm_hygiene.normalize.placeholder import is_placeholder
from crm_hygiene.types import FieldName
from crm_hygiene.validate.context import CheckContext

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


_Normalizer = Callable[[CheckContext, FieldName, str, "str | None"], Normalized]

_BY_FORMAT: dict[str, _Normalizer] = {
    "email": lambda ctx, name, raw, country: normalize_email(raw),
    "phone_e164": lambda ctx, name, raw, country: normalize_phone(
        raw, country, ctx.standard.default_phone_region
    ),
    "person_name": lambda ctx, name, raw, country: normalize_person_name(raw, _NAME_PART.get(name, "first")),
    "company_name": lambda ctx, name, raw, country: normalize_company_name(raw, ctx.standard.legal_suffix),
    "domain": lambda ctx, name, raw, country: normalize_domain(raw),
    "country_alpha2": lambda ctx, name, raw, country: normalize_country(raw),
    "subdivision_code": lambda ctx, name, raw, country: normalize_state(raw, country),
    "date": lambda ctx, name, raw, country: _date(ctx, raw, date_only=True),
    "datetime": lambda ctx, name, raw, country: _date(ctx, raw, date_only=False),
    "picklist": lambda ctx, name, raw, country: normalize_picklist(
        raw, ctx.standard.picklists[(ctx.object_type, name)]
    ),
    "number": lambda ctx, name, raw, country: normalize_number(raw, False),
    "integer": lambda ctx, name, raw, country: normalize_number(raw, True),
    "identifier": lambda ctx, name, raw, country: normalize_text(raw, "identifier"),
}


def _date(ctx: CheckContext, raw: str, date_only: bool) -> Normalized:
    std = ctx.standard
    return normalize_date(raw, std.date_order, std.date_order_explicit, date_only)


FieldNormalizer = Callable[[str, "str | None"], Normalized]


def field_normalizer(ctx: CheckContext, name: FieldName) -> FieldNormalizer:
    """The normalizer of one field bound to the run's context: ``(raw, record country) -> verdict``.

    Built once per run (``CheckContext.normalizers``) so checking a record does no lookups per field.
    """
    rule = ctx.rules.fields.get(name)
    normalizer = _BY_FORMAT.get(rule.format) if rule is not None else None
    if normalizer is None:
        return lambda raw, country: normalize_text(raw, name)
    bound = normalizer
    return lambda raw, country: bound(ctx, name, raw, country)


def normalize_field(ctx: CheckContext, name: FieldName, raw: str, country: str | None) -> Normalized:
    """Normalizes ``raw`` as the standard's format for ``name``; ``country`` is the record's (normalized)."""
    rule = ctx.rules.fields.get(name)
    normalizer = _BY_FORMAT.get(rule.format) if rule is not None else None
    if normalizer is None:
        return normalize_text(raw, name)
    return normalizer(ctx, name, raw, country)
