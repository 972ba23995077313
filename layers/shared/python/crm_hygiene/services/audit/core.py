"""Audit integrity: verify every chain and digest, write the next signed digest, check one history.

One core for every driver: the scheduled function (``functions/audit``), ``crm-hygiene audit
verify`` and the review API's ``GET /audit/verify`` and ``GET /reviews/{id}`` all call these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, ConfigDict, ValidationError

from crm_hygiene.audit.digest import AuditDigest, ChainHead, SignedDigest, digest_key
from crm_hygiene.audit.verify import (
    EntryCheck,
    VerificationReport,
    check_chain,
    check_digests,
    verify_audit,
)
from crm_hygiene.models.alerts import Alert
from crm_hygiene.models.audit import AuditEntry
from crm_hygiene.ports import AlertSink, AuditEntries, AuditKey, DigestSigner, DigestStore
from crm_hygiene.types import ENTRY_VERIFICATIONS, INTACT_ENTRY, EntryVerification


@dataclass
class IntegrityDeps:
    """What verification reads: the entries, the MAC keyring, the digests and their signer.

    ``allow_legacy``: unkeyed entries of before audit keys are accepted when a digest pins them (a
    stack upgraded from the unkeyed version); off, every unkeyed entry is a problem.
    ``max_digest_age``: the newest digest older than this is ``digest_overdue`` (2 x the schedule).
    """

    audit: AuditEntries
    key: AuditKey
    digests: DigestStore
    signer: DigestSigner
    alerts: AlertSink | None = None
    allow_legacy: bool = False
    max_digest_age: timedelta | None = None


class ScheduledOutcome(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    report: VerificationReport
    digest_key: str
    heads: int


def verify(
    deps: IntegrityDeps, *, now: datetime | None = None, entries: Sequence[AuditEntry] | None = None
) -> VerificationReport:
    """Verifies the whole trail against its keys and every signed digest."""
    return verify_audit(
        deps.audit.all_entries() if entries is None else entries,
        deps.key,
        deps.digests.listing(),
        deps.digests.read,
        deps.signer,
        allow_legacy=deps.allow_legacy,
        now=now,
        max_age=deps.max_digest_age,
    )


def write_digest(
    deps: IntegrityDeps, entries: Sequence[AuditEntry], *, now: datetime | None = None
) -> SignedDigest:
    """Signs the head of every chain and writes it after the newest digest file."""
    now = now or datetime.now(UTC)
    heads: dict[str, ChainHead] = {}
    for entry in entries:
        head = heads.get(entry.record_key)
        if head is None or entry.seq > head.seq:
            heads[entry.record_key] = ChainHead(seq=entry.seq, mac=entry.hash)
    previous = _newest(deps.digests)
    digest = AuditDigest(
        digest_start=previous.digest.digest_end if previous else None,
        digest_end=now,
        previous_digest_key=previous.key if previous else None,
        previous_digest_signature=previous.signature if previous else None,
        signing_key_id=deps.signer.key_id,
        signing_algorithm=deps.signer.algorithm,
        heads=dict(sorted(heads.items())),
    )
    key = digest_key(now)
    signed = SignedDigest(key=key, digest=digest, signature=deps.signer.sign(digest.string_to_sign(key)))
    deps.digests.put(key, signed.to_bytes())
    return signed


def _newest(store: DigestStore) -> SignedDigest | None:
    for item in reversed(store.listing()):
        if item.deleted:
            continue
        raw = store.read(item.key)
        if raw is None:
            continue
        try:
            return SignedDigest.model_validate_json(raw)
        except ValidationError:
            continue  # verification reports it; the next digest links to the newest readable one
    return None


def scheduled_run(deps: IntegrityDeps, *, now: datetime | None = None) -> ScheduledOutcome:
    """The scheduled verification: verify against the digests so far, then write the next digest,
    and raise ``audit_verification_failed`` (ids and counts only) when anything is wrong.

    The digest is written even when verification fails: the earlier digests keep contradicting a
    tampered chain, so pinning its current state hides nothing, and the digest chain stays unbroken.
    """
    now = now or datetime.now(UTC)
    entries = list(deps.audit.all_entries())
    report = verify(deps, now=now, entries=entries)
    signed = write_digest(deps, entries, now=now)
    if not report.ok and deps.alerts is not None:
        deps.alerts.raise_alerts([failure_alert(report)])
    return ScheduledOutcome(report=report, digest_key=signed.key, heads=len(signed.digest.heads))


def failure_alert(report: VerificationReport) -> Alert:
    counts = ", ".join(f"{kind}: {n}" for kind, n in sorted(report.problem_counts.items()))
    records = sorted({p.record_key for p in report.problems if p.record_key})[:10]
    where = f"; records {', '.join(records)}" if records else ""
    return Alert(kind="audit_verification_failed", severity="high", summary=f"{counts}{where}"[:1000])


class CheckedEntry(AuditEntry):
    """An audit entry as the review API serves it: with what verification says of it."""

    verified: EntryVerification | None
    verification: str


def check_history(deps: IntegrityDeps, entries: Sequence[AuditEntry]) -> tuple[list[CheckedEntry], list[str]]:
    """One record's history, each entry with its status, and warnings when something does not verify.

    Checked against the keys and the newest signed digest (its pins for this record: a deleted tail,
    a chain re-sealed with the key before that digest). The scheduled run checks every digest.
    """
    if not entries:
        return [], []
    record = entries[0].record_key
    listing = deps.digests.listing()
    newest = [item for item in listing if not item.deleted][-1:]
    valid, pins, _ = check_digests(
        newest, deps.digests.read, deps.signer, now=datetime.now(UTC), max_age=None
    )
    checks, problems = check_chain(
        record, entries, deps.key, pins.of(record), allow_legacy=deps.allow_legacy, digests_exist=bool(valid)
    )
    warnings = [
        f"{p.kind} at seq {p.seq}: {p.detail}".rstrip(": ")
        for p in problems
        if p.kind in ("missing_entry", "deleted_tail")
    ]
    bad = [c for c in checks if c.status not in INTACT_ENTRY]
    if bad:
        warnings.insert(0, f"{len(bad)} of {len(checks)} audit entries do not verify")
    return [_checked(c) for c in checks], warnings


def _checked(check: EntryCheck) -> CheckedEntry:
    return CheckedEntry(
        **check.entry.model_dump(), verified=check.status, verification=ENTRY_VERIFICATIONS[check.status]
    )
