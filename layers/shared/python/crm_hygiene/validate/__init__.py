"""Checks records against the clean-record standard: findings, each with the fix it suggests.

``check_record`` runs ``RULES`` in order; each rule sees a ``Check`` (the record, the run's
``CheckContext``, the report so far) and adds ``Issue`` s to its ``RecordReport``.
"""

from crm_hygiene.validate.check import Check, Issue, RecordReport, Rule
from crm_hygiene.validate.context import CheckContext
from crm_hygiene.validate.record import check_record
from crm_hygiene.validate.rules import RULES

__all__ = ["RULES", "Check", "CheckContext", "Issue", "RecordReport", "Rule", "check_record"]
