"""Changes to roll back: review items that change fields of existing records, to be applied through
the apply step (so the CRM, the queue and the audit trail hold what a real run leaves)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from crm_hygiene.models.record import Record
from crm_hygiene.models.review import ReviewItem

FIELDS = ("job_title", "city", "company", "postal_code")


def change(record: Record, field: str, old: str, new: str, run_id: str, n: int) -> ReviewItem:
    """An auto-applied normalization of ``field`` from ``old`` to ``new``, proposed ``n`` seconds in."""
    at = datetime(2026, 12, 1, tzinfo=UTC) + timedelta(seconds=n)
    return ReviewItem(
        review_id=f"{run_id}-chg-{n:05d}", run_id=run_id, kind="malformed", change_kind="normalize",
        object_type=record.object_type, record_id=record.record_id, field=field, current_value=old,
        suggested_value=new, evidence="test", confidence=0.99, protected=False, decision="auto",
        status="auto_applied", source="rule:test", created_at=at, updated_at=at,
    )  # fmt: skip


def changes_for(records: Sequence[Record], count: int, run_id: str) -> list[ReviewItem]:
    """``count`` changes on distinct (record, field) pairs: ``<old value> [x]``."""
    out: list[ReviewItem] = []
    for n in range(count):
        record = records[n % len(records)]
        field = FIELDS[(n // len(records)) % len(FIELDS)]
        old = record.get(field)
        out.append(change(record, field, old, f"{old} [{n}]", run_id, n))
    return out
