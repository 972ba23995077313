"""Numbers (amounts, revenue, head counts): plain digits with a "." decimal point.

Currency symbols and codes, thousands separators (",", ".", " ", "'", thin and no-break spaces)
and "k"/"M"/"B" suffixes are removed; a decimal comma is recognised, and so are accounting
negatives ("(1,234)") and scientific notation from spreadsheets ("1.5E+06"). The standard form has
no sign on zero, no "+" and no leading zeros ("007" is "7"); decimals are kept as typed ("12.50").
Ranges ("51-200") and buckets ("1000+") are not numbers.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from crm_hygiene.normalize.base import EMPTY, Normalized, fixed, invalid, placeholder, valid
from crm_hygiene.normalize.placeholder import is_placeholder

_PLAIN = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")
_NEGATIVE_ZERO = re.compile(r"-0(?:\.0+)?")
_CURRENCY = re.compile(r"^(?:[A-Z]{3}\s*)?[$€£¥₹]?\s*|\s*[$€£¥₹]?\s*(?:[A-Z]{3})?$")
_RANGE = re.compile(r"^\d[\d,.]*\s*(-|–|to)\s*\d[\d,.]*\+?$")
_SCALE = {"k": Decimal(1_000), "m": Decimal(1_000_000), "mm": Decimal(1_000_000), "b": Decimal(1_000_000_000)}
_SCALED = re.compile(r"^(-?[\d.,]+)\s*(k|m|mm|b|bn)$", re.IGNORECASE)
_GROUP_SPACES = str.maketrans("", "", " '\u00a0\u2009\u202f")
# Digit groups with one thousands separator: "1,234,567" or Indian "12,34,567".
_GROUPED = {
    sep: re.compile(rf"-?\d{{1,3}}(?:\{sep}\d{{3}})+|-?\d{{1,2}}(?:\{sep}\d{{2}})*\{sep}\d{{3}}")
    for sep in ",."
}
_SIGN_BEFORE_CURRENCY = re.compile(r"-\s*(?=[$€£¥₹A-Z])")
_MAX_EXPONENT = 30  # a revenue of 10^30 is a typo; formatting 1e999999999 would exhaust memory


def _to_decimal(text: str) -> tuple[Decimal, float]:
    """Parses digits with separators; the confidence reflects how sure the separator reading is."""
    body = text.translate(_GROUP_SPACES)
    confidence = 0.99
    if "," in body and "." in body:
        decimal_sep = "," if body.rfind(",") > body.rfind(".") else "."
        thousands = "." if decimal_sep == "," else ","
        head, _, tail = body.rpartition(decimal_sep)
        if thousands in head and not _GROUPED[thousands].fullmatch(head):
            raise ValueError("misplaced thousands separator")
        body = head.replace(thousands, "") + "." + tail
    elif "," in body:
        head, _, tail = body.rpartition(",")
        if _GROUPED[","].fullmatch(body):
            body = body.replace(",", "")  # "12,500" thousands (or "12,5 thousand" in Europe: less sure)
            confidence = 0.95 if body.count(",") == 0 and len(head.lstrip("-")) <= 3 else 0.99
        elif "," in head:
            raise ValueError("misplaced thousands separator")
        else:
            body = head + "." + tail  # "12,5" decimal comma
            confidence = 0.9
    elif body.count(".") > 1:
        if not _GROUPED["."].fullmatch(body):
            raise ValueError("misplaced thousands separator")
        body = body.replace(".", "")  # "1.234.567"
    return Decimal(body), confidence


def _plausible(value: Decimal) -> bool:
    exponent = value.as_tuple().exponent
    return (
        isinstance(exponent, int)  # not NaN or Infinity
        and abs(exponent) <= _MAX_EXPONENT
        and abs(value.adjusted()) <= _MAX_EXPONENT
    )


def _read(text: str) -> tuple[Decimal, float]:
    """The number in ``text`` once currency, sign and "k"/"M" suffixes are dealt with."""
    sign = Decimal(1)
    core = text
    if core.startswith("(") and core.endswith(")"):
        core, sign = core[1:-1].strip(), Decimal(-1)  # accounting negative
    elif m := _SIGN_BEFORE_CURRENCY.match(core):
        core, sign = core[m.end() :], Decimal(-1)  # "-$1,234"
    core = _CURRENCY.sub("", core).strip()
    scale = Decimal(1)
    if m := _SCALED.match(core):
        core, scale = m[1], _SCALE[m[2].lower().replace("bn", "b")]
    value, confidence = _to_decimal(core)
    if not _plausible(value):
        raise ValueError("not a finite number of a plausible size")
    if sign < 0:
        value, confidence = -value, min(confidence, 0.95)
    if scale == 1:
        return value, confidence
    value = value * scale
    if value == value.to_integral_value():
        value = value.to_integral_value()
    return value, min(confidence, 0.8)


@lru_cache(maxsize=65536)
def normalize_number(raw: str, integer: bool = False) -> Normalized:
    """Normalizes a number; ``integer`` fields (head counts) must have no fraction."""
    text = raw.strip()
    if not text:
        return EMPTY
    if _PLAIN.fullmatch(text) and not _NEGATIVE_ZERO.fullmatch(text) and (not integer or "." not in text):
        return valid(text) if text == raw else fixed(text, 0.99, "trimmed")
    if is_placeholder(text, "number"):
        return placeholder("placeholder number value")
    if _RANGE.match(text):
        return invalid(f"{text!r} is a range, not a number")
    try:
        value, confidence = _read(text)
    except (InvalidOperation, ValueError):
        return invalid(f"{text!r} is not a number")
    if integer:
        if value != value.to_integral_value():
            return invalid(f"{text!r} is not a whole number")
        value = value.to_integral_value()
    if value.is_zero():
        value = abs(value)  # no "-0"
    return fixed(format(value, "f"), confidence, "plain number (symbols and separators removed)")
