"""Phone numbers to E.164 (``+14155552671``), extensions kept as ``;ext=12`` (RFC 3966 style).

The region used for national numbers is the record's country; a number that only parses under a
guessed region gets a lower confidence. Junk numbers (all one digit, running sequences,
"1234567890") are placeholders; numbers that do not parse or are not valid are invalid.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from crm_hygiene.normalize.base import EMPTY, Normalized, fixed, invalid, placeholder, valid
from crm_hygiene.normalize.placeholder import is_placeholder

if TYPE_CHECKING:
    import phonenumbers as _pn

_E164 = re.compile(r"^\+[1-9]\d{6,14}(;ext=\d{1,10})?$")
_DIGITS = re.compile(r"\d")
_INTL_00 = re.compile(r"^\s*(?:00|011)\s*(?=[1-9])")
_ASCENDING = "01234567890123456789"
_DESCENDING = "98765432109876543210"


def _lib() -> Any:
    import phonenumbers

    return phonenumbers


def _is_junk(digits: str) -> bool:
    if len(digits) < 4:
        return True
    core = digits[-10:] if len(digits) >= 10 else digits
    if len(set(core)) <= 1:
        return True
    if core in _ASCENDING or core in _DESCENDING:
        return True
    return len(core) >= 7 and len(set(core[-7:])) == 1  # "+1 212 0000000"


def _format(num: _pn.PhoneNumber) -> str:
    pn = _lib()
    e164: str = pn.format_number(num, pn.PhoneNumberFormat.E164)
    return f"{e164};ext={num.extension}" if num.extension else e164


def _region_of(num: _pn.PhoneNumber) -> str:
    region: str | None = _lib().region_code_for_number(num)
    return region or ""


@lru_cache(maxsize=65536)
def normalize_phone(raw: str, region: str | None = None, guessed_region: str | None = None) -> Normalized:
    """Normalizes one phone number.

    Args:
        raw: The value as found.
        region: ISO alpha-2 country of the record, used for numbers written without a country code.
        guessed_region: A fallback region when the record has no country (lower confidence).

    Returns:
        ``valid``/``fixed`` with the E.164 value and ``extra["region"]`` (the number's own country),
        ``placeholder`` for junk numbers, ``invalid`` otherwise.
    """
    text = raw.strip()
    if not text:
        return EMPTY
    if is_placeholder(text, "phone"):
        return placeholder("placeholder phone value")
    digits = "".join(_DIGITS.findall(text.split(";ext=")[0]))
    if _is_junk(digits):
        return placeholder("junk phone number", flags=frozenset({"junk"}))
    if _E164.match(text):
        return _check_e164(raw, text)
    return _parse_loose(raw, text, region, guessed_region)


def _check_e164(raw: str, text: str) -> Normalized:
    pn = _lib()
    try:
        num = pn.parse(text, None)
    except pn.NumberParseException:
        return invalid("not a phone number")
    if not pn.is_valid_number(num):
        return invalid("not a valid number for its country code")
    value = _format(num)
    extra = {"region": _region_of(num)}
    if value == raw:
        return valid(value, extra=extra)
    return fixed(value, 0.99, "reformatted to E.164", extra=extra)


def _parse_loose(raw: str, text: str, region: str | None, guessed_region: str | None) -> Normalized:
    pn = _lib()
    cleaned = _INTL_00.sub("+", text)
    has_plus = cleaned.lstrip().startswith("+")
    attempts: list[tuple[str | None, float, str]] = []
    if has_plus:
        attempts.append((None, 0.99, "written with its country code"))
    else:
        if region:
            attempts.append((region, 0.97, f"national number, region {region} from the record's country"))
        if guessed_region and guessed_region != region:
            attempts.append((guessed_region, 0.75, f"national number, region {guessed_region} guessed"))
    for attempt_region, confidence, why in attempts:
        try:
            num = pn.parse(cleaned, attempt_region)
        except pn.NumberParseException:
            continue
        if pn.is_valid_number(num):
            return fixed(
                _format(num), confidence, f"formatted to E.164 ({why})", extra={"region": _region_of(num)}
            )
    if not has_plus and not region and not guessed_region:
        return invalid("national number with no country to read it in")
    return invalid("not a valid phone number")


@lru_cache(maxsize=512)
def calling_code(region: str) -> int:
    """The international calling code of a region ("US" -> 1, "GB" -> 44); 0 when unknown."""
    code: int = _lib().country_code_for_region(region)
    return code
