"""Response caches with a time to live: a second lookup of the same key within the TTL spends nothing.

Only good answers are cached (a fault never is). :class:`FileResponseCache` keeps them across CLI
runs in one JSON file, written atomically when the run closes its providers.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from crm_hygiene.csvio import atomic_text

Clock = Callable[[], float]


class ResponseCache(Protocol):
    """Parsed answers by request key."""

    def get(self, key: str) -> dict[str, Any] | None:
        """The answer stored under ``key`` if it has not expired."""
        ...

    def put(self, key: str, value: dict[str, Any], ttl: float) -> None:
        """Stores an answer for ``ttl`` seconds."""
        ...

    def close(self) -> None:
        """Persists, where the cache persists."""
        ...


class MemoryResponseCache:
    """A dict of (expires at, answer); ``clock`` is wall time so a file cache survives restarts."""

    def __init__(self, *, clock: Clock = time.time, max_entries: int = 200_000) -> None:
        self._clock = clock
        self._max = max_entries
        self._items: dict[str, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> dict[str, Any] | None:
        item = self._items.get(key)
        if item is None:
            return None
        if item[0] < self._clock():
            with self._lock:
                self._items.pop(key, None)
            return None
        return item[1]

    def put(self, key: str, value: dict[str, Any], ttl: float) -> None:
        if ttl <= 0:
            return
        with self._lock:
            if len(self._items) >= self._max:
                self._items.pop(next(iter(self._items)))  # oldest insert first
            self._items[key] = (self._clock() + ttl, value)

    def close(self) -> None:
        pass

    def __len__(self) -> int:
        return len(self._items)


class FileResponseCache(MemoryResponseCache):
    """A :class:`MemoryResponseCache` loaded from and saved to one JSON file (expired entries dropped)."""

    def __init__(self, path: str | Path, *, clock: Clock = time.time) -> None:
        super().__init__(clock=clock)
        self.path = Path(path)
        if self.path.exists():
            now = clock()
            data = json.loads(self.path.read_text(encoding="utf-8"))
            self._items = {k: (float(e), v) for k, (e, v) in data.get("items", {}).items() if float(e) >= now}

    def close(self) -> None:
        now = self._clock()
        items = {k: [e, v] for k, (e, v) in self._items.items() if e >= now}
        with atomic_text(self.path) as fh:
            json.dump({"version": 1, "items": items}, fh, ensure_ascii=False)
