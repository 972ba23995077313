"""Health of records and of the whole CRM (docs/health.md has the formula)."""

from crm_hygiene.health.score import HealthAggregate, record_health

__all__ = ["HealthAggregate", "record_health"]
