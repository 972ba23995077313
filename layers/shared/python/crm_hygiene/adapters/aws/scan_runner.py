"""``StepFunctionsScanRunner``: starts the scan workflow on demand and reports its executions."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError
from pydantic import ValidationError

from crm_hygiene.adapters.aws.errors import aws_errors, code_of, translate
from crm_hygiene.errors import NotFound
from crm_hygiene.models.scans import ScanRun, ScanWorkflowInput
from crm_hygiene.types import SCAN_STATUSES, ScanStatus

# Step Functions' execution status -> ours (one table: types.SCAN_STATUSES)
_STATUS: dict[str, ScanStatus] = {wf: status for status, m in SCAN_STATUSES.items() for wf in m.workflow}
RUNNING_LISTED = 20  # running scans looked at; the schedule and "scan now" rarely hold more than one


class StepFunctionsScanRunner:
    """Implements ``ScanRunner``; takes a Step Functions client and the scan state machine's ARN.

    A scan's id is its execution's name (the workflow makes it the run id), so its execution ARN is
    the state machine's with ``execution`` for ``stateMachine`` and the name appended.
    """

    def __init__(self, sfn: Any, scan_arn: str) -> None:
        self._sfn = sfn
        self._arn = scan_arn

    def _execution_arn(self, scan_id: str) -> str:
        return f"{self._arn.replace(':stateMachine:', ':execution:', 1)}:{scan_id}"

    def start(self, scan_id: str, request: ScanWorkflowInput) -> ScanRun:
        try:
            response = self._sfn.start_execution(
                stateMachineArn=self._arn, name=scan_id, input=request.model_dump_json(exclude_none=True)
            )
        except ClientError as exc:
            if code_of(exc) == "ExecutionAlreadyExists":
                return self.get(scan_id)  # the same scan: starting it again is a no-op
            raise translate(exc) from exc
        return ScanRun(
            scan_id=scan_id, status="running", started_at=response["startDate"], **request.model_dump()
        )

    def get(self, scan_id: str) -> ScanRun:
        try:
            described = self._sfn.describe_execution(executionArn=self._execution_arn(scan_id))
        except ClientError as exc:
            if code_of(exc) in {"ExecutionDoesNotExist", "InvalidArn"}:
                raise NotFound(f"scan {scan_id} does not exist") from exc
            raise translate(exc) from exc
        return _run(scan_id, described)

    def running(self) -> list[ScanRun]:
        with aws_errors():
            listed = self._sfn.list_executions(
                stateMachineArn=self._arn, statusFilter="RUNNING", maxResults=RUNNING_LISTED
            )["executions"]
        runs = []
        for execution in listed:
            try:
                runs.append(self.get(execution["name"]))
            except NotFound:
                continue  # finished and expired between the listing and now
        return sorted(runs, key=lambda r: r.started_at, reverse=True)


def _run(scan_id: str, described: dict[str, Any]) -> ScanRun:
    request = _request(described.get("input"))
    status = _STATUS.get(str(described.get("status")), "failed")
    objects = None
    if status == "succeeded":
        output = json.loads(described.get("output") or "{}")
        summary = output.get("summary") if isinstance(output, dict) else None
        objects = summary.get("objects") if isinstance(summary, dict) else None
    stopped: datetime | None = described.get("stopDate")
    return ScanRun(
        scan_id=scan_id,
        status=status,
        started_at=described["startDate"],
        stopped_at=stopped,
        object_types=request.object_types,
        trigger=request.trigger,
        requested_by=request.requested_by,
        objects=objects,
    )


def _request(text: str | None) -> ScanWorkflowInput:
    """The execution's input as a request; one started by hand with another shape reads as unknown."""
    try:
        return ScanWorkflowInput.model_validate_json(text or "{}")
    except ValidationError:
        return ScanWorkflowInput(object_types=[], trigger="manual")
