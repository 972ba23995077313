"""A value a person types (edit-and-approve) checked and normalized exactly as a scan checks a field.

The standard gives the field's format; the same bound normalizer a scan runs (``validate.fields``)
decides: a value the scan would call ``invalid`` or a placeholder is refused, one it would fix is
written in its fixed form, so what a reviewer writes never shows up as a finding on the next scan.
Three rules come on top, because a person types it and a spreadsheet may open it later:

* **Length**: at most ``MAX_LENGTH`` characters (``MAX_TEXT_LENGTH`` for free text), checked before
  any normalizer runs (a 100 kB company name is refused without being parsed).
* **No control characters** anywhere (tab, CR, LF, NUL...): the fields we write are single-line.
* **No formula prefix** (OWASP CSV injection): a value starting with ``=``, ``+``, ``-``, ``@`` (or a
  tab or CR, already refused above) is refused, before and after normalizing, except where the
  format itself begins that way and the whole value parses as that format: ``+`` for E.164 phones
  (``+1 555 0100`` is how the standard writes a phone) and ``+`` / ``-`` for numbers (``-250``). Such
  a value cannot be a formula: ``+cmd|' /C calc'!A0`` is not a phone and is refused by the format.

Owners are checked against the standard's active owners when it lists them (the misowned rule).
"""

from __future__ import annotations

from typing import Final

from crm_hygiene.errors import InvalidValue
from crm_hygiene.standard.model import DataStandard
from crm_hygiene.types import FieldName, ObjectType
from crm_hygiene.validate.context import CheckContext
from crm_hygiene.validate.fields import field_normalizer

MAX_LENGTH: Final = 255
"""Characters a formatted field may hold (names, e-mails, phones, countries, picklists, dates)."""
MAX_TEXT_LENGTH: Final = 2000
"""Characters a free-text field may hold (a job title, a city: anything without a format)."""
FORMULA_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")
"""First characters a spreadsheet reads as the start of a formula (OWASP: CSV injection)."""
_SIGNED_FORMATS: Final[dict[str, frozenset[str]]] = {
    "phone_e164": frozenset({"+"}),
    "number": frozenset({"+", "-"}),
    "integer": frozenset({"+", "-"}),
}
_READ_ONLY: Final = frozenset({"record_id", "created_at", "updated_at", "last_activity_at"})


def check_value(
    standard: DataStandard, object_type: ObjectType, field: FieldName, raw: str, *, country: str | None = None
) -> str:
    """The value to write for ``raw`` typed into ``field``, normalized as a scan would.

    Args:
        standard: The clean-record standard (the field's format, picklists, active owners).
        object_type: The record's type.
        field: The field the value is for.
        raw: What the reviewer typed.
        country: The record's country (ISO alpha-2), for national phone numbers.

    Raises:
        InvalidValue: the value is refused; ``rule`` says by which rule.
    """
    rules = standard.for_object(object_type)
    fmt = rules.fields[field].format if field in rules.fields else "text"
    if field in _READ_ONLY:
        raise InvalidValue(field, "read_only", f"{field} is set by the CRM and cannot be edited")
    limit = MAX_TEXT_LENGTH if fmt in ("text", "identifier") else MAX_LENGTH
    if len(raw) > limit:
        raise InvalidValue(field, "length", f"at most {limit} characters ({len(raw)} given)")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in raw):
        raise InvalidValue(
            field, "control_characters", "control characters (tab, line break...) are not allowed"
        )
    _no_formula(field, fmt, raw.strip())
    verdict = field_normalizer(CheckContext(standard, object_type), field)(raw, country)
    if verdict.status == "placeholder":
        raise InvalidValue(field, f"placeholder.{fmt}", f"{verdict.reason}; it counts as missing")
    if verdict.status == "empty":
        raise InvalidValue(field, "required", "a value is required (it is empty or white space only)")
    if verdict.status == "invalid" or verdict.value is None:
        raise InvalidValue(field, f"format.{fmt}", verdict.reason)
    value = verdict.value
    _no_formula(field, fmt, value)
    if field == "owner" and rules.active_owners is not None:
        active = {a.casefold() for a in rules.active_owners}
        if " ".join(value.split()).casefold() not in active:
            raise InvalidValue(field, "owner.active", "not one of the standard's active owners")
    return value


def _no_formula(field: FieldName, fmt: str, text: str) -> None:
    if text.startswith(FORMULA_PREFIXES) and text[0] not in _SIGNED_FORMATS.get(fmt, frozenset()):
        raise InvalidValue(
            field, "formula", f"a value may not start with {text[0]!r}: spreadsheets run it as a formula"
        )
