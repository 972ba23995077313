"""When a record was last active, and how long ago: staleness and survivorship both read it."""

from __future__ import annotations

from datetime import datetime

from crm_hygiene.models.record import Record
from crm_hygiene.normalize.date import parse_instant


def age_days(moment: datetime | None, as_of: datetime) -> float | None:
    """Days from ``moment`` to ``as_of`` (fractional), None when ``moment`` is unknown."""
    return None if moment is None else (as_of - moment).total_seconds() / 86400.0


def activity(record: Record) -> tuple[datetime | None, str]:
    """The last activity, or the creation date when there never was any; and which one it is."""
    last = parse_instant(record.get("last_activity_at"))
    if last is not None:
        return last, "last activity"
    return parse_instant(record.get("created_at")), "creation (no activity recorded)"
