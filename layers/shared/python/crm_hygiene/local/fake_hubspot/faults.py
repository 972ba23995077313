"""Fault injection: 429 storms, 5xx answers, slow answers, dropped connections and a person's edits,
on demand.

A fault matches requests by method and a path pattern and fires ``times`` times (after letting ``skip``
matching requests through). ``phase="after"`` processes the request first and then spoils the answer:
the write happened but the client cannot know, which is what "never double-apply" is tested with.
A fault may carry ``edits``: a person's edits made in HubSpot's UI at the moment it fires (after the
request was processed with ``phase="after"``, before it with ``phase="before"``), i.e. between the
client's attempt and anything it does next. ``kind="edit"`` only makes the edits and spoils nothing.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

FaultKind = Literal["status", "rate_limit", "slow", "drop", "edit"]


class PersonEdit(BaseModel):
    """A person changes a record in HubSpot's UI (history and webhooks say ``CRM_UI``)."""

    model_config = ConfigDict(extra="forbid")

    object_type: str
    id: str
    properties: dict[str, str]


class Fault(BaseModel):
    """One injected misbehaviour.

    Attributes:
        kind: ``status`` (answer ``status``), ``rate_limit`` (a 429 with HubSpot's body and headers),
            ``slow`` (wait ``delay`` seconds), ``drop`` (close the connection without an answer),
            ``edit`` (only the ``edits``: the answer is not spoiled).
        times: How many matching requests it spoils.
        skip: How many matching requests pass untouched first.
        method: HTTP method to match ("" = any).
        path: Regular expression searched in the path ("" = any).
        phase: ``before`` the request is processed (nothing applied) or ``after`` (applied).
        retry_after: Seconds for a ``Retry-After`` header on 429/477/503 answers.
        policy: ``policyName`` of an injected 429.
        edits: A person's edits made when the fault fires (each time it fires).
    """

    model_config = ConfigDict(extra="forbid")

    kind: FaultKind
    times: int = 1
    skip: int = 0
    status: int = 500
    method: str = ""
    path: str = ""
    phase: Literal["before", "after"] = "before"
    delay: float = 0.0
    retry_after: float | None = None
    policy: str = "TEN_SECONDLY_ROLLING"
    edits: list[PersonEdit] = Field(default_factory=list)


class FaultPlan:
    """The faults waiting to fire, in the order they were added; thread-safe."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self.fired: Counter[str] = Counter()

    def add(self, *faults: Fault) -> None:
        with self._lock:
            self._faults.extend(f.model_copy() for f in faults)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[Fault]:
        with self._lock:
            return [f.model_copy() for f in self._faults]

    def take(self, method: str, path: str, phase: str) -> Fault | None:
        """The fault this request triggers in ``phase``, if any (consumes one use)."""
        with self._lock:
            for fault in self._faults:
                if fault.phase != phase or not _matches(fault, method, path):
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                self.fired[f"{fault.kind}:{fault.status if fault.kind == 'status' else fault.phase}"] += 1
                return fault.model_copy(deep=True)
        return None


def _matches(fault: Fault, method: str, path: str) -> bool:
    if fault.method and fault.method.upper() != method.upper():
        return False
    return not fault.path or re.search(fault.path, path) is not None
