"""Pydantic models: the domain's values and the shapes that cross boundaries. No I/O here."""

from crm_hygiene.models.change import ProposedChange, Verdict
from crm_hygiene.models.finding import Finding
from crm_hygiene.models.health import HealthScore
from crm_hygiene.models.queue import QUEUE_COLUMNS, QueueRow
from crm_hygiene.models.record import Record

__all__ = ["QUEUE_COLUMNS", "Finding", "HealthScore", "ProposedChange", "QueueRow", "Record", "Verdict"]
