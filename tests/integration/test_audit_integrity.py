"""The tamper suite on moto: the audit table (DynamoDB), the Object-Locked archive (S3, versioned),
the MAC keyring (Secrets Manager) and the digest key (KMS, ECC P-256), through the real adapters,
the scheduled verifier's handler and the review API. An attacker here holds raw table and bucket
rights (unconditional PutItem, DeleteItem, DeleteObject): what the stack grants nobody.

| tampering                                  | detected by                      |
|--------------------------------------------|----------------------------------|
| alter an entry's field                     | keyed MAC: ``altered``           |
| delete a middle entry                      | seq gap: ``missing_entry``       |
| delete the tail                            | digest head: ``deleted_tail``    |
| re-seal a chain with plain SHA-256         | keyed MAC: ``resealed_unkeyed`` (and the digest) |
| re-seal with the key after a digest        | digest head: ``contradicts_digest`` |
| remove a digest file                       | delete marker: ``digest_deleted`` |
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, get_args

import boto3
import pytest
from audit_verify_handler import lambda_handler as verify_lambda

from crm_hygiene.adapters.aws.audit_log import DynamoAuditLog, _from_item, _to_item
from crm_hygiene.audit.keys import Keyring
from crm_hygiene.models.audit import AuditDraft, AuditEntry
from crm_hygiene.models.review import ReviewItem
from crm_hygiene.services.audit.core import verify
from crm_hygiene.types import ChangeKind, QueueKind
from crm_hygiene.wiring.aws import AwsDeps
from tests.events.factory import FakeContext
from tests.integration.conftest import drain, subscribe
from tests.integration.test_pipeline_handlers import call

RECORDS = ("100", "200", "300")


def _draft(record_id: str, n: int) -> AuditDraft:
    return AuditDraft(
        actor="policy:auto", action="applied", object_type="contact", record_id=record_id,
        field="phone", before=f"old-{n}", after=f"new-{n}", change_id=f"c-{record_id}-{n}", run_id="run-1",
    )  # fmt: skip


def _fill(deps: AwsDeps, n: int = 4, start: int = 0) -> None:
    for i in range(start, start + n):
        deps.audit.append([_draft(r, i) for r in RECORDS])


def _table(env: dict[str, str]) -> Any:
    return boto3.resource("dynamodb").Table(env["AUDIT_TABLE"])


def _chain(env: dict[str, str], record: str = "contact#200") -> list[AuditEntry]:
    items = _table(env).query(
        KeyConditionExpression="record_key = :k", ExpressionAttributeValues={":k": record}
    )
    return [_from_item(i) for i in items["Items"]]


def _overwrite(env: dict[str, str], entries: list[AuditEntry]) -> None:
    for entry in entries:  # an unconditional PutItem: what no function is granted
        _table(env).put_item(Item=_to_item(entry))


def _run_verifier(deps: AwsDeps) -> dict[str, Any]:
    result: dict[str, Any] = verify_lambda({"trigger": "schedule"}, FakeContext(), deps=deps.integrity())
    return result


def _reseal(chain: list[AuditEntry], start: int, sealer: Keyring | None) -> list[AuditEntry]:
    previous = chain[start - 1].hash
    out = []
    for entry in chain[start:]:
        moved = entry.model_copy(update={"prev_hash": previous})
        sealed = moved.sealed(sealer) if sealer else moved.model_copy(update={"hash": moved.digest()})
        out.append(sealed)
        previous = sealed.hash
    return out


def _alter(env: dict[str, str], deps: AwsDeps) -> None:
    chain = _chain(env)
    _overwrite(env, [chain[1].model_copy(update={"after": "Account Manager"})])


def _delete_middle(env: dict[str, str], deps: AwsDeps) -> None:
    _table(env).delete_item(Key={"record_key": "contact#200", "seq": 2})


def _delete_tail(env: dict[str, str], deps: AwsDeps) -> None:
    # the last entries, back into what the digest signed (a tail written after the newest digest
    # alone is the residual window: docs/audit.md)
    for seq in (4, 5, 6):
        _table(env).delete_item(Key={"record_key": "contact#200", "seq": seq})


def _reseal_sha256(env: dict[str, str], deps: AwsDeps) -> None:
    chain = _chain(env)
    chain[1] = chain[1].model_copy(update={"after": "Account Manager"})
    _overwrite(env, _reseal(chain, 1, None))


def _reseal_with_key(env: dict[str, str], deps: AwsDeps) -> None:
    chain = _chain(env)
    chain[1] = chain[1].model_copy(update={"after": "Account Manager"})
    _overwrite(env, _reseal(chain, 1, deps.audit_key))  # the insider holds the MAC key


def _remove_digest(env: dict[str, str], deps: AwsDeps) -> None:
    s3 = boto3.client("s3")
    listed = s3.list_objects_v2(Bucket=env["AUDIT_BUCKET"], Prefix="audit-digests/")["Contents"]
    s3.delete_object(Bucket=env["AUDIT_BUCKET"], Key=sorted(o["Key"] for o in listed)[-1])


TAMPERINGS: dict[str, tuple[Callable[[dict[str, str], AwsDeps], None], set[str]]] = {
    "alter an entry's field": (_alter, {"altered"}),
    "delete a middle entry": (_delete_middle, {"missing_entry"}),
    "delete the tail": (_delete_tail, {"deleted_tail"}),
    "re-seal with plain SHA-256": (_reseal_sha256, {"resealed_unkeyed", "contradicts_digest"}),
    "re-seal with the key after a digest": (_reseal_with_key, {"contradicts_digest"}),
    "remove a digest file": (_remove_digest, {"digest_deleted"}),
}


@pytest.mark.parametrize("tampering", list(TAMPERINGS))
def test_each_tampering_is_detected_and_alerted(aws: dict[str, str], deps: AwsDeps, tampering: str) -> None:
    # Given a trail, a digest written by the scheduled verifier, and entries written after it
    alerts = subscribe(aws["TOPIC_ALERTS_ARN"])
    _fill(deps)
    first = _run_verifier(deps)
    assert first["report"]["ok"] and first["heads"] == 3
    _fill(deps, 2, start=4)
    # When it is tampered with
    tamper, expected = TAMPERINGS[tampering]
    tamper(aws, deps)
    # Then verification names it, the scheduled run fails and raises one ids-only alert
    report = verify(deps.integrity())
    assert not report.ok and {p.kind for p in report.problems} == expected, report.problems
    second = _run_verifier(deps)
    assert not second["report"]["ok"]
    [message] = [json.loads(m) for m in drain(alerts)]
    assert message["kind"] == "audit_verification_failed" and message["severity"] == "high"
    assert "Account Manager" not in json.dumps(message) and "new-" not in json.dumps(message)


def test_a_clean_trail_verifies_and_raises_no_alert(aws: dict[str, str], deps: AwsDeps) -> None:
    alerts = subscribe(aws["TOPIC_ALERTS_ARN"])
    _fill(deps)
    for round_ in range(3):
        outcome = _run_verifier(deps)
        assert outcome["report"]["ok"], outcome["problems"]
        _fill(deps, 1, start=10 + round_)
    report = verify(deps.integrity())
    assert report.ok and report.digests == 3 and report.statuses == {"verified": 21}
    assert drain(alerts) == []
    # the digests are Object-Locked objects chained to one another
    digests = sorted(
        o["Key"]
        for o in boto3.client("s3").list_objects_v2(Bucket=aws["AUDIT_BUCKET"], Prefix="audit-digests/")[
            "Contents"
        ]
    )
    body = json.loads(
        boto3.client("s3").get_object(Bucket=aws["AUDIT_BUCKET"], Key=digests[-1])["Body"].read()
    )
    assert body["digest"]["previous_digest_key"] == digests[-2]
    assert body["digest"]["signing_algorithm"] == "ECDSA_SHA_256"
    assert body["digest"]["heads"]["contact#100"]["seq"] == 6


def test_entries_written_concurrently_by_two_writers_verify(aws: dict[str, str], deps: AwsDeps) -> None:
    def writer(offset: int) -> None:
        log = DynamoAuditLog(boto3.resource("dynamodb").Table(aws["AUDIT_TABLE"]), key=deps.audit_key)
        for n in range(offset, offset + 8):
            log.append([_draft(r, n) for r in RECORDS[:2]])

    threads = [threading.Thread(target=writer, args=(k * 100,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report = verify(deps.integrity())
    assert report.ok and report.entries == 32, report.problems
    assert [e.seq for e in sorted(_chain(aws, "contact#100"), key=lambda e: e.seq)] == list(range(1, 17))


def _review_item(record_id: str) -> ReviewItem:
    return ReviewItem(
        review_id="r-1", run_id="run-1", kind=get_args(QueueKind)[0], change_kind=get_args(ChangeKind)[0],
        object_type="contact", record_id=record_id, field="phone", current_value="a", suggested_value="b",
        evidence="", confidence=0.9, protected=False, decision="review", status="queued", source="rule",
    )  # fmt: skip


def test_the_review_api_marks_entries_it_cannot_verify(aws: dict[str, str], deps: AwsDeps) -> None:
    # Given a review item whose record has an audit history
    deps.queue.put_new([_review_item("200")])
    _fill(deps)
    status, body = call(deps, "GET", "/reviews/r-1")
    assert status == 200 and body["audit_warnings"] == []
    assert [e["verified"] for e in body["history"]] == ["verified"] * 4
    status, report = call(deps, "GET", "/audit/verify")
    assert status == 200 and report["ok"] is True
    # When an entry is edited in the table
    _alter(aws, deps)
    # Then the history marks it and warns, and the verify route answers 409 with the problem
    status, body = call(deps, "GET", "/reviews/r-1")
    assert status == 200
    assert [e["verified"] for e in body["history"]] == ["verified", "altered", "verified", "verified"]
    assert body["audit_warnings"] == ["1 of 4 audit entries do not verify"]
    status, report = call(deps, "GET", "/audit/verify")
    assert status == 409 and report["problem_counts"] == {"altered": 1}


def test_the_review_api_sees_a_deleted_tail_through_the_newest_digest(
    aws: dict[str, str], deps: AwsDeps
) -> None:
    deps.queue.put_new([_review_item("200")])
    _fill(deps)
    _run_verifier(deps)
    _table(aws).delete_item(Key={"record_key": "contact#200", "seq": 4})
    status, body = call(deps, "GET", "/reviews/r-1")
    assert status == 200 and len(body["history"]) == 3
    assert any(w.startswith("deleted_tail at seq 4") for w in body["audit_warnings"])


def test_an_overdue_digest_is_reported(aws: dict[str, str], deps: AwsDeps) -> None:
    _fill(deps, 1)
    _run_verifier(deps)
    later = datetime.now(UTC) + timedelta(days=3)
    assert {p.kind for p in verify(deps.integrity(), now=later).problems} == {"digest_overdue"}


def test_the_cli_exits_0_on_a_clean_trail_and_1_on_a_tampered_one(
    aws: dict[str, str], deps: AwsDeps, capsys: pytest.CaptureFixture[str]
) -> None:
    from crm_hygiene.cli import main

    _fill(deps)
    _run_verifier(deps)
    assert main(["audit", "verify"]) == 0  # the AUDIT_* variables name the resources
    assert "audit verifies: 12 entries of 3 records, 1 digests" in capsys.readouterr().out
    _delete_middle(aws, deps)
    assert main(["audit", "verify", "--table", aws["AUDIT_TABLE"]]) == 1
    out = capsys.readouterr().out
    assert "DOES NOT VERIFY" in out and "missing_entry: contact#200 seq 2" in out
