"""Checks records against the clean-record standard: findings, each with the fix it suggests."""

from crm_hygiene.validate.context import CheckContext
from crm_hygiene.validate.record import Issue, RecordReport, check_record

__all__ = ["CheckContext", "Issue", "RecordReport", "check_record"]
