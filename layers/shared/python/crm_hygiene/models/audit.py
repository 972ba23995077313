"""Audit entries: every transition of every change, chained per record so tampering shows."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from crm_hygiene.types import ChangeStatus, FieldName, ObjectType, RecordId

AuditAction = Literal[ChangeStatus, "merged", "applying", "merging", "rolling_back"]
"""What an audit entry records: a change reaching a status, a merge carried out, or an intent: the
effect about to be made on the CRM (``applying``, ``merging``, ``rolling_back``), written before the
CRM is touched. An intent without a later outcome entry is a step that crashed and will be resumed
(``docs/pipeline.md``, "Change lifecycle")."""
INTENT_ACTIONS: frozenset[str] = frozenset({"applying", "merging", "rolling_back"})
GENESIS = "0" * 64

SourceKind = Literal["provider", "rule", "reviewer", "system"]
"""Who proposed what an entry records: an enrichment provider, a scan rule (normalizer, derivation,
dedup), a reviewer's own value, or the system itself (a restore, a rollback)."""


class AuditSource(BaseModel):
    """Where a change came from, structured (``kind`` + ``name``: ``provider`` + ``clearbit``, ``rule`` +
    ``normalize.phone``, ``reviewer`` + the reviewer's id)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: SourceKind
    name: str


def entry_id(change_id: str, action: str, version: int, part: str = "") -> str:
    """The deterministic id of one entry: the same step of the same change at the same item version
    always gets the same id, so a redelivered step appends nothing twice (``AuditLog.append``)."""
    return f"{change_id}:{action}:v{version}" + (f":{part}" if part else "")


def record_key(object_type: ObjectType, record_id: RecordId) -> str:
    return f"{object_type}#{record_id}"


class _AuditFields(BaseModel):
    """What happened to which field of which record, by whom, and why.

    Attributes:
        action: A status reached, ``merged``, or an intent (``INTENT_ACTIONS``) written before the effect.
        entry_id: Deterministic id of the step (``entry_id()``): an ``AuditLog`` appends an id once, so
            a redelivered step never writes a second entry ("" on entries from before it existed).
        confidence: The change's confidence, when there is one.
        source: Where the change came from (provider, rule, reviewer, system).
        reviewer: The person who decided the change (None for a change that applied by itself).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    actor: str
    action: AuditAction
    object_type: ObjectType
    record_id: RecordId
    field: FieldName
    before: str | None = None
    after: str | None = None
    reason: str = ""
    change_id: str = ""
    review_id: str = ""
    run_id: str = ""
    # Added for "audit before effect" (issue 10). Entries written before carry none of them and
    # their hash never covered them: ``digest`` leaves them out while they hold their default.
    entry_id: str = ""
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    source: AuditSource | None = None
    reviewer: str | None = None


_ADDED_FIELDS: dict[str, object] = {"entry_id": "", "confidence": None, "source": None, "reviewer": None}


class AuditEntry(_AuditFields):
    """One append-only line of the audit trail.

    ``seq`` numbers the entries of one record from 1; ``prev_hash`` is the previous entry's
    ``hash`` (or 64 zeros), and ``hash`` covers every other field, so editing or removing an entry
    breaks the chain (``verify_chain``).
    """

    record_key: str
    seq: int = Field(ge=1)
    at: datetime
    prev_hash: str = GENESIS
    hash: str = ""

    def digest(self) -> str:
        body = self.model_dump(mode="json", exclude={"hash"})
        for name, default in _ADDED_FIELDS.items():  # entries older than these fields still verify
            if body.get(name) == default:
                del body[name]
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def sealed(self) -> AuditEntry:
        """This entry with its ``hash`` computed."""
        return self.model_copy(update={"hash": self.digest()})


class AuditDraft(_AuditFields):
    """What a service wants to record; the audit log assigns ``seq``, ``prev_hash`` and ``hash``."""

    at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    def entry(self, seq: int, prev_hash: str) -> AuditEntry:
        key = record_key(self.object_type, self.record_id)
        return AuditEntry(record_key=key, seq=seq, prev_hash=prev_hash, **self.model_dump()).sealed()


def verify_chain(entries: list[AuditEntry]) -> list[str]:
    """Problems in one record's chain (empty when intact): gaps, broken links, altered entries."""
    problems = []
    previous = GENESIS
    for expected_seq, entry in enumerate(sorted(entries, key=lambda e: e.seq), start=1):
        if entry.seq != expected_seq:
            problems.append(f"seq {expected_seq} is missing (found {entry.seq})")
        if entry.prev_hash != previous:
            problems.append(f"seq {entry.seq}: does not follow the previous entry")
        if entry.hash != entry.digest():
            problems.append(f"seq {entry.seq}: altered after it was written")
        previous = entry.hash
    return problems
