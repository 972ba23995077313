"""Wire formats of the fake: HubSpot datetimes, numbers, error bodies, responses."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

Json = Any

_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$"
)


def iso(ms: int) -> str:
    """``2024-01-17T19:55:04.281Z``."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def to_ms(text: str) -> int | None:
    """Epoch milliseconds of epoch-ms digits or an ISO 8601 date / date-time (UTC when unzoned)."""
    value = text.strip()
    if value.isdigit():
        return int(value)
    match = _ISO.match(value)
    if match is None:
        return None
    year, month, day, hour, minute, second, frac, zone = match.groups()
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), tzinfo=UTC
        )
    except ValueError:
        return None
    offset = 0
    if zone and zone != "Z":
        digits = zone[1:].replace(":", "")
        offset = (-1 if zone[0] == "-" else 1) * (int(digits[:2]) * 60 + int(digits[2:]))
    return int(moment.timestamp() * 1000) - offset * 60_000 + int((frac or "0")[:3].ljust(3, "0"))


def number(text: str) -> Decimal | None:
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        return None


class FakeError(Exception):
    """An error answer of the fake API (crm-apis.md A.12)."""

    def __init__(
        self, status: int, category: str, message: str, *, errors: list[dict[str, Any]] | None = None,
        context: dict[str, Any] | None = None, sub_category: str | None = None,
    ) -> None:  # fmt: skip
        super().__init__(message)
        self.status = status
        self.category = category
        self.message = message
        self.errors = errors or []
        self.context = context or {}
        self.sub_category = sub_category

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "status": "error",
            "message": self.message,
            "correlationId": str(uuid.uuid4()),
            "category": self.category,
        }
        if self.sub_category:
            body["subCategory"] = self.sub_category
        if self.errors:
            body["errors"] = self.errors
        if self.context:
            body["context"] = self.context
        body["links"] = {}
        return body


def property_error(code: str, name: str, message: str) -> dict[str, Any]:
    return {"message": message, "code": code, "context": {"propertyName": [name]}}


def validation(message: str, errors: list[dict[str, Any]] | None = None) -> FakeError:
    return FakeError(400, "VALIDATION_ERROR", message, errors=errors)


def not_found(kind: str, object_id: object) -> FakeError:
    return FakeError(404, "OBJECT_NOT_FOUND", f"resource not found: {kind} {object_id}")


@dataclass
class FakeResponse:
    """An answer: ``drop`` closes the connection without one; ``delay`` waits before sending it."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    delay: float = 0.0

    @classmethod
    def of(cls, status: int, payload: Json = None) -> FakeResponse:
        if payload is None:
            return cls(status)
        return cls(status, json.dumps(payload).encode(), {"Content-Type": "application/json;charset=utf-8"})

    def json(self) -> Json:
        return json.loads(self.body) if self.body else None
