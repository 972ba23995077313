"""Verification of the audit trail: every chain against its keyed MACs and against the signed digests.

Pure: the entries, the digest files and the keys come in as arguments (``services/audit/core.py``
reads them through the ports). What is checked, per record, in ``seq`` order:

- each entry's seal: the HMAC-SHA256 under the key it names (``altered`` / ``resealed_unkeyed`` when
  it was re-sealed with plain SHA-256 / ``unknown_key``); an unkeyed entry of before audit keys
  (``legacy_unkeyed``) is accepted only when legacy entries are allowed and a digest pins it;
- the chain: no ``seq`` missing, each entry naming the previous entry's seal;
- the digests: every seal a signed digest pinned is still there (``contradicts_digest``: re-sealed
  by someone holding the key), no chain shorter than a digest recorded (``deleted_tail``) or gone
  (``deleted_chain``);

and, over the digest files: each signature, each link to the previous digest (``digest_missing``),
delete markers (``digest_deleted``), and the newest digest's age (``digest_overdue``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from pydantic import BaseModel, ConfigDict, ValidationError

from crm_hygiene.audit.digest import SignedDigest
from crm_hygiene.audit.keys import UnknownKey
from crm_hygiene.models.audit import GENESIS, AuditEntry
from crm_hygiene.types import INTACT_ENTRY, AuditProblemKind, EntryVerification


class MacChecker(Protocol):
    def check(self, key_id: str, message: bytes, mac: str) -> bool: ...


class SignatureChecker(Protocol):
    def verify(self, key_id: str, algorithm: str, message: bytes, signature: str) -> bool: ...


class AuditProblem(BaseModel):
    """One thing wrong with the audit (ids and positions only: never a record's values)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: AuditProblemKind
    record_key: str | None = None
    seq: int | None = None
    digest_key: str | None = None
    detail: str = ""


class DigestListing(BaseModel):
    """A digest file as the store lists it: deleted when only a delete marker is current."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    deleted: bool = False


class VerificationReport(BaseModel):
    """What ``verify_audit`` found; ``ok`` is False as soon as there is one problem."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ok: bool
    checked_at: datetime
    records: int
    entries: int
    statuses: dict[str, int]
    digests: int
    latest_digest: str | None
    latest_digest_at: datetime | None
    problems: list[AuditProblem]
    problem_counts: dict[str, int]
    warnings: list[str]


@dataclass
class Pins:
    """What the valid digests recorded: per record, the seal at each pinned seq, and the highest."""

    seals: dict[str, dict[int, str]] = field(default_factory=lambda: defaultdict(dict))
    problems: list[AuditProblem] = field(default_factory=list)

    def add(self, record: str, seq: int, mac: str, digest_key: str) -> None:
        known = self.seals[record].get(seq)
        if known is not None and known != mac:
            self.problems.append(
                AuditProblem(
                    kind="digest_conflict",
                    record_key=record,
                    seq=seq,
                    digest_key=digest_key,
                    detail="an earlier digest pinned another seal here",
                )  # fmt: skip
            )
            return
        self.seals[record][seq] = mac

    def of(self, record: str) -> Mapping[int, str]:
        return self.seals.get(record, {})

    @property
    def any(self) -> bool:
        return bool(self.seals)


# A non-intact entry status is reported as the problem of the same name.
_PROBLEM_OF: Mapping[EntryVerification, AuditProblemKind] = {
    "altered": "altered",
    "resealed_unkeyed": "resealed_unkeyed",
    "unknown_key": "unknown_key",
    "broken_link": "broken_link",
    "contradicts_digest": "contradicts_digest",
    "unkeyed": "unkeyed",
}


@dataclass(frozen=True)
class EntryCheck:
    entry: AuditEntry
    status: EntryVerification


def seal_status(entry: AuditEntry, key: MacChecker) -> EntryVerification:
    """Whether one entry's own seal holds (its chain and the digests are checked by ``check_chain``)."""
    if not entry.key_id:
        return "legacy_unkeyed" if entry.hash == entry.digest() else "altered"
    try:
        if key.check(entry.key_id, entry.mac_message(), entry.hash):
            return "verified"
    except UnknownKey:
        return "unknown_key"
    return "resealed_unkeyed" if entry.hash == entry.digest() else "altered"


def check_chain(
    record: str,
    chain: Sequence[AuditEntry],
    key: MacChecker,
    pins: Mapping[int, str],
    *,
    allow_legacy: bool,
    digests_exist: bool,
) -> tuple[list[EntryCheck], list[AuditProblem]]:
    """Each entry of one record's chain with its status, and the chain's problems."""
    checks: list[EntryCheck] = []
    problems: list[AuditProblem] = []
    previous, expected = GENESIS, 1
    last_pinned = max(pins, default=0)

    def problem(kind: AuditProblemKind, seq: int | None, detail: str = "") -> None:
        problems.append(AuditProblem(kind=kind, record_key=record, seq=seq, detail=detail))

    for entry in sorted(chain, key=lambda e: e.seq):
        gap = entry.seq != expected
        if gap:
            problem("missing_entry", expected, f"seq {expected}..{entry.seq - 1} missing")
        status = seal_status(entry, key)
        if status == "legacy_unkeyed" and not (
            allow_legacy and (entry.seq <= last_pinned or not digests_exist)
        ):
            status = "unkeyed"
        if status in INTACT_ENTRY and not gap and entry.prev_hash != previous:
            status = "broken_link"
        pinned = pins.get(entry.seq)
        if pinned is not None and pinned != entry.hash:
            status = "contradicts_digest"
        if status not in INTACT_ENTRY:
            problem(_PROBLEM_OF[status], entry.seq)
        checks.append(EntryCheck(entry, status))
        previous, expected = entry.hash, entry.seq + 1
    if last_pinned >= expected:
        if checks:
            problem(
                "deleted_tail",
                expected,
                f"a digest recorded seq {last_pinned}; the chain ends at {expected - 1}",
            )
        else:
            problem("deleted_chain", None, f"a digest recorded seq {last_pinned}; no entries are left")
    return checks, problems


def check_digests(
    listing: Sequence[DigestListing],
    read: Callable[[str], bytes | None],
    signer: SignatureChecker,
    *,
    now: datetime,
    max_age: timedelta | None,
) -> tuple[list[SignedDigest], Pins, list[AuditProblem]]:
    """The valid digests in time order, what they pin, and the digest files' problems."""
    problems = [AuditProblem(kind="digest_deleted", digest_key=item.key) for item in listing if item.deleted]
    valid: list[SignedDigest] = []
    for key in sorted(item.key for item in listing if not item.deleted):
        digest = _read_digest(key, read, problems)
        if digest is None:
            continue
        d = digest.digest
        if not signer.verify(d.signing_key_id, d.signing_algorithm, d.string_to_sign(key), digest.signature):
            problems.append(AuditProblem(kind="digest_bad_signature", digest_key=key))
            continue
        valid.append(digest)
    problems.extend(_broken_links(valid))
    pins = Pins()
    for digest in valid:
        for record, head in digest.digest.heads.items():
            pins.add(record, head.seq, head.mac, digest.key)
    if max_age is not None and valid and now - valid[-1].digest.digest_end > max_age:
        detail = f"the newest digest is older than {max_age}"
        problems.append(AuditProblem(kind="digest_overdue", digest_key=valid[-1].key, detail=detail))
    return valid, pins, problems + pins.problems


def _broken_links(valid: Sequence[SignedDigest]) -> list[AuditProblem]:
    """Each digest must name the previous valid one (key and signature): a gap is a removed digest."""
    problems = []
    for before, after in zip([None, *valid], valid, strict=False):
        named = after.digest.previous_digest_key
        expected = before.key if before is not None else None
        signature = before.signature if before is not None else None
        if named != expected or after.digest.previous_digest_signature != signature:
            detail = f"it follows {named or 'nothing'}; the previous valid digest is {expected or 'none'}"
            problems.append(AuditProblem(kind="digest_missing", digest_key=after.key, detail=detail))
    return problems


def _read_digest(
    key: str, read: Callable[[str], bytes | None], problems: list[AuditProblem]
) -> SignedDigest | None:
    raw = read(key)
    if raw is None:
        problems.append(AuditProblem(kind="digest_missing", digest_key=key, detail="listed but not readable"))
        return None
    try:
        digest = SignedDigest.model_validate_json(raw)
    except ValidationError:
        problems.append(AuditProblem(kind="digest_unreadable", digest_key=key))
        return None
    if digest.key != key:
        problems.append(
            AuditProblem(kind="digest_unreadable", digest_key=key, detail=f"it says it is {digest.key}")
        )
        return None
    return digest


def group_chains(entries: Iterable[AuditEntry]) -> dict[str, list[AuditEntry]]:
    chains: dict[str, list[AuditEntry]] = defaultdict(list)
    for entry in entries:
        chains[entry.record_key].append(entry)
    return chains


def verify_audit(
    entries: Iterable[AuditEntry],
    key: MacChecker,
    listing: Sequence[DigestListing],
    read: Callable[[str], bytes | None],
    signer: SignatureChecker,
    *,
    allow_legacy: bool,
    now: datetime | None = None,
    max_age: timedelta | None = None,
) -> VerificationReport:
    """Verifies every chain and every digest; the report lists each problem found."""
    now = now or datetime.now(UTC)
    valid, pins, problems = check_digests(listing, read, signer, now=now, max_age=max_age)
    chains = group_chains(entries)
    statuses: Counter[str] = Counter()
    for record in sorted(set(chains) | set(pins.seals)):
        checks, found = check_chain(
            record, chains.get(record, []), key, pins.of(record),
            allow_legacy=allow_legacy, digests_exist=pins.any,
        )  # fmt: skip
        statuses.update(c.status for c in checks)
        problems.extend(found)
    warnings = []
    if not valid:
        warnings.append(
            "no signed digest yet: deleted tails and chains re-sealed with the key cannot be seen"
        )
    if statuses["legacy_unkeyed"]:
        warnings.append(f"{statuses['legacy_unkeyed']} unkeyed (legacy) entries: intact, not provable")
    latest = valid[-1] if valid else None
    return VerificationReport(
        ok=not problems,
        checked_at=now,
        records=len(chains),
        entries=sum(statuses.values()),
        statuses=dict(statuses),
        digests=len(valid),
        latest_digest=latest.key if latest else None,
        latest_digest_at=latest.digest.digest_end if latest else None,
        problems=problems,
        problem_counts=dict(Counter(p.kind for p in problems)),
        warnings=warnings,
    )
