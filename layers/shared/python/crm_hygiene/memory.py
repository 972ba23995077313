"""In-memory implementations of the ports, for tests, local runs and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class InMemoryDecisionMemory:
    """``DecisionMemory`` in a dict: key -> (reason, reviewer)."""

    rejected: dict[str, tuple[str, str]] = field(default_factory=dict)

    def was_rejected(self, key: str) -> bool:
        return key in self.rejected

    def remember_rejection(self, key: str, reason: str, reviewer: str) -> None:
        self.rejected[key] = (reason, reviewer)
