"""``check_record``: one record against the standard -> issues (a finding and the fix it suggests)."""

from __future__ import annotations

from crm_hygiene.models.record import Record
from crm_hygiene.validate.check import Check, RecordReport
from crm_hygiene.validate.context import CheckContext
from crm_hygiene.validate.rules import RULES


def check_record(record: Record, ctx: CheckContext) -> RecordReport:
    """Checks one record against the standard: runs every rule of ``RULES`` in order.

    Args:
        record: The record to check.
        ctx: The run's shared inputs (standard, as-of time, the source's columns).

    Returns:
        The record's report: issues in the order the rules found them, verdicts, completeness and
        activity age.
    """
    check = Check(record, ctx)
    for rule in RULES:
        rule(check)
    return check.report
