"""Dates and date-times to ISO 8601.

ISO values are accepted as they are, with a "T" or a space before the time (RFC 3339 allows
both, and it is how HubSpot exports date-times). Everything else common in exports is rewritten:
``01/17/2024``, ``17.01.2024``, ``Jan 17, 2024``, ``2024/01/17``, ``20240117``, epoch seconds or
milliseconds, with an optional time and AM/PM. Day/month order follows the standard's explicit
policy when a value is ambiguous (both parts ≤ 12), at a lower confidence unless the user set it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Literal

from crm_hygiene.normalize.base import EMPTY, Normalized, fixed, invalid, placeholder, valid
from crm_hygiene.normalize.placeholder import is_placeholder

DateOrder = Literal["MDY", "DMY"]

_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$"
)
_TIME = (
    r"(?:[T ,]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?"  # time, optional seconds and fraction
    r"\s*([AaPp]\.?[Mm]\.?)?\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?)?"  # AM/PM, zone
)
_YMD = re.compile(r"^(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})" + _TIME + "$")
_NUMERIC = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{2}|\d{4})" + _TIME + "$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_EPOCH = re.compile(r"^\d{10}(\d{3})?$")
_MONTH_FIRST = re.compile(r"^([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})" + _TIME + "$")
_DAY_FIRST = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?[\s\-]+([A-Za-z]{3,9})\.?,?[\s\-]+(\d{4})" + _TIME + "$")
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
    return f"{tz[0]}{digits[:2]}:{digits[2:]}"


def _day(year: int, month: int, day: int) -> date:
    if not 1900 <= year <= 2100:
        raise ValueError(f"implausible year {year}")
    return date(year, month, day)


def _numeric(match: re.Match[str], order: DateOrder, explicit: bool) -> _Parsed:
    a, sep, b, y = int(match.group(1)), match.group(2), int(match.group(3)), match.group(4)
    time, tz = _time(match.groups()[4:])
    if sep == "." or a > 12 >= b:
        return _Parsed(_day(_year(y), b, a), time, tz, 0.97, "day-first date")
    if b > 12 >= a:
        return _Parsed(_day(_year(y), a, b), time, tz, 0.97, "month-first date")
    if a == b:
        return _Parsed(_day(_year(y), a, b), time, tz, 0.97, "day and month are equal")
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
    if m := _YMD.match(text):
        time, tz = _time(m.groups()[3:])
        return _Parsed(_day(int(m[1]), int(m[2]), int(m[3])), time, tz, 0.99, "year-first date")
    if m := _NUMERIC.match(text):
        return _numeric(m, order, explicit)
    if m := _MONTH_FIRST.match(text):
        return _named(m, month_first=True)
    if m := _DAY_FIRST.match(text):
        return _named(m, month_first=False)
    if m := _COMPACT.match(text):
        return _Parsed(_day(int(m[1]), int(m[2]), int(m[3])), None, "", 0.95, "compact yyyymmdd date")
    if _EPOCH.match(text):
        seconds = int(text) / (1000 if len(text) == 13 else 1)
        moment = datetime.fromtimestamp(seconds, tz=UTC)
        _day(moment.year, moment.month, moment.day)
        return _Parsed(
            moment.date(), (moment.hour, moment.minute, moment.second), "Z", 0.9, "epoch timestamp"
        )
    return None


def _check_iso(text: str) -> Normalized | None:
    m = _ISO.match(text)
    if m is None:
        return None
    try:
        _day(int(m[1]), int(m[2]), int(m[3]))
        if m[4] is not None:
            _time((m[4], m[5], m[6], None, None))
    except ValueError as exc:
        return invalid(f"not a real date: {exc}")
    return valid(text)


@lru_cache(maxsize=65536)
def normalize_date(raw: str, order: DateOrder = "MDY", explicit_order: bool = False,
                   date_only: bool = False) -> Normalized:  # fmt: skip
    """Normalizes a date or date-time to ISO 8601.

    Args:
        raw: The value as found.
        order: How to read an ambiguous ``03/04/2024``.
        explicit_order: Whether the user chose ``order`` (a default order gives lower confidence).
        date_only: The field holds dates: a midnight time is dropped ("2024-01-17 00:00" -> "2024-01-17").
    """
    text = raw.strip()
    if not text:
        return EMPTY
    if is_placeholder(text, "date"):
        return placeholder("placeholder date value")
    checked = _check_iso(text)
    if checked is not None and not (date_only and checked.value and _is_midnight(checked.value)):
        return checked if text == raw or checked.status != "valid" else fixed(text, 0.99, "trimmed")
    try:
        parsed = _parse(text, order, explicit_order)
    except ValueError as exc:
        return invalid(f"not a real date: {exc}")
    if parsed is None:
        return invalid("not a recognised date format")
    if date_only and parsed.time in ((0, 0, 0), None):
        parsed.time, parsed.tz = None, ""
    return fixed(parsed.iso(), parsed.confidence, f"rewritten as ISO 8601 ({parsed.why})")


def _is_midnight(value: str) -> bool:
    return len(value) > 10 and value[11:].startswith(("00:00:00", "00:00")) and value[11:].rstrip("Z") in (
        "00:00", "00:00:00",
    )  # fmt: skip


def parse_instant(value: str) -> datetime | None:
    """Reads an ISO (or any recognised) date or date-time into an aware UTC datetime; None if it can't."""
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
