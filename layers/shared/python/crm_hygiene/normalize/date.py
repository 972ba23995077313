"""Dates and date-times to ISO 8601.

ISO values are accepted as they are, with a "T" or a space before the time (RFC 3339 allows
both, and it is how HubSpot exports date-times). Everything else common in exports is rewritten:
``01/17/2024``, ``17.01.2024``, ``Jan 17, 2024``, ``17-Jan-2024``, ``Wed, 17 Jan 2024``,
``2024/01/17``, ``20240117``, epoch seconds or milliseconds, with an optional time ("14:55",
"2:55 PM", "at 5:00 pm") and zone ("Z", "UTC", "+02:00", "+0200"). Day/month order follows the
standard's explicit policy when a value is ambiguous (both parts ≤ 12), at a lower confidence
unless the user set it; a dotted date ("03.04.2024") is read day-first. Two-digit years pivot at
70 ("69" is 2069, "70" is 1970). Years outside 1900-2100 are treated as typos.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Literal

from crm_hygiene.normalize.base import EMPTY, Normalized, fixed, invalid, placeholder, valid
from crm_hygiene.normalize.placeholder import is_placeholder

DateOrder = Literal["MDY", "DMY"]

# All patterns are ASCII-only ("\d" would accept any script's digits): other digits are folded first.
_COMMON_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?")
_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?",
    re.ASCII,
)
_TIME = (
    r"(?:(?:[T ,]+|\s+at\s+)(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?"  # time, seconds, fraction
    r"\s*([AP]\.?M\.?)?\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?)?"  # AM/PM, zone
)
_FLAGS = re.ASCII | re.IGNORECASE
_YMD = re.compile(r"(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})" + _TIME, _FLAGS)
_NUMERIC = re.compile(r"(\d{1,2})([/.\-])(\d{1,2})\2(\d{2}|\d{4})" + _TIME, _FLAGS)
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})", re.ASCII)
_EPOCH = re.compile(r"\d{10}(\d{3})?", re.ASCII)
_MONTH_FIRST = re.compile(r"([a-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})" + _TIME, _FLAGS)
_DAY_FIRST = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?[\s\-]+([a-z]{3,9})\.?,?[\s\-]+(\d{4})" + _TIME, _FLAGS)
# "Wed, 17 Jan 2024" (RFC 2822) or "Wednesday January 17, 2024": the weekday adds nothing.
_WEEKDAY = re.compile(r"^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+", _FLAGS)
_MIDNIGHT = re.compile(r"[T ]00:00(?::00(?:\.0+)?)?(?:Z|[+-]\d{2}:?\d{2})?", re.ASCII)
_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
         ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
         ("oct", "october"), ("nov", "november"), ("dec", "december")]
    )
    for m in names
}  # fmt: skip


class _Parsed:
    __slots__ = ("day", "time", "tz", "confidence", "why")

    def __init__(self, day: date, time: tuple[int, int, int] | None, tz: str, confidence: float, why: str):
        self.day, self.time, self.tz, self.confidence, self.why = day, time, tz, confidence, why

    def iso(self) -> str:
        if self.time is None:
            return self.day.isoformat()
        h, m, s = self.time
        return f"{self.day.isoformat()}T{h:02d}:{m:02d}:{s:02d}{self.tz}"


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        year += 2000 if year < 70 else 1900
    return year


def _time(groups: tuple[str | None, ...]) -> tuple[tuple[int, int, int] | None, str]:
    hour, minute, second, ampm, tz = groups
    if hour is None or minute is None:
        return None, ""
    h, m, s = int(hour), int(minute), int(second or 0)
    if ampm:
        if not 1 <= h <= 12:
            raise ValueError("hour out of range for AM/PM")
        h = h % 12 + (12 if ampm[0] in "Pp" else 0)
    if h > 23 or m > 59 or s > 59:
        raise ValueError("time out of range")
    zone = "" if tz is None else ("Z" if tz.upper() in ("Z", "UTC", "GMT") else _offset(tz))
    return (h, m, s), zone


def _offset(tz: str) -> str:
    digits = tz[1:].replace(":", "")
    if int(digits[:2]) > 23 or int(digits[2:]) > 59:
        raise ValueError(f"time zone offset {tz} out of range")
    return f"{tz[0]}{digits[:2]}:{digits[2:]}"


def _day(year: int, month: int, day: int) -> date:
    if not 1900 <= year <= 2100:
        raise ValueError(f"implausible year {year}")
    return date(year, month, day)


def _numeric(match: re.Match[str], order: DateOrder, explicit: bool) -> _Parsed:
    a, sep, b, y = int(match.group(1)), match.group(2), int(match.group(3)), match.group(4)
    time, tz = _time(match.groups()[4:])
    if a > 12 >= b:
        return _Parsed(_day(_year(y), b, a), time, tz, 0.97, "day-first date")
    if b > 12 >= a:
        return _Parsed(_day(_year(y), a, b), time, tz, 0.97, "month-first date")
    if a == b:
        return _Parsed(_day(_year(y), a, b), time, tz, 0.97, "day and month are equal")
    if sep == ".":
        return _Parsed(_day(_year(y), b, a), time, tz, 0.95, "dotted date, read day-first")
    month, day = (a, b) if order == "MDY" else (b, a)
    who = "the standard's" if explicit else "the default"
    return _Parsed(_day(_year(y), month, day), time, tz, 0.95 if explicit else 0.85,
                   f"ambiguous day/month read as {order} ({who} date order)")  # fmt: skip


def _named(match: re.Match[str], month_first: bool) -> _Parsed:
    g = match.groups()
    month_name, day_text = (g[0], g[1]) if month_first else (g[1], g[0])
    month = _MONTHS.get(month_name.lower())
    if month is None:
        raise ValueError(f"unknown month {month_name!r}")
    time, tz = _time(g[3:])
    return _Parsed(_day(int(g[2]), month, int(day_text)), time, tz, 0.98, "month written as a word")


def _parse(text: str, order: DateOrder, explicit: bool) -> _Parsed | None:
    text = _WEEKDAY.sub("", text) if text[:1].isalpha() else text
    if m := _YMD.fullmatch(text):
        time, tz = _time(m.groups()[3:])
        return _Parsed(_day(int(m[1]), int(m[2]), int(m[3])), time, tz, 0.99, "year-first date")
    if m := _NUMERIC.fullmatch(text):
        return _numeric(m, order, explicit)
    if m := _MONTH_FIRST.fullmatch(text):
        return _named(m, month_first=True)
    if m := _DAY_FIRST.fullmatch(text):
        return _named(m, month_first=False)
    if m := _COMPACT.fullmatch(text):
        return _Parsed(_day(int(m[1]), int(m[2]), int(m[3])), None, "", 0.95, "compact yyyymmdd date")
    if _EPOCH.fullmatch(text):
        seconds = int(text) / (1000 if len(text) == 13 else 1)
        moment = datetime.fromtimestamp(seconds, tz=UTC)
        _day(moment.year, moment.month, moment.day)
        return _Parsed(
            moment.date(), (moment.hour, moment.minute, moment.second), "Z", 0.9, "epoch timestamp"
        )
    return None


def _check_iso(text: str) -> Normalized | None:
    m = _ISO.fullmatch(text)
    if m is None:
        return None
    try:
        _day(int(m[1]), int(m[2]), int(m[3]))
        if m[4] is not None:
            _time((m[4], m[5], m[6], None, m[7]))
    except ValueError as exc:
        return invalid(f"not a real date: {exc}")
    return valid(text)


def _plain_iso(raw: str, date_only: bool) -> bool:
    """Fast path for what most values are: plain ISO, checked by the C parser."""
    if not _COMMON_ISO.fullmatch(raw) or (date_only and len(raw) > 10):
        return False
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return False
    return 1900 <= moment.year <= 2100


_VALID_ISO = valid("", "already ISO 8601")


def normalize_date(raw: str, order: DateOrder = "MDY", explicit_order: bool = False,
                   date_only: bool = False) -> Normalized:  # fmt: skip
    """Normalizes a date or date-time to ISO 8601.

    Args:
        raw: The value as found.
        order: How to read an ambiguous ``03/04/2024``.
        explicit_order: Whether the user chose ``order`` (a default order gives lower confidence).
        date_only: The field holds dates: a midnight time is dropped ("2024-01-17 00:00" -> "2024-01-17").
    """
    if _plain_iso(raw, date_only):
        return _VALID_ISO._replace(value=raw)  # most values; timestamps rarely repeat, so no cache
    return _normalize_date(raw, order, explicit_order, date_only)


@lru_cache(maxsize=16384)
def _normalize_date(raw: str, order: DateOrder, explicit_order: bool, date_only: bool) -> Normalized:
    text = raw.strip()
    if not text:
        return EMPTY
    if is_placeholder(text, "date"):
        return placeholder("placeholder date value")
    if not text.isascii():
        text = _ascii_digits(text)
    checked = _check_iso(text)
    if checked is not None and not (date_only and checked.value and _is_midnight(checked.value)):
        return checked if text == raw or checked.status != "valid" else fixed(text, 0.99, "tidied")
    try:
        parsed = _parse(text, order, explicit_order)
    except ValueError as exc:
        return invalid(f"not a real date: {exc}")
    if parsed is None:
        return invalid("not a recognised date format")
    if date_only and parsed.time in ((0, 0, 0), None):
        parsed.time, parsed.tz = None, ""
    return fixed(parsed.iso(), parsed.confidence, f"rewritten as ISO 8601 ({parsed.why})")


def _ascii_digits(text: str) -> str:
    """Full-width and other scripts' digits as ASCII ("２０２４" or "٢٠٢٤" -> "2024")."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in folded)


def _is_midnight(value: str) -> bool:
    """ "2024-01-17T00:00:00.000+0000" (how Salesforce exports a date) and the like."""
    return _MIDNIGHT.fullmatch(value, 10) is not None


def parse_instant(value: str) -> datetime | None:
    """Reads an ISO (or any recognised) date or date-time into an aware datetime; None if it can't.

    A value without a zone is taken as UTC; one with an offset keeps it.
    """
    text = value.strip()
    if not text:
        return None
    try:  # fast path: ISO, which is what most values are
        moment = datetime.fromisoformat(text)
    except ValueError:
        pass
    else:
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    n = normalize_date(text)
    if n.value is None:
        return None
    iso = n.value.replace(" ", "T").replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
