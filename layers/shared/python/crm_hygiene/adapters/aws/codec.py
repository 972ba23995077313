"""Cursor encoding for DynamoDB pagination (opaque to callers, URL-safe)."""

from __future__ import annotations

import base64
import json
from typing import Any

from crm_hygiene.errors import InvalidRequest


def encode_cursor(key: dict[str, Any] | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":"), default=str).encode()).decode()


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError):
        raise InvalidRequest("invalid cursor: pass back the next_cursor of a page, unchanged") from None
    if not isinstance(value, dict):
        raise InvalidRequest("invalid cursor: pass back the next_cursor of a page, unchanged")
    return value
