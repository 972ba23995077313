"""``AwsFailureFigures``: dead-lettered messages (SQS queue depth) and failed merge workflows (Step
Functions executions), read where they lie for the console's figures."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crm_hygiene.adapters.aws.errors import aws_errors
from crm_hygiene.errors import HygieneError
from crm_hygiene.observability import logger

FAILED_MERGES_CAP = 1000
"""Failed executions counted at most (Step Functions keeps them 90 days; the figure says "1000+")."""


class AwsFailureFigures:
    """Implements ``FailureFigures``; takes an SQS client, the dead-letter queues (name -> URL), a
    Step Functions client and the merge workflow's ARN. A figure it cannot read is left out."""

    def __init__(self, sqs: Any, dead_letter_queues: Mapping[str, str], sfn: Any, merge_arn: str) -> None:
        self._sqs = sqs
        self._dlqs = dict(dead_letter_queues)
        self._sfn = sfn
        self._merge_arn = merge_arn

    def counts(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        try:
            depths = {name: self._depth(url) for name, url in sorted(self._dlqs.items())}
            if depths:
                out["dead_letters_by_queue"] = depths
                out["dead_letters"] = sum(depths.values())
        except HygieneError:
            logger.warning("dead-letter queue depth unreadable")
        try:
            out["failed_merges"] = self._failed_merges()
        except HygieneError:
            logger.warning("failed merge executions unreadable")
        return out

    def _depth(self, url: str) -> int:
        with aws_errors():
            attributes = self._sqs.get_queue_attributes(
                QueueUrl=url,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
        return sum(int(v) for v in attributes.values())

    def _failed_merges(self) -> int:
        count, token = 0, None
        while count < FAILED_MERGES_CAP:
            request: dict[str, Any] = {
                "stateMachineArn": self._merge_arn,
                "statusFilter": "FAILED",
                "maxResults": 100,
            }
            if token:
                request["nextToken"] = token
            with aws_errors():
                page = self._sfn.list_executions(**request)
            count += len(page.get("executions", []))
            token = page.get("nextToken")
            if not token:
                break
        return min(count, FAILED_MERGES_CAP)
