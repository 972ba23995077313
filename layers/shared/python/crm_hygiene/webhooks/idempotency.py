"""An in-memory ``IdempotencyStore`` (local runs, ``crm-hygiene serve``, tests); AWS uses DynamoDB."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class InMemoryIdempotencyStore:
    """Claims in a dict with expiry times; atomic under a lock."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._claims: dict[str, float] = {}
        self._lock = threading.Lock()

    def claim(self, key: str, *, ttl_seconds: int = 172_800) -> bool:
        now = self._clock()
        with self._lock:
            expires = self._claims.get(key)
            if expires is not None and expires > now:
                return False
            self._claims[key] = now + ttl_seconds
            if len(self._claims) % 1024 == 0:
                self._claims = {k: t for k, t in self._claims.items() if t > now}
            return True

    def release(self, key: str) -> None:
        with self._lock:
            self._claims.pop(key, None)
