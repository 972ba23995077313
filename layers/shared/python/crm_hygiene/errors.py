"""Domain errors. Adapters translate I/O errors into these; the CLI and handlers map them once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Detail:
    """One precise problem behind an error, for a caller to act on.

    Attributes:
        location: Where: a request location (``("body", "value")``) or a field (``("field", "country")``).
        rule: Which rule it breaks, as a stable name (``"format.country"``, ``"max_length"``).
        message: The problem in words, for a person.
    """

    location: tuple[str | int, ...]
    rule: str
    message: str


class HygieneError(Exception):
    """Base class of every error this package raises on purpose.

    Its message is ours, never a backend's text (adapters translate those, see
    ``adapters/aws/errors.py``): the review API shows it to the caller for the error types it maps.
    """

    details: tuple[Detail, ...] = ()


class InputError(HygieneError):
    """Bad input that stops a run: names the file and, where known, the line and column.

    Attributes:
        path: The input file.
        line: 1-based physical line in the file, if the problem is on one line.
        column: The column (header name) involved, if any.
    """

    def __init__(
        self, message: str, *, path: str | None = None, line: int | None = None, column: str | None = None
    ) -> None:
        self.path = path
        self.line = line
        self.column = column
        where = ":".join(str(p) for p in (path, line) if p is not None)
        col = f" (column {column!r})" if column else ""
        super().__init__(f"{where}{col}: {message}" if where else f"{message}{col}")
        self.detail = message


class StandardError(HygieneError):
    """The clean-record standard is invalid; ``errors`` lists (key, line, message)."""

    def __init__(self, path: str, errors: list[tuple[str, int | None, str]]) -> None:
        self.path = path
        self.errors = errors
        lines = [f"{path}:{line or '?'}: {key}: {msg}" for key, line, msg in errors]
        super().__init__("invalid standard\n" + "\n".join(lines))


class Conflict(HygieneError):
    """The target no longer holds the value a change expected (optimistic concurrency)."""


class Throttled(HygieneError):
    """A downstream service asked us to slow down."""


class NotFound(HygieneError):
    """A record, review item or change does not exist."""


class Gone(HygieneError):
    """A workflow is no longer waiting for this decision (timed out, finished, or never existed)."""


class InvalidDecision(HygieneError):
    """A reviewer's decision that cannot apply to its item (a merge's primary that is not one of its
    members, a value that breaks the standard); refused before anything changes or the workflow resumes.

    ``details`` names each field and rule broken (the review API answers them in its 422 body).
    """

    def __init__(self, message: str, *, details: Sequence[Detail] = ()) -> None:
        super().__init__(message)
        self.details = tuple(details)


class InvalidRequest(HygieneError):
    """A request that cannot be served as sent, though well-formed (a paging cursor this system did not
    issue)."""


class BackendError(HygieneError):
    """A service we depend on failed in a way the caller cannot fix (an AWS call refused, a bad
    response). The message says which call failed, never the service's text; ``service_code`` is the
    service's own error code, for the logs."""

    def __init__(self, message: str, *, service_code: str = "") -> None:
        super().__init__(message)
        self.service_code = service_code


class InvalidValue(InvalidDecision):
    """A reviewer's value that the standard refuses for its field (format, length, a spreadsheet
    formula, a placeholder, control characters); refused before anything changes.

    Attributes:
        field: The field the value was meant for.
        rule: Which rule refused it (``format.country_alpha2``, ``length``, ``formula``, ...).
        message: Why, in words.
    """

    def __init__(self, field: str, rule: str, message: str) -> None:
        self.field = field
        self.rule = rule
        self.message = message
        detail = Detail(location=("field", field), rule=rule, message=message)
        super().__init__(f"{field}: {message} (rule {rule})", details=(detail,))
