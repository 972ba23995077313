"""Phone numbers to E.164 (``+14155552671``), extensions kept as ``;ext=12`` (RFC 3966 style).

The region used for national numbers is the record's country; a number that only parses under a
guessed region gets a lower confidence. Junk numbers (all one digit, running sequences,
"1234567890", the North American 555-01XX range reserved for fiction) are placeholders; numbers
that do not parse or are not valid are invalid. Vanity numbers ("1-800-FLOWERS") are converted to
digits at a lower confidence and flagged ``vanity``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from crm_hygiene.normalize.base import EMPTY, Normalized, fixed, invalid, placeholder, valid
from crm_hygiene.normalize.placeholder import is_placeholder

if TYPE_CHECKING:
    import phonenumbers as _pn

_E164 = re.compile(r"\+[1-9][0-9]{6,14}(;ext=[0-9]{1,20})?")
_DIGITS = re.compile(r"\d")
_INTL_00 = re.compile(r"^\s*(?:00|011)\s*(?=[1-9])")
# A label typed before the number ("Tel: ...", "tel:+1...", "Mobile ..."): it is not part of the number.
_LABEL = re.compile(r"^(?:tel|phone|ph|mobile|mob|cell|office|work|direct|main)\b\.?\s*:?\s*", re.IGNORECASE)
# A trailing extension: its digits must not count when deciding whether the number is junk.
_EXTENSION = re.compile(r"(?:;ext=|\s*(?:ext(?:ension)?\.?|x|#)\s*)\d+\s*$", re.IGNORECASE)
_LETTERS = re.compile(r"[A-Za-z]")
_JUNK = frozenset({"junk"})
_VANITY = frozenset({"vanity"})
_ASCENDING = "01234567890123456789"
_DESCENDING = "98765432109876543210"


_PHONENUMBERS: Any = None


def _lib() -> Any:
    """phonenumbers, imported on first use (a cold start that never sees a phone does not load it)."""
    global _PHONENUMBERS
    if _PHONENUMBERS is None:
        import phonenumbers

        _PHONENUMBERS = phonenumbers
    return _PHONENUMBERS


def _is_junk(digits: str) -> bool:
    if len(digits) < 4:
        return True
    core = digits[-10:] if len(digits) >= 10 else digits
    if len(set(core)) <= 1:
        return True
    if core in _ASCENDING or core in _DESCENDING:
        return True
    return len(core) >= 7 and len(set(core[-7:])) == 1  # "+1 212 0000000"


def _is_fictional(num: _pn.PhoneNumber) -> bool:
    """North American 555-0100 to 555-0199 are reserved for films and examples."""
    national = str(num.national_number)
    return num.country_code == 1 and len(national) == 10 and national[3:8] == "55501"


def _format(num: _pn.PhoneNumber) -> str:
    pn = _lib()
    e164: str = pn.format_number(num, pn.PhoneNumberFormat.E164)
    return f"{e164};ext={num.extension}" if num.extension else e164


_Desc = tuple[frozenset[int], "re.Pattern[str]"]


@lru_cache(maxsize=512)
def _region_rules(region: str) -> tuple[_Desc, tuple[_Desc, ...]] | None:
    """A region's validity rules from phonenumbers' public metadata, compiled once: the general
    description and every number-type description (possible lengths, national-number pattern)."""
    pn = _lib()
    metadata = pn.PhoneMetadata.metadata_for_region(region, None)
    if metadata is None or metadata.general_desc is None:
        return None

    def desc(d: Any) -> _Desc | None:
        if d is None or not d.national_number_pattern:
            return None
        lengths = frozenset(x for x in (d.possible_length or ()) if x > 0)
        return lengths, re.compile(d.national_number_pattern)

    general = desc(metadata.general_desc)
    if general is None:
        return None
    # Validity is "matches some type", so the order is free: the common types go first.
    kinds = (
        "fixed_line", "mobile", "toll_free", "voip", "premium_rate", "shared_cost", "personal_number",
        "pager", "uan", "voicemail",
    )  # fmt: skip
    types = tuple(d for d in (desc(getattr(metadata, k, None)) for k in kinds) if d is not None)
    return general, types


def _matches(nsn: str, rule: _Desc) -> bool:
    lengths, pattern = rule
    return (not lengths or len(nsn) in lengths) and pattern.fullmatch(nsn) is not None


def is_valid_for_region(num: _pn.PhoneNumber, region: str) -> bool:
    """phonenumbers' ``is_valid_number_for_region`` on precompiled rules: the number matches the
    region's general description and at least one number type (same metadata, same answer)."""
    if num.country_code != calling_code(region) or num.italian_leading_zero:
        return bool(_lib().is_valid_number_for_region(num, region))
    rules = _region_rules(region)
    if rules is None:
        return bool(_lib().is_valid_number_for_region(num, region))
    general, types = rules
    nsn = str(num.national_number)
    return _matches(nsn, general) and any(_matches(nsn, t) for t in types)


