"""Scans on demand: start the scan workflow now (``POST /scans``, ``crm-hygiene scan-now``) and follow it.

The workflow is the one the weekly schedule starts (``pipeline``: plan, partitions, finalize); this
driver only names the run and asks the ``ScanRunner`` to start it. A scan that is already running and
covers every requested object type is answered instead of a second one: a double click, or "scan
now" during the scheduled scan, does not scan the CRM twice.
"""

from __future__ import annotations

from collections.abc import Sequence

from crm_hygiene.models.scans import ScanRun, ScanWorkflowInput
from crm_hygiene.observability import logger
from crm_hygiene.ports import ScanRunner
from crm_hygiene.services.scan.pipeline import new_run_id
from crm_hygiene.types import OBJECT_TYPES, ObjectType


def start_scan(
    runner: ScanRunner, object_types: Sequence[ObjectType] | None, requested_by: str
) -> tuple[ScanRun, bool]:
    """Starts a scan of ``object_types`` (default: every type), unless one running covers them.

    Returns:
        The scan, and whether this request started it (False: the running scan that covers them).
    """
    wanted = [t for t in OBJECT_TYPES if t in set(object_types or OBJECT_TYPES)]  # one order, no repeats
    for run in runner.running():
        if set(wanted) <= set(run.object_types):
            return run, False
    request = ScanWorkflowInput(object_types=wanted, trigger="manual", requested_by=requested_by)
    run = runner.start(new_run_id(), request)
    logger.info("scan started", extra={"scan_id": run.scan_id, "object_types": wanted})
    return run, True


def scan_status(runner: ScanRunner, scan_id: str) -> ScanRun:
    """Where a scan stands, with its figures once it succeeded; ``NotFound`` for an unknown id."""
    return runner.get(scan_id)
