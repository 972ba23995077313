"""``StepFunctionsWorkflow``: starts merge executions and answers their review tasks."""

from __future__ import annotations

import json
import re
from typing import Any

from botocore.exceptions import ClientError

from crm_hygiene.adapters.aws.errors import aws_errors, code_of, translate

_NAME = re.compile(r"[^A-Za-z0-9_-]")


class StepFunctionsWorkflow:
    """Implements ``Workflow``; takes a Step Functions client and the merge state machine ARN."""

    def __init__(self, sfn: Any, merge_arn: str) -> None:
        self._sfn = sfn
        self._arn = merge_arn

    def start_merge(self, payload: dict[str, Any], name: str) -> str:
        execution = _NAME.sub("-", name)[:80]
        try:
            response = self._sfn.start_execution(
                stateMachineArn=self._arn, name=execution, input=json.dumps(payload, default=str)
            )
        except ClientError as exc:
            if code_of(exc) == "ExecutionAlreadyExists":
                return execution  # same name, same merge: starting it again is a no-op
            raise translate(exc) from exc
        return str(response["executionArn"])

    def resume(self, task_token: str, output: dict[str, Any]) -> None:
        with aws_errors():
            self._sfn.send_task_success(taskToken=task_token, output=json.dumps(output, default=str))

    def fail(self, task_token: str, error: str, cause: str) -> None:
        with aws_errors():
            self._sfn.send_task_failure(taskToken=task_token, error=error[:256], cause=cause[:32768])
