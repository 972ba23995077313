"""``StepFunctionsJobRunner``: starts a job's worker as an execution of the jobs state machine."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from crm_hygiene.adapters.aws.errors import code_of, translate


class StepFunctionsJobRunner:
    """Implements ``JobRunner``; takes a Step Functions client and the jobs state machine ARN."""

    def __init__(self, sfn: Any, jobs_arn: str) -> None:
        self._sfn = sfn
        self._arn = jobs_arn

    def start(self, job_id: str, attempt: int) -> None:
        # The execution's name is the job and attempt: starting one twice is a no-op, and an
        # operator finds a job's executions in the console by its id.
        try:
            self._sfn.start_execution(
                stateMachineArn=self._arn,
                name=f"{job_id}-{attempt}"[:80],
                input=json.dumps({"job_id": job_id, "attempt": attempt}),
            )
        except ClientError as exc:
            if code_of(exc) != "ExecutionAlreadyExists":
                raise translate(exc) from exc
