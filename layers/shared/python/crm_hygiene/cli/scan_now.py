"""``crm-hygiene scan-now``: start a scan of a deployed (or the local) stack's CRM now, and follow it.

It starts the stack's scan workflow, the one its schedule starts weekly, with the caller's AWS
credentials: ``--stack crm-hygiene-prod`` reads the workflow from the stack's outputs (the local
stack the same way, with ``AWS_ENDPOINT_URL`` pointing at ``crm-hygiene serve``'s moto), else
``--state-machine`` or ``SCAN_WORKFLOW_ARN``. A running scan that covers the object types is followed
instead of starting a second. Exit code 0: started (or, with ``--wait``, succeeded); 1: the scan
ended failed, timed out or aborted; 2: it could not be started.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import TYPE_CHECKING

from crm_hygiene.errors import InputError
from crm_hygiene.types import OBJECT_TYPES, SCAN_STATUSES

if TYPE_CHECKING:
    from crm_hygiene.models.scans import ScanRun
    from crm_hygiene.ports import ScanRunner


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stack", help="read the scan workflow from this CloudFormation stack's outputs")
    parser.add_argument(
        "--state-machine", help="the scan workflow's ARN (else the stack's, else SCAN_WORKFLOW_ARN)"
    )
    parser.add_argument(
        "--object-type",
        action="append",
        choices=OBJECT_TYPES,
        dest="object_types",
        help="scan only this object type (repeat for more; default: every type)",
    )
    parser.add_argument(
        "--wait", action="store_true", help="follow the scan until it ends; exit 1 unless it succeeded"
    )
    parser.add_argument(
        "--interval", type=float, default=5.0, help="seconds between progress checks with --wait"
    )


def _runner(options: argparse.Namespace) -> ScanRunner:
    from crm_hygiene.wiring.aws import scan_runner

    arn = options.state_machine
    if not arn and options.stack:
        from crm_hygiene.wiring.aws import scan_workflow_of_stack

        arn = scan_workflow_of_stack(options.stack)
    arn = arn or os.environ.get("SCAN_WORKFLOW_ARN")
    if not arn:
        raise InputError("scan-now needs --stack or --state-machine (or SCAN_WORKFLOW_ARN)")
    return scan_runner(arn)


def run(options: argparse.Namespace) -> int:
    from crm_hygiene.services.scan.runs import scan_status, start_scan
    from crm_hygiene.wiring.aws import caller_identity

    runner = _runner(options)
    scan, started = start_scan(runner, options.object_types, caller_identity())
    verb = "started" if started else "already running (covers the types asked for)"
    print(f"scan {scan.scan_id} {verb}: {', '.join(scan.object_types)}", flush=True)
    if not options.wait:
        return 0
    while not SCAN_STATUSES[scan.status].finished:
        time.sleep(options.interval)
        scan = scan_status(runner, scan.scan_id)
        print(f"  {scan.status}", flush=True)
    _print(scan)
    return 0 if scan.status == "succeeded" else 1


def _print(scan: ScanRun) -> None:
    took = f" in {(scan.stopped_at - scan.started_at).total_seconds():.0f} s" if scan.stopped_at else ""
    print(f"scan {scan.scan_id} {SCAN_STATUSES[scan.status].label}{took}")
    for object_type, figures in sorted((scan.objects or {}).items()):
        mean = (figures.get("health") or {}).get("mean")
        health = f"{mean:.1f}" if isinstance(mean, int | float) else "-"
        print(f"  {object_type}: {figures.get('records', 0)} records, health {health}, "
              f"{figures.get('queue_volume', 0)} queued")  # fmt: skip