def _valid_region(num: _pn.PhoneNumber, hint: str | None) -> str | None:
    """The number's region if it is valid, else None.

    With a hint (the record's country) that shares the number's calling code, one region's rules
    are checked; otherwise phonenumbers walks every region of the calling code (25 for +1), twice.
    """
    pn = _lib()
    if hint and calling_code(hint) == num.country_code and is_valid_for_region(num, hint):
        return hint
    if not pn.is_valid_number(num):
        return None
    region: str | None = pn.region_code_for_number(num)
    return region or ""


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
    if raw[:1] == "+" and 8 <= len(raw) <= 16 and raw[1:].isdigit() and not _is_junk(raw[1:]):
        # the common, clean case; numbers rarely repeat, so caching would only cost
        return _check_e164(raw, raw, _upper(region) or _upper(guessed_region))
    return _normalize_loose(raw, region, guessed_region)


@lru_cache(maxsize=16384)
def _normalize_loose(raw: str, region: str | None, guessed_region: str | None) -> Normalized:
    text = raw.strip()
    if not text:
        return EMPTY
    if is_placeholder(text, "phone"):
        return placeholder("placeholder phone value")
    text = _LABEL.sub("", text)
    digits = "".join(_DIGITS.findall(_EXTENSION.sub("", text)))
    if _is_junk(digits):
        return placeholder("junk phone number", flags=_JUNK)
    if _E164.fullmatch(text):
        return _check_e164(raw, text, _upper(region) or _upper(guessed_region))
    return _parse_loose(raw, text, _upper(region), _upper(guessed_region))


def _upper(region: str | None) -> str | None:
    return region.upper() if region else None


def _fast_e164(text: str) -> _pn.PhoneNumber | None:
    """Builds the number of a strict E.164 string without phonenumbers' general parser (about half
    the cost of a clean number). Calling codes are prefix-free, so the first 1-3 digits that are one
    are it. Anything unusual (leading zero after the code, extensions) returns None: use ``parse``."""
    pn = _lib()
    digits = text[1:]
    if not digits.isdigit():
        return None
    for size in (1, 2, 3):
        code = int(digits[:size])
        if code in pn.COUNTRY_CODE_TO_REGION_CODE:
            national = digits[size:]
            if not national or national[0] == "0":
                return None
            number: _pn.PhoneNumber = pn.PhoneNumber(country_code=code, national_number=int(national))
            return number
    return None


def _check_e164(raw: str, text: str, hint: str | None) -> Normalized:
    pn = _lib()
    num = _fast_e164(text)
    built = num is not None  # built from the digits as written: its E.164 form is the text itself
    if num is None:
        try:
            num = pn.parse(text, None)
        except pn.NumberParseException:
            return invalid("not a phone number")
    region = _valid_region(num, hint)
    if region is None:
        return invalid("not a valid number for its country code")
    return _found(raw, num, 0.99, "reformatted to E.164", region=region, formatted=text if built else None)


def _found(raw: str, num: _pn.PhoneNumber, confidence: float, why: str, vanity: bool = False,
           region: str | None = None, formatted: str | None = None) -> Normalized:  # fmt: skip
    if _is_fictional(num):
        return placeholder("a 555-01XX number, reserved for fiction", flags=_JUNK)
    value = formatted if formatted is not None else _format(num)
    found = region if region is not None else (_lib().region_code_for_number(num) or "")
    extra = {"region": found}
    if value == raw:
        return valid(value, extra=extra)
    if vanity:
        return fixed(value, min(confidence, 0.9), f"{why}; letters read as keypad digits", _VANITY, extra)
    return fixed(value, confidence, why, extra=extra)


_Attempt = tuple[str, str | None, float, str]


def _attempts(text: str, region: str | None, guessed_region: str | None) -> list[_Attempt]:
    """(text, region, confidence, why) to try in order. The record's region goes first with the text as
    typed, so phonenumbers applies that region's own international prefix ("011" only in NANP: "0113"
    is a Leeds number in GB); rewriting "00"/"011" to "+" is only a fallback."""
    attempts: list[_Attempt] = []
    if text.lstrip().startswith("+"):
        attempts.append((text, None, 0.99, "written with its country code"))
    if region:
        attempts.append((text, region, 0.97, f"national number, region {region} from the record's country"))
    rewritten = _INTL_00.sub("+", text)
    if rewritten != text:
        attempts.append((rewritten, None, 0.95, "international prefix read as +"))
    if guessed_region and guessed_region != region:
        attempts.append((text, guessed_region, 0.75, f"national number, region {guessed_region} guessed"))
    return attempts


def _parse_loose(raw: str, text: str, region: str | None, guessed_region: str | None) -> Normalized:
    pn = _lib()
    vanity = len(_LETTERS.findall(_EXTENSION.sub("", text))) >= 3
    attempts = _attempts(text, region, guessed_region)
    for candidate, attempt_region, confidence, why in attempts:
        try:
            num = pn.parse(candidate, attempt_region)
        except pn.NumberParseException:
            continue
        found = _valid_region(num, attempt_region or region)
        if found is not None:
            return _found(raw, num, confidence, f"formatted to E.164 ({why})", vanity, found)
    if not attempts:
        return invalid("national number with no country to read it in")
    return invalid("not a valid phone number")


@lru_cache(maxsize=512)
def calling_code(region: str) -> int:
    """The international calling code of a region ("US" -> 1, "GB" -> 44); 0 when unknown."""
    code: int = _lib().country_code_for_region(region)
    return code
