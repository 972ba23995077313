"""The policy: the only place that decides what may change by itself."""

from crm_hygiene.policy.decide import decide

__all__ = ["decide"]
