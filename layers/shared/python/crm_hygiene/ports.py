"""Ports: what the domain needs from the outside world, as ``typing.Protocol``s.

Adapters in ``crm_hygiene/adapters`` implement them (DynamoDB, S3, SNS, Step Functions, HubSpot,
CSV); in-memory implementations for tests and local runs live next to the domain code that uses them.
"""

from __future__ import annotations

from typing import Protocol


class DecisionMemory(Protocol):
    """Remembers what reviewers rejected, so the same proposal is not raised again."""

    def was_rejected(self, key: str) -> bool:
        """Whether a change (by ``change_id``) or a pair (by its pair key) was rejected."""
        ...

    def remember_rejection(self, key: str, reason: str, reviewer: str) -> None:
        """Records a rejection."""
        ...
