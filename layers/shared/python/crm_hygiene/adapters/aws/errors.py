"""One place that turns AWS error codes into domain errors (STYLE point 5)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import ClientError

from crm_hygiene.errors import BackendError, Conflict, Gone, HygieneError, NotFound, Throttled

_THROTTLED = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "Throttling",
    "TooManyRequestsException",
    "SlowDown",
}
_GONE = {"TaskTimedOut", "TaskDoesNotExist", "InvalidToken", "ExecutionDoesNotExist"}
_NOT_FOUND = {
    "ResourceNotFoundException",
    "NoSuchKey",
    "NoSuchBucket",
    "NotFound",
    "StateMachineDoesNotExist",
}


def code_of(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def translate(exc: ClientError) -> HygieneError:
    """The domain error for an AWS ``ClientError``, with a message of ours.

    AWS's own message goes nowhere a caller sees it (it named tables, keys and parameters, and the
    review API answered it in 400s); the error code stays on ``BackendError.service_code`` for logs.
    """
    code = code_of(exc)
    operation = str(getattr(exc, "operation_name", "") or "an AWS call")
    if code == "ConditionalCheckFailedException" or code == "TransactionCanceledException":
        return Conflict("the stored item changed since it was read")
    if code in _THROTTLED:
        return Throttled(f"{operation} was throttled; retry shortly")
    if code in _GONE:
        return Gone("the workflow is no longer waiting for this task")
    if code in _NOT_FOUND:
        return NotFound("the resource does not exist")
    return BackendError(f"{operation} failed", service_code=code)


@contextmanager
def aws_errors() -> Iterator[None]:
    """Re-raises ``ClientError`` as the matching domain error."""
    try:
        yield
    except ClientError as exc:
        raise translate(exc) from exc
