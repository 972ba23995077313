"""The tamper suite over the in-memory audit: each tampering of issue 10 is detected, a clean trail
raises no alarm, and entries written by concurrent writers still verify.

| tampering                               | detected by                                   |
|-----------------------------------------|-----------------------------------------------|
| alter an entry's field                  | keyed MAC (``altered``)                       |
| delete a middle entry                   | seq gap (``missing_entry``)                   |
| delete the tail                         | signed digest's head seq (``deleted_tail``)   |
| re-seal a chain with plain SHA-256      | keyed MAC (``resealed_unkeyed`` / ``unkeyed``)|
| re-seal with the key after a digest     | signed digest's head MAC (``contradicts_digest``) |
| remove a digest file                    | digest chain (``digest_missing``/``digest_deleted``) |
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from crm_hygiene.audit.digest import HmacDigestSigner
from crm_hygiene.audit.keys import Keyring
from crm_hygiene.memory import InMemoryAuditLog, InMemoryDigestStore, ListAlertSink
from crm_hygiene.models.audit import AuditDraft, AuditEntry
from crm_hygiene.services.audit.core import IntegrityDeps, check_history, scheduled_run, verify, write_digest

T0 = datetime(2026, 12, 1, 9, tzinfo=UTC)
RECORDS = ("100", "200", "300")


def _draft(record_id: str, n: int) -> AuditDraft:
    return AuditDraft(
        actor="policy:auto", action="applied", object_type="contact", record_id=record_id,
        field="phone", before=f"old-{n}", after=f"new-{n}", change_id=f"c-{record_id}-{n}",
        run_id="run-1", at=T0 + timedelta(minutes=n),
    )  # fmt: skip


def _deps(*, allow_legacy: bool = False, audit: InMemoryAuditLog | None = None) -> IntegrityDeps:
    key = Keyring.generate("k1")
    log = audit or InMemoryAuditLog(key=key)
    return IntegrityDeps(
        audit=log, key=log.key, digests=InMemoryDigestStore(), signer=HmacDigestSigner(),  # type: ignore[arg-type]
        alerts=ListAlertSink(), allow_legacy=allow_legacy, max_digest_age=timedelta(days=2),
    )  # fmt: skip


def _log(deps: IntegrityDeps) -> InMemoryAuditLog:
    assert isinstance(deps.audit, InMemoryAuditLog)
    return deps.audit


def _fill(deps: IntegrityDeps, per_record: int = 4, start: int = 0) -> None:
    for n in range(start, start + per_record):
        _log(deps).append([_draft(r, n) for r in RECORDS])


def _chain(deps: IntegrityDeps, record_id: str = "200") -> list[AuditEntry]:
    return _log(deps).entries[f"contact#{record_id}"]


def _kinds(deps: IntegrityDeps, now: datetime | None = None) -> set[str]:
    report = verify(deps, now=now or T0 + timedelta(hours=1))
    return {p.kind for p in report.problems}


def test_a_clean_trail_verifies_with_and_without_digests() -> None:
    # Given entries of three records and two digests with entries between them
    deps = _deps()
    _fill(deps)
    assert verify(deps, now=T0).ok
    write_digest(deps, list(_log(deps).all_entries()), now=T0 + timedelta(minutes=30))
    _fill(deps, start=4)
    write_digest(deps, list(_log(deps).all_entries()), now=T0 + timedelta(minutes=40))
    _fill(deps, 2, start=8)
    # When verified / Then nothing is wrong and every entry is verified by its MAC
    report = verify(deps, now=T0 + timedelta(hours=1))
    assert report.ok, report.problems
    assert report.statuses == {"verified": 30} and report.digests == 2 and report.warnings == []


def test_altering_an_entry_field_is_detected_by_the_mac() -> None:
    deps = _deps()
    _fill(deps)
    chain = _chain(deps)
    chain[1] = chain[1].model_copy(update={"after": "Account Manager"})
    report = verify(deps, now=T0)
    assert [(p.kind, p.record_key, p.seq) for p in report.problems] == [("altered", "contact#200", 2)]


def test_deleting_a_middle_entry_is_detected_by_the_seq_gap() -> None:
    deps = _deps()
    _fill(deps)
    del _chain(deps)[1]
    assert _kinds(deps) == {"missing_entry"}


def test_deleting_the_tail_is_detected_by_the_signed_digest() -> None:
    deps = _deps()
    _fill(deps)
    write_digest(deps, list(_log(deps).all_entries()), now=T0 + timedelta(minutes=30))
    del _chain(deps)[-2:]
    report = verify(deps, now=T0 + timedelta(hours=1))
    assert [(p.kind, p.record_key, p.seq) for p in report.problems] == [("deleted_tail", "contact#200", 3)]
    # a whole chain removed: the digest knew the record
    _log(deps).entries.pop("contact#300")
    assert _kinds(deps) == {"deleted_tail", "deleted_chain"}


def test_without_a_digest_a_deleted_tail_cannot_be_seen_and_the_report_says_so() -> None:
    deps = _deps()
    _fill(deps)
    del _chain(deps)[-1]
    report = verify(deps, now=T0)
    assert report.ok and any("no signed digest yet" in w for w in report.warnings)


def _reseal(
    chain: list[AuditEntry], start: int, sealer: Keyring | None, *, keep_key_id: bool = False
) -> None:
    previous = chain[start - 1].hash if start else "0" * 64
    for i in range(start, len(chain)):
        moved = chain[i].model_copy(update={"prev_hash": previous})
        if sealer is not None:
            sealed = moved.sealed(sealer)
        elif keep_key_id:  # a plain SHA-256 in the MAC's place, the key id left as it was
            sealed = moved.model_copy(update={"hash": moved.digest()})
        else:  # a plain SHA-256 pretending to be a legacy entry
            sealed = moved.sealed(None)
        chain[i] = sealed
        previous = sealed.hash


@pytest.mark.parametrize("keep_key_id", [True, False])
def test_resealing_a_chain_with_plain_sha256_is_detected(keep_key_id: bool) -> None:
    deps = _deps()
    _fill(deps)
    chain = _chain(deps)
    chain[1] = chain[1].model_copy(update={"after": "Account Manager"})
    _reseal(chain, 1, None, keep_key_id=keep_key_id)
    expected = "resealed_unkeyed" if keep_key_id else "unkeyed"
    assert _kinds(deps) == {expected}
    assert [c.verified for c in check_history(deps, chain)[0]] == ["verified"] + [expected] * 3


def test_resealing_with_the_right_key_after_a_digest_is_detected_by_the_digest() -> None:
    # Given a digest pinning every head, then more entries
    deps = _deps()
    _fill(deps)
    write_digest(deps, list(_log(deps).all_entries()), now=T0 + timedelta(minutes=30))
    _fill(deps, 2, start=4)
    # When someone holding the MAC key edits entry 2 and re-seals the rest of the chain with it
    chain = _chain(deps)
    chain[1] = chain[1].model_copy(update={"after": "Account Manager"})
    key = deps.key
    assert isinstance(key, Keyring)
    _reseal(chain, 1, key)
    # Then every MAC verifies, but the head the digest signed (seq 4) is not there any more
    report = verify(deps, now=T0 + timedelta(hours=1))
    assert [(p.kind, p.seq) for p in report.problems] == [("contradicts_digest", 4)]


def test_removing_a_digest_file_is_detected() -> None:
    deps = _deps()
    _fill(deps)
    keys = []
    for minutes in (10, 20, 30):
        keys.append(
            write_digest(deps, list(_log(deps).all_entries()), now=T0 + timedelta(minutes=minutes)).key
        )
    store = deps.digests
    assert isinstance(store, InMemoryDigestStore)
    # a middle digest removed with its versions: the next digest names it
    store.delete(keys[1], marker=False)
    assert _kinds(deps) == {"digest_missing"}
    # the newest removed too, leaving S3's delete marker (what removing it in the bucket does)
    store.delete(keys[2])
    assert _kinds(deps) == {"digest_deleted"}


def test_removing_the_newest_digest_without_a_trace_makes_it_overdue() -> None:
    deps = _deps()
    _fill(deps)
    write_digest(deps, list(_log(deps).all_entries()), now=T0)
    last = write_digest(deps, list(_log(deps).all_entries()), now=T0 + timedelta(days=1))
    store = deps.digests
    assert isinstance(store, InMemoryDigestStore)
    store.delete(last.key, marker=False)
    assert _kinds(deps, now=T0 + timedelta(days=1, hours=1)) == set()  # within the schedule's slack
    assert _kinds(deps, now=T0 + timedelta(days=2, hours=1)) == {"digest_overdue"}


def test_a_forged_or_corrupted_digest_is_detected() -> None:
    deps = _deps()
    _fill(deps)
    signed = write_digest(deps, list(_log(deps).all_entries()), now=T0)
    store = deps.digests
    assert isinstance(store, InMemoryDigestStore)
    forged = signed.model_copy(update={"signature": HmacDigestSigner().sign(b"x")})
    store.files[signed.key] = forged.to_bytes()
    assert _kinds(deps) == {"digest_bad_signature"}
    store.files[signed.key] = b"{not json"
    assert _kinds(deps) == {"digest_unreadable"}


def test_concurrent_writers_leave_chains_that_verify() -> None:
    deps = _deps()

    def writer(offset: int) -> None:
        for n in range(offset, offset + 50):
            _log(deps).append([_draft(r, n) for r in RECORDS])

    threads = [threading.Thread(target=writer, args=(k * 100,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report = verify(deps, now=T0)
    assert report.ok and report.entries == 300


def test_rotated_keys_still_verify_and_a_removed_key_is_named() -> None:
    deps = _deps()
    _fill(deps, 2)
    key = _log(deps).key
    assert isinstance(key, Keyring)
    rotated = key.rotated("k2")
    _log(deps).key = rotated
    deps.key = rotated
    _fill(deps, 2, start=2)
    assert {e.key_id for e in _chain(deps)} == {"k1", "k2"}
    assert verify(deps, now=T0).ok
    deps.key = Keyring.generate("k2")
    assert _kinds(deps, now=T0) >= {"unknown_key"}


def test_legacy_unkeyed_entries_verify_as_legacy_once_a_digest_pins_them() -> None:
    # Given a trail written by version 1 (unkeyed SHA-256)
    legacy = InMemoryAuditLog()
    legacy.key = None  # type: ignore[assignment]
    for n in range(3):
        legacy.append([_draft(r, n) for r in RECORDS])
    strict = _deps(audit=legacy)
    strict.key = Keyring.generate("k1")
    assert _kinds(strict) == {"unkeyed"}  # a new stack accepts no unkeyed entry
    deps = _deps(allow_legacy=True, audit=legacy)
    deps.key = strict.key
    report = verify(deps, now=T0)
    assert report.ok and report.statuses == {"legacy_unkeyed": 9}
    # When the first digest adopts them and keyed entries follow
    write_digest(deps, list(legacy.all_entries()), now=T0)
    legacy.key = deps.key  # type: ignore[assignment]
    legacy.append([_draft(r, 9) for r in RECORDS])
    report = verify(deps, now=T0 + timedelta(hours=1))
    assert report.ok and report.statuses == {"legacy_unkeyed": 9, "verified": 3}
    # Then an unkeyed entry after the digest is not legacy: it is a downgrade
    chain = legacy.entries["contact#100"]
    chain[-1] = chain[-1].sealed(None)
    assert _kinds(deps, now=T0 + timedelta(hours=1)) == {"unkeyed"}


def test_scheduled_run_writes_a_digest_and_alerts_on_failure_with_ids_only() -> None:
    deps = _deps()
    _fill(deps)
    first = scheduled_run(deps, now=T0)
    assert first.report.ok and first.heads == 3
    assert isinstance(deps.alerts, ListAlertSink) and deps.alerts.raised == []
    del _chain(deps)[-1]
    second = scheduled_run(deps, now=T0 + timedelta(hours=1))
    assert not second.report.ok
    [alert] = deps.alerts.raised
    assert alert.kind == "audit_verification_failed" and "deleted_tail: 1" in alert.summary
    assert "contact#200" in alert.summary and "old-" not in alert.summary and "new-" not in alert.summary
    # the deleted tail stays visible after the next digest pinned the shorter chain
    assert _kinds(deps, now=T0 + timedelta(hours=2)) == {"deleted_tail"}


def test_version_1_entries_verify_as_legacy_and_their_edit_is_altered() -> None:
    # Given the audit entries version 1 wrote (unkeyed SHA-256; tests/data/compat/persisted.v1.json)
    import json
    from pathlib import Path

    from crm_hygiene.adapters.aws.audit_log import _from_item
    from crm_hygiene.audit.verify import check_chain

    raw = json.loads(
        (Path(__file__).resolve().parents[2] / "data" / "compat" / "persisted.v1.json").read_text()
    )
    entries = [_from_item(item) for item in raw["audit_entries"]]
    record = entries[0].record_key
    chain = [e for e in entries if e.record_key == record]
    key = Keyring.generate("k1")
    checks, problems = check_chain(record, chain, key, {}, allow_legacy=True, digests_exist=False)
    assert problems == [] and {c.status for c in checks} == {"legacy_unkeyed"}
    # a stack that allows no legacy entries reports them; an edited one is altered either way
    assert {
        p.kind for p in check_chain(record, chain, key, {}, allow_legacy=False, digests_exist=False)[1]
    } == {"unkeyed"}
    chain[0] = chain[0].model_copy(update={"after": "edited"})
    assert check_chain(record, chain, key, {}, allow_legacy=True, digests_exist=False)[1][0].kind == "altered"
