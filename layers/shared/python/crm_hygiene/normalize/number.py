"""Numbers (amounts, revenue, head counts): plain digits with a "." decimal point.

Currency symbols and codes, thousands separators (",", ".", " ", "'") and "k"/"M" suffixes are
removed; a decimal comma is recognised. Ranges ("51-200") are not numbers.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from crm_hygiene.normalize.base import EMPTY, Normalized, fixed, invalid, placeholder, valid
from crm_hygiene.normalize.placeholder import is_placeholder

_PLAIN = re.compile(r"^-?\d+(\.\d+)?$")
_CURRENCY = re.compile(r"^(?:[A-Z]{3}\s*)?[$€£¥₹]?\s*|\s*[$€£¥₹]?\s*(?:[A-Z]{3})?$")
_RANGE = re.compile(r"^\d[\d,.]*\s*(-|–|to)\s*\d[\d,.]*\+?$")
_SCALE = {"k": Decimal(1_000), "m": Decimal(1_000_000), "mm": Decimal(1_000_000), "b": Decimal(1_000_000_000)}
_SCALED = re.compile(r"^(-?[\d.,]+)\s*(k|m|mm|b|bn)$", re.IGNORECASE)


def _to_decimal(text: str) -> tuple[Decimal, float]:
    """Parses digits with separators; the confidence reflects how sure the separator reading is."""
    body = text.replace(" ", "").replace("'", "").replace("\u00a0", "")
    confidence = 0.99
    if "," in body and "." in body:
        decimal_sep = "," if body.rfind(",") > body.rfind(".") else "."
        thousands = "." if decimal_sep == "," else ","
        body = body.replace(thousands, "").replace(decimal_sep, ".")
    elif "," in body:
        head, _, tail = body.rpartition(",")
        if len(tail) == 3 and body.count(",") >= 1 and head.replace(",", "").lstrip("-").isdigit():
            body = body.replace(",", "")  # "12,500" thousands
            confidence = 0.95 if body.count(",") == 0 and len(head.lstrip("-")) <= 3 else 0.99
        else:
            body = head.replace(",", "") + "." + tail  # "12,5" decimal comma
            confidence = 0.9
    elif body.count(".") > 1:
        body = body.replace(".", "")  # "1.234.567"
    return Decimal(body), confidence


def _read(text: str) -> tuple[Decimal, float]:
    """The number in ``text`` once currency and "k"/"M" suffixes are dealt with."""
    core = _CURRENCY.sub("", text).strip()
    scale = Decimal(1)
    if m := _SCALED.match(core):
        core, scale = m[1], _SCALE[m[2].lower().replace("bn", "b")]
    value, confidence = _to_decimal(core)
    if scale == 1:
        return value, confidence
    value = value * scale
    if value == value.to_integral_value():
        value = value.quantize(Decimal(1))
    return value, min(confidence, 0.8)


@lru_cache(maxsize=65536)
def normalize_number(raw: str, integer: bool = False) -> Normalized:
    """Normalizes a number; ``integer`` fields (head counts) must have no fraction."""
    text = raw.strip()
    if not text:
        return EMPTY
    if _PLAIN.match(text) and (not integer or "." not in text):
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
        value = value.quantize(Decimal(1))
    return fixed(format(value, "f"), confidence, "plain number (symbols and separators removed)")
