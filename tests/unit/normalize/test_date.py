"""Dates and date-times to ISO 8601; ``parse_instant`` for comparisons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from crm_hygiene.normalize.date import normalize_date, parse_instant

DMY: dict[str, Any] = {"order": "DMY"}
DATE_ONLY: dict[str, Any] = {"date_only": True}

# (description, input, args, expected status, expected value)
CASES: list[tuple[str, str, dict[str, Any], str, str | None]] = [
    # --- ISO is accepted as it is ---------------------------------------------------------------------
    ("ISO date", "2024-01-17", {}, "valid", "2024-01-17"),
    ("ISO date-time", "2024-01-17T14:55:00", {}, "valid", "2024-01-17T14:55:00"),
    ("ISO with a space (HubSpot)", "2024-01-17 14:55:00", {}, "valid", "2024-01-17 14:55:00"),
    ("ISO without seconds", "2024-01-17T14:55", {}, "valid", "2024-01-17T14:55"),
    ("ISO UTC", "2024-01-17T14:55:00Z", {}, "valid", "2024-01-17T14:55:00Z"),
    ("ISO with an offset", "2024-01-17T14:55:00+02:00", {}, "valid", "2024-01-17T14:55:00+02:00"),
    ("ISO with a compact offset", "2024-01-17T14:55:00+0200", {}, "valid", "2024-01-17T14:55:00+0200"),
    ("ISO with milliseconds", "2024-01-17T14:55:00.123Z", {}, "valid", "2024-01-17T14:55:00.123Z"),
    ("ISO with nanoseconds", "2024-01-17T14:55:00.123456789", {}, "valid", "2024-01-17T14:55:00.123456789"),
    ("leap day", "2024-02-29", {}, "valid", "2024-02-29"),
    ("ISO with spaces around", "  2024-01-17  ", {}, "fixed", "2024-01-17"),
    ("ISO with single-digit month", "2024-1-17", {}, "fixed", "2024-01-17"),
    ("ISO with a space before the offset", "2024-01-17 14:55:00 +02:00", {}, "fixed", "2024-01-17T14:55:00+02:00"),
    ("ISO with a one-digit hour", "2024-01-17T2:55", {}, "fixed", "2024-01-17T02:55:00"),
    ("full-width digits", "２０２４-０１-１７", {}, "fixed", "2024-01-17"),
    ("Arabic-Indic digits", "٢٠٢٤-٠١-١٧", {}, "fixed", "2024-01-17"),
    # --- impossible or implausible -------------------------------------------------------------------
    ("February 30", "2024-02-30", {}, "invalid", None),
    ("Feb 29 in a common year", "2023-02-29", {}, "invalid", None),
    ("13th month", "2024-13-01", {}, "invalid", None),
    ("month zero", "2024-00-10", {}, "invalid", None),
    ("hour 24", "2024-01-17T24:00:00", {}, "invalid", None),
    ("minute 60", "2024-01-17T23:60:00", {}, "invalid", None),
    ("leap second", "2024-01-17T23:59:60", {}, "invalid", None),
    ("offset hour 25", "2024-01-17T14:55:00+25:00", {}, "invalid", None),
    ("offset minute 60", "2024-01-17T14:55:00+02:60", {}, "invalid", None),
    ("year 1899", "1899-12-31", {}, "invalid", None),
    ("year 2101", "2101-01-01", {}, "invalid", None),
    ("year 1", "0001-01-01", {}, "invalid", None),
    ("year 1850 in US format", "01/17/1850", {}, "invalid", None),
    ("Feb 30 in words", "Feb 30, 2024", {}, "invalid", None),
    ("day 17 and month 17", "17/17/2024", {}, "invalid", None),
    ("13/13", "13/13/2024", {}, "invalid", None),
    ("compact with month 13", "20241317", {}, "invalid", None),
    ("all zeros", "00/00/0000", {}, "invalid", None),
    # --- numeric day/month ----------------------------------------------------------------------------
    ("US unambiguous", "01/17/2024", {}, "fixed", "2024-01-17"),
    ("European unambiguous", "17/01/2024", {}, "fixed", "2024-01-17"),
    ("European unambiguous under DMY", "17/01/2024", DMY, "fixed", "2024-01-17"),
    ("US unambiguous under DMY", "01/17/2024", DMY, "fixed", "2024-01-17"),
    ("German dotted", "17.01.2024", {}, "fixed", "2024-01-17"),
    ("dotted is day-first even under MDY", "03.04.2024", {}, "fixed", "2024-04-03"),
    ("dotted but clearly month-first", "01.17.2024", {}, "fixed", "2024-01-17"),
    ("ambiguous, default MDY", "03/04/2024", {}, "fixed", "2024-03-04"),
    ("ambiguous, DMY", "03/04/2024", DMY, "fixed", "2024-04-03"),
    ("ambiguous, explicit MDY", "03/04/2024", {"order": "MDY", "explicit_order": True}, "fixed", "2024-03-04"),
    ("ambiguous, explicit DMY", "03/04/2024", {"order": "DMY", "explicit_order": True}, "fixed", "2024-04-03"),
    ("ambiguous with dashes", "03-04-2024", {}, "fixed", "2024-03-04"),
    ("single digits", "1/7/2024", {}, "fixed", "2024-01-07"),
    ("same day and month", "04/04/2024", DMY, "fixed", "2024-04-04"),
    ("mixed separators", "03/04-2024", {}, "invalid", None),
    # --- two-digit years (pivot at 70) ------------------------------------------------------------------
    ("two-digit year", "03/04/24", {}, "fixed", "2024-03-04"),
    ("69 is 2069", "03/04/69", {}, "fixed", "2069-03-04"),
    ("70 is 1970", "03/04/70", {}, "fixed", "1970-03-04"),
    ("99 is 1999", "12/31/99", {}, "fixed", "1999-12-31"),
    ("00 is 2000", "01/01/00", {}, "fixed", "2000-01-01"),
    ("European two-digit year", "17/01/24", {}, "fixed", "2024-01-17"),
    # --- year first -------------------------------------------------------------------------------------
    ("slashes", "2024/01/17", {}, "fixed", "2024-01-17"),
    ("dots", "2024.01.17", {}, "fixed", "2024-01-17"),
    ("single digits, year first", "2024/1/7", {}, "fixed", "2024-01-07"),
    ("compact yyyymmdd", "20240117", {}, "fixed", "2024-01-17"),
    # --- month names ------------------------------------------------------------------------------------
    ("Jan 17, 2024", "Jan 17, 2024", {}, "fixed", "2024-01-17"),
    ("January 17, 2024", "January 17, 2024", {}, "fixed", "2024-01-17"),
    ("Jan. with a dot", "Jan. 17, 2024", {}, "fixed", "2024-01-17"),
    ("lower case, no comma", "jan 17 2024", {}, "fixed", "2024-01-17"),
    ("caps with an ordinal", "JANUARY 17TH, 2024", {}, "fixed", "2024-01-17"),
    ("day first", "17 Jan 2024", {}, "fixed", "2024-01-17"),
    ("day-month-year with dashes", "17-Jan-2024", {}, "fixed", "2024-01-17"),
    ("ordinal day first", "17th January, 2024", {}, "fixed", "2024-01-17"),
    ("Sept", "Sept 5, 2024", {}, "fixed", "2024-09-05"),
    ("May", "May 5, 2024", {}, "fixed", "2024-05-05"),
    ("3rd", "March 3rd 2024", {}, "fixed", "2024-03-03"),
    ("RFC 2822 with a weekday", "Wed, 17 Jan 2024 14:55:00 GMT", {}, "fixed", "2024-01-17T14:55:00Z"),
    ("weekday first", "Mon Jan 17 2024", {}, "fixed", "2024-01-17"),
    ("'at' before the time", "Mar 3rd, 2024 at 5:00 PM", {}, "fixed", "2024-03-03T17:00:00"),
    ("unknown month word", "Foo 17, 2024", {}, "invalid", None),
    # --- times, AM/PM, zones -------------------------------------------------------------------------
    ("PM", "01/17/2024 2:55 PM", {}, "fixed", "2024-01-17T14:55:00"),
    ("PM without a space", "01/17/2024 2:55PM", {}, "fixed", "2024-01-17T14:55:00"),
    ("pm with seconds", "01/17/2024 02:55:30 pm", {}, "fixed", "2024-01-17T14:55:30"),
    ("12 AM is midnight", "01/17/2024 12:00 AM", {}, "fixed", "2024-01-17T00:00:00"),
    ("12 PM is noon", "01/17/2024 12:00 PM", {}, "fixed", "2024-01-17T12:00:00"),
    ("a.m. with dots", "01/17/2024 12:30 a.m.", {}, "fixed", "2024-01-17T00:30:00"),
    ("13 PM", "01/17/2024 13:00 PM", {}, "invalid", None),
    ("0 AM", "01/17/2024 0:30 AM", {}, "invalid", None),
    ("24-hour time", "01/17/2024 14:55", {}, "fixed", "2024-01-17T14:55:00"),
    ("comma before the time", "01/17/2024, 2:55 PM", {}, "fixed", "2024-01-17T14:55:00"),
    ("UTC", "01/17/2024 14:55 UTC", {}, "fixed", "2024-01-17T14:55:00Z"),
    ("GMT", "01/17/2024 14:55 GMT", {}, "fixed", "2024-01-17T14:55:00Z"),
    ("compact offset", "01/17/2024 14:55 +0200", {}, "fixed", "2024-01-17T14:55:00+02:00"),
    ("negative offset", "01/17/2024 14:55 -05:00", {}, "fixed", "2024-01-17T14:55:00-05:00"),
    ("year-first with a zone", "2024/01/17 14:55 Z", {}, "fixed", "2024-01-17T14:55:00Z"),
    # --- epoch ------------------------------------------------------------------------------------------
    ("epoch seconds", "1705500000", {}, "fixed", "2024-01-17T14:00:00Z"),
    ("epoch milliseconds", "1705500000000", {}, "fixed", "2024-01-17T14:00:00Z"),
    ("epoch past 2100", "4200000000", {}, "invalid", None),
    ("epoch of nines", "9999999999", {}, "placeholder", None),
    # --- date_only: midnight goes, other times stay --------------------------------------------------------
    ("midnight dropped", "2024-01-17 00:00:00", DATE_ONLY, "fixed", "2024-01-17"),
    ("midnight UTC dropped", "2024-01-17T00:00:00Z", DATE_ONLY, "fixed", "2024-01-17"),
    ("Salesforce date export", "2024-01-17T00:00:00.000+0000", DATE_ONLY, "fixed", "2024-01-17"),
    ("midnight with an offset", "2024-01-17T00:00:00+02:00", DATE_ONLY, "fixed", "2024-01-17"),
    ("US midnight", "01/17/2024 00:00", DATE_ONLY, "fixed", "2024-01-17"),
    ("12 AM", "01/17/2024 12:00 AM", DATE_ONLY, "fixed", "2024-01-17"),
    ("epoch at midnight", "1705449600", DATE_ONLY, "fixed", "2024-01-17"),
    ("a real time is kept", "2024-01-17 14:55", DATE_ONLY, "valid", "2024-01-17 14:55"),
    ("a date is a date", "2024-01-17", DATE_ONLY, "valid", "2024-01-17"),
    ("midnight kept for date-times", "2024-01-17T00:00:00", {}, "valid", "2024-01-17T00:00:00"),
    # --- not dates ---------------------------------------------------------------------------------------
    ("a word", "yesterday", {}, "invalid", None),
    ("a year", "2024", {}, "invalid", None),
    ("a month", "2024-01", {}, "invalid", None),
    ("a quarter", "Q1 2024", {}, "invalid", None),
    ("month and year", "Jan 2024", {}, "invalid", None),
    ("no year", "1/17", {}, "invalid", None),
    ("one-digit year", "1/1/1", {}, "invalid", None),
    ("n/a", "n/a", {}, "placeholder", None),
    ("TBD", "TBD", {}, "placeholder", None),
    ("zero", "0", {}, "placeholder", None),
    ("dash", "-", {}, "placeholder", None),
    ("empty", "", {}, "empty", None),
    ("white space only", "  ", {}, "empty", None),
]  # fmt: skip


@pytest.mark.parametrize(("description", "raw", "args", "status", "value"), CASES, ids=[c[0] for c in CASES])
def test_normalize_date(
    description: str, raw: str, args: dict[str, Any], status: str, value: str | None
) -> None:
    result = normalize_date(raw, **args)

    assert (result.status, result.value) == (status, value), result.reason
    if value is not None:  # idempotent
        again = normalize_date(value, **args)
        assert (again.status, again.value) == ("valid", value)


def test_confidence_follows_how_the_day_and_month_were_decided() -> None:
    default_order = normalize_date("03/04/2024", "MDY", explicit_order=False)
    chosen_order = normalize_date("03/04/2024", "MDY", explicit_order=True)
    unambiguous = normalize_date("03/14/2024", "MDY", explicit_order=False)
    iso = normalize_date("2024-03-04")

    assert default_order.confidence < chosen_order.confidence < unambiguous.confidence < iso.confidence


@pytest.mark.parametrize(
    ("value", "instant"),
    [
        ("2024-01-17", datetime(2024, 1, 17, tzinfo=UTC)),
        ("2024-01-17T14:55:00", datetime(2024, 1, 17, 14, 55, tzinfo=UTC)),
        ("2024-01-17 14:55:00", datetime(2024, 1, 17, 14, 55, tzinfo=UTC)),
        ("2024-01-17T14:55:00Z", datetime(2024, 1, 17, 14, 55, tzinfo=UTC)),
        ("2024-01-17T14:55:00+02:00", datetime(2024, 1, 17, 12, 55, tzinfo=UTC)),
        ("2024-01-17T14:55:00+0200", datetime(2024, 1, 17, 12, 55, tzinfo=UTC)),
        ("01/17/2024", datetime(2024, 1, 17, tzinfo=UTC)),
        ("Jan 17, 2024 2:55 PM", datetime(2024, 1, 17, 14, 55, tzinfo=UTC)),
        ("20240117", datetime(2024, 1, 17, tzinfo=UTC)),
        ("1705500000", datetime(2024, 1, 17, 14, tzinfo=UTC)),
        (" 2024-01-17 ", datetime(2024, 1, 17, tzinfo=UTC)),
    ],
)
def test_parse_instant(value: str, instant: datetime) -> None:
    moment = parse_instant(value)

    assert moment == instant
    assert moment is not None and moment.tzinfo is not None


def test_parse_instant_keeps_the_offset_it_was_given() -> None:
    moment = parse_instant("2024-01-17T14:55:00+02:00")

    assert moment is not None and moment.utcoffset() == timezone(timedelta(hours=2)).utcoffset(None)


@pytest.mark.parametrize("value", ["", "  ", "garbage", "2024-02-30", "99999-01-01", "n/a", "01/17"])
def test_parse_instant_is_none_for_what_is_not_a_date(value: str) -> None:
    assert parse_instant(value) is None
