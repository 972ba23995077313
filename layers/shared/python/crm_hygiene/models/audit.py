"""Audit entries: every transition of every change, chained per record so tampering shows.

An entry is sealed with a keyed MAC (HMAC-SHA256) under the key named by ``key_id``: the key lives
in Secrets Manager (``crm_hygiene.audit.keys``), never in the table, so whoever can write the table
but not read the key cannot re-seal an edited chain. Entries written before keys existed carry
``key_id == ""`` and an unkeyed SHA-256 ``hash``; they still verify, as ``legacy_unkeyed``
(``crm_hygiene.audit.verify``).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from crm_hygiene.types import ChangeStatus, FieldName, ObjectType, RecordId

AuditAction = Literal[
    ChangeStatus,
    "merged",
    "applying",
    "merging",
    "rolling_back",
    "before_image",
    "after_image",
    "unmerging",
    "unmerged",
]
"""What an audit entry records: a change reaching a status, a merge carried out (``merged``), a merge
undone (``unmerged``: a member reinstated or recreated, or a survivor field put back), the whole
state of a record a merge is about to change (``before_image``) or has just left (``after_image``,
the survivor), or an intent: the effect about to be made on the CRM (``applying``, ``merging``,
``rolling_back``, ``unmerging``), written before the CRM is touched. An intent without a later
outcome entry is a step that crashed and will be resumed (``docs/pipeline.md``, "Change lifecycle";
``docs/unmerge.md``)."""
INTENT_ACTIONS: frozenset[str] = frozenset({"applying", "merging", "rolling_back", "unmerging"})
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


# The fields the unkeyed SHA-256 of version 1 covered (every field but ``hash``): a legacy entry is
# checked over exactly these, so fields added later (with defaults) never break old entries.
LEGACY_FIELDS = frozenset(
    {
        "actor", "action", "object_type", "record_id", "field", "before", "after", "reason",
        "change_id", "review_id", "run_id", "record_key", "seq", "at", "prev_hash",
    }
)  # fmt: skip


class Sealer(Protocol):
    """The audit MAC key (``ports.AuditKey``; ``crm_hygiene.audit.keys.Keyring``)."""

    @property
    def current_key_id(self) -> str:
        """The key new entries are sealed with."""
        ...

    def mac(self, key_id: str, message: bytes) -> str:
        """HMAC-SHA256 hex of ``message`` under the key ``key_id`` (``UnknownKey`` if there is none)."""
        ...


def record_key(object_type: ObjectType, record_id: RecordId) -> str:
    return f"{object_type}#{record_id}"


def _canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


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


class AuditEntry(_AuditFields):
    """One append-only line of the audit trail.

    ``seq`` numbers the entries of one record from 1; ``prev_hash`` is the previous entry's seal
    (or 64 zeros) and ``hash`` is this entry's seal: HMAC-SHA256 under ``key_id`` over every other
    field (``mac_message``), or, for a legacy entry (``key_id == ""``), the unkeyed SHA-256 of
    version 1 (``digest``). Editing, removing or re-sealing an entry without the key breaks the chain.
    """

    record_key: str
    seq: int = Field(ge=1)
    at: datetime
    prev_hash: str = GENESIS
    hash: str = ""
    key_id: str = ""

    def digest(self) -> str:
        """The unkeyed SHA-256 seal of version 1 (legacy entries; also how a forger without the key
        would re-seal, which ``crm_hygiene.audit.verify`` names as such)."""
        return hashlib.sha256(
            _canonical(self.model_dump(mode="json", include=set(LEGACY_FIELDS)))
        ).hexdigest()

    def mac_message(self) -> bytes:
        """What the keyed MAC covers: every field but ``hash``, fields at their default left out (so a
        field added later with a default does not change the MAC of older entries, and a field moved
        to or away from its default still changes the message)."""
        return _canonical(self.model_dump(mode="json", exclude={"hash"}, exclude_defaults=True))

    def sealed(self, sealer: Sealer | None = None) -> AuditEntry:
        """This entry with its seal computed: keyed by ``sealer``, or legacy SHA-256 without one."""
        if sealer is None:
            return self.model_copy(update={"hash": self.digest(), "key_id": ""})
        key_id = sealer.current_key_id
        unsealed = self.model_copy(update={"key_id": key_id, "hash": ""})
        return unsealed.model_copy(update={"hash": sealer.mac(key_id, unsealed.mac_message())})


class AuditDraft(_AuditFields):
    """What a service wants to record; the audit log assigns seq, prev_hash, key_id and hash."""

    at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    def entry(self, seq: int, prev_hash: str, sealer: Sealer | None = None) -> AuditEntry:
        key = record_key(self.object_type, self.record_id)
        return AuditEntry(record_key=key, seq=seq, prev_hash=prev_hash, **self.model_dump()).sealed(sealer)


def verify_chain(entries: list[AuditEntry]) -> list[str]:
    """Problems in one record's chain that need no key (empty when intact): gaps, broken links, and
    legacy entries altered after they were written. Keyed MACs and the signed digests are checked by
    ``crm_hygiene.audit.verify.verify_chain_keyed`` and ``verify_audit``."""
    problems = []
    previous = GENESIS
    for expected_seq, entry in enumerate(sorted(entries, key=lambda e: e.seq), start=1):
        if entry.seq != expected_seq:
            problems.append(f"seq {expected_seq} is missing (found {entry.seq})")
        if entry.prev_hash != previous:
            problems.append(f"seq {entry.seq}: does not follow the previous entry")
        if not entry.key_id and entry.hash != entry.digest():
            problems.append(f"seq {entry.seq}: altered after it was written")
        previous = entry.hash
    return problems
