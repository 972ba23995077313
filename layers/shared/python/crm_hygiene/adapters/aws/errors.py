"""One place that turns AWS error codes into domain errors (STYLE point 5)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import ClientError

from crm_hygiene.errors import Conflict, Gone, HygieneError, NotFound, Throttled

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
    """The domain error for an AWS ``ClientError``."""
    code = code_of(exc)
    message = str(exc.response.get("Error", {}).get("Message", "")) or code
    if code == "ConditionalCheckFailedException" or code == "TransactionCanceledException":
        return Conflict(message)
    if code in _THROTTLED:
        return Throttled(message)
    if code in _GONE:
        return Gone(message)
    if code in _NOT_FOUND:
        return NotFound(message)
    return HygieneError(f"{code}: {message}")


@contextmanager
def aws_errors() -> Iterator[None]:
    """Re-raises ``ClientError`` as the matching domain error."""
    try:
        yield
    except ClientError as exc:
        raise translate(exc) from exc
