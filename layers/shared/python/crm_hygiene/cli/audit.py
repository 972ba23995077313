"""``crm-hygiene audit verify``: verify a stack's audit trail (keyed MACs, chains, signed digests).

Against a deployed stack (``--stack crm-hygiene-prod`` reads its outputs) or the local one (the same,
with ``AWS_ENDPOINT_URL`` pointing at ``crm-hygiene serve``'s moto), or resources named by options or
by the functions' variables (``AUDIT_TABLE``, ``AUDIT_BUCKET``, ``AUDIT_KEY_SECRET_NAME``,
``AUDIT_DIGEST_KEY_ID``). Exit code 0: everything verifies; 1: something does not (a cron notices);
2: it could not be checked.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from crm_hygiene.errors import InputError

if TYPE_CHECKING:
    from crm_hygiene.audit.verify import VerificationReport

VARIABLES = {
    "table": "AUDIT_TABLE",
    "bucket": "AUDIT_BUCKET",
    "key_secret": "AUDIT_KEY_SECRET_NAME",
    "digest_key": "AUDIT_DIGEST_KEY_ID",
}


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    verify = sub.add_parser("verify", help="verify every chain and digest; exit 1 when anything is wrong")
    verify.add_argument("--stack", help="read the audit resources from this CloudFormation stack's outputs")
    verify.add_argument("--table", help="the audit table (else the stack's, else AUDIT_TABLE)")
    verify.add_argument("--bucket", help="the archive bucket (else the stack's, else AUDIT_BUCKET)")
    verify.add_argument("--key-secret", help="the MAC keyring's secret (else AUDIT_KEY_SECRET_NAME)")
    verify.add_argument("--digest-key", help="the digest signing KMS key (else AUDIT_DIGEST_KEY_ID)")
    verify.add_argument(
        "--allow-legacy",
        action="store_true",
        help="accept unkeyed entries pinned by a digest (upgraded stacks)",
    )
    verify.add_argument(
        "--max-digest-age", type=int, default=2 * 86_400, help="seconds before the newest digest is overdue"
    )
    verify.add_argument("--json", action="store_true", help="print the whole report as JSON")


def _resources(options: argparse.Namespace) -> dict[str, str]:
    found: dict[str, str] = {}
    if options.stack:
        from crm_hygiene.wiring.aws import audit_resources_of_stack

        found = audit_resources_of_stack(options.stack)
    for name, variable in VARIABLES.items():
        given = getattr(options, name)
        if given:
            found[name] = given
        elif name not in found and os.environ.get(variable):
            found[name] = os.environ[variable]
    missing = [f"--{n.replace('_', '-')}" for n in VARIABLES if n not in found]
    if missing:
        raise InputError(f"audit verify needs {', '.join(missing)} (or --stack, or the AUDIT_* variables)")
    return found


def run(options: argparse.Namespace) -> int:
    from crm_hygiene.services.audit.core import verify
    from crm_hygiene.wiring.aws import audit_integrity

    found = _resources(options)
    deps = audit_integrity(**found, allow_legacy=options.allow_legacy, max_digest_age=options.max_digest_age)
    report = verify(deps)
    if options.json:
        print(report.model_dump_json(indent=2))
    else:
        _print(report)
    return 0 if report.ok else 1


def _print(report: VerificationReport) -> None:
    from crm_hygiene.types import AUDIT_PROBLEMS

    verdict = "verifies" if report.ok else "DOES NOT VERIFY"
    print(f"audit {verdict}: {report.entries} entries of {report.records} records, {report.digests} digests")
    print("entries: " + ", ".join(f"{k} {v}" for k, v in sorted(report.statuses.items())))
    if report.latest_digest:
        print(f"newest digest: {report.latest_digest} ({report.latest_digest_at:%Y-%m-%d %H:%M} UTC)")
    for kind, count in sorted(report.problem_counts.items()):
        print(f"  {kind} x{count}: {AUDIT_PROBLEMS.get(kind, kind)}")  # type: ignore[call-overload]
    for problem in report.problems[:50]:
        where = problem.record_key or problem.digest_key or ""
        seq = f" seq {problem.seq}" if problem.seq else ""
        print(f"  - {problem.kind}: {where}{seq} {problem.detail}".rstrip())
    if len(report.problems) > 50:
        print(f"  ... {len(report.problems) - 50} more (--json for all)")
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
