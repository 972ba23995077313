"""What every CRM's webhook receiver is to the HTTP layer: one delivery in, a ``WebhookResult`` out.

The webhook function picks the receiver of the configured CRM from ``crm_hygiene.wiring.crm``; a new
CRM's receiver implements ``WebhookReceiver`` and returns these results.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from crm_hygiene.models.messages import ScanRequest


class WebhookResult(BaseModel):
    """What the HTTP layer answers (``status_code``, ``body()``) and hands on (``accepted``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status_code: int
    accepted: list[ScanRequest] = Field(default_factory=list)
    events: int = 0
    ignored: int = 0
    duplicates: int = 0
    claimed: list[str] = Field(default_factory=list)
    reason: str = ""

    def body(self) -> dict[str, Any]:
        if self.status_code == 401:
            return {"message": "invalid signature"}
        if self.status_code == 400:
            return {"message": self.reason}
        return {"accepted": len(self.accepted), "ignored": self.ignored, "duplicates": self.duplicates}


class WebhookReceiver(Protocol):
    """Verifies, de-duplicates and translates one CRM's change notifications into scan requests."""

    def receive(
        self, *, method: str, uri: str | Sequence[str], headers: Mapping[str, str], body: bytes
    ) -> WebhookResult:
        """One delivery; ``uri`` is the full URL as the CRM called it (what signatures cover), or its
        possible forms when the caller cannot know it exactly (``webhooks/request.py``)."""
        ...

    def release(self, result: WebhookResult) -> None:
        """Forgets a delivery's claims when its requests could not be handed on (the CRM retries)."""
        ...
