"""The review API's errors: one body, one table from domain errors to statuses, one catch-all.

Every error answer is an ``ErrorBody`` (``{code, message, details}``). ``CODES`` says once what each
code means and which status carries it; ``DOMAIN`` maps each domain error type to its code (the most
specific type wins, as ``except`` would). The message is the domain error's own text for the codes
marked ``echo`` (ours, written for the reviewer); any other error answers the code's fixed message, so
no backend text (DynamoDB, Step Functions, HubSpot) and no Python text ever reaches a caller. Errors
that answer 5xx are logged with their type and where they happened, never their message (it may
hold record values).

A new route gets all of it by raising domain errors and declaring them:
``@router.get(path, responses=responses(Model, NotFound, *STORE))``.
"""

from __future__ import annotations

import base64
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Literal

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from pydantic import BaseModel, ConfigDict, Field

from crm_hygiene.errors import (
    BackendError,
    Conflict,
    Gone,
    HygieneError,
    InvalidDecision,
    InvalidRequest,
    NotFound,
    Throttled,
)
from crm_hygiene.observability import logger

ErrorCode = Literal[
    "invalid_request",
    "unauthenticated",
    "forbidden",
    "not_found",
    "method_not_allowed",
    "conflict",
    "gone",
    "unsupported_media_type",
    "validation_error",
    "invalid_decision",
    "too_many_requests",
    "internal",
    "backend_error",
    "throttled",
    "timeout",
]
RETRY_AFTER_S = 2


class Unauthenticated(HygieneError):
    """No reviewer identity in the request (API Gateway auth should have refused it)."""


class ErrorDetail(BaseModel):
    """One precise problem: where, which rule, in words."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    location: list[str | int] = Field(
        description='Where: ["body", "decisions", 0, "review_id"], ["query", "limit"], '
        '["path", "review_id"], or ["field", <CRM field>] for a value the standard refuses'
    )
    rule: str = Field(
        description='The rule broken, a stable name ("missing", "string_too_long", "format.country")'
    )
    message: str = Field(description="The problem in words")


class ErrorBody(BaseModel):
    """Every error the review API answers."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: ErrorCode = Field(description="What went wrong, stable for programs (see the API docs' table)")
    message: str = Field(description="What went wrong, for a person; never a backend's or Python's text")
    details: list[ErrorDetail] = Field(default_factory=list, description="Each precise problem, when known")


@dataclass(frozen=True)
class ErrorKind:
    """What an error code means and how it is answered.

    Attributes:
        status: The HTTP status.
        meaning: What it means, for the OpenAPI description and the docs.
        echo: The domain error's own message is shown (else ``meaning`` is the message).
    """

    status: int
    meaning: str
    echo: bool = True


CODES: dict[ErrorCode, ErrorKind] = {
    "invalid_request": ErrorKind(400, "The request cannot be served as sent (a cursor not issued here)"),
    "unauthenticated": ErrorKind(401, "No reviewer identity in the request"),
    "forbidden": ErrorKind(403, "API Gateway refused the caller (missing or invalid IAM signature or token)"),
    "not_found": ErrorKind(404, "No such item, change, run or route"),
    "method_not_allowed": ErrorKind(405, "The path exists, the method does not (see the Allow header)"),
    "conflict": ErrorKind(409, "The item is not in a state this action applies to, or changed meanwhile"),
    "gone": ErrorKind(410, "The merge workflow no longer waits for this decision (timed out or finished)"),
    "unsupported_media_type": ErrorKind(415, "The body is not JSON"),
    "validation_error": ErrorKind(422, "The request does not match the documented parameters or body"),
    "invalid_decision": ErrorKind(422, "The decision cannot apply to this item (details name the rule)"),
    "too_many_requests": ErrorKind(429, "API Gateway's throttle: slow down and retry"),
    "internal": ErrorKind(500, "An unexpected error; it is logged", echo=False),
    "backend_error": ErrorKind(502, "A service behind the API failed; it is logged", echo=False),
    "throttled": ErrorKind(503, "A service behind the API throttles; retry after Retry-After s", echo=False),
    "timeout": ErrorKind(504, "The API did not answer within API Gateway's 29 s", echo=False),
}  # fmt: skip

DOMAIN: dict[type[Exception], ErrorCode] = {
    InvalidRequest: "invalid_request",
    Unauthenticated: "unauthenticated",
    NotFound: "not_found",
    Conflict: "conflict",
    Gone: "gone",
    InvalidDecision: "invalid_decision",
    Throttled: "throttled",
    BackendError: "backend_error",
}

STORE: tuple[type[HygieneError], ...] = (Throttled, BackendError)
"""What any route that reads or writes the stores may also answer."""
GATEWAY: tuple[ErrorCode, ...] = ("forbidden", "too_many_requests", "timeout")
"""What API Gateway answers itself, on every route (in this body shape: infra/components/api.py)."""
ALWAYS: tuple[ErrorCode, ...] = ("validation_error", "internal", *GATEWAY)


def code_of(exc: BaseException) -> ErrorCode:
    """The code for an exception: its own type's, else its nearest base class's, else ``internal``."""
    for cls in type(exc).__mro__:
        if cls in DOMAIN:
            return DOMAIN[cls]
    return "internal"


def body_of(exc: BaseException) -> tuple[int, ErrorBody]:
    code = code_of(exc)
    kind = CODES[code]
    message = str(exc) if kind.echo and str(exc) else kind.meaning
    details = [
        ErrorDetail(location=list(d.location), rule=d.rule, message=d.message)
        for d in getattr(exc, "details", ())
    ]
    return kind.status, ErrorBody(code=code, message=message, details=details)


def answer(status: int, body: ErrorBody, headers: dict[str, str] | None = None) -> Response[dict[str, Any]]:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=body.model_dump(mode="json"),
        headers=headers,
    )


def _log(exc: BaseException, status: int) -> None:
    # type, AWS code and frames only: a message may carry record values (emails, names)
    frames = [
        f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}:{f.name}"
        for f in traceback.extract_tb(exc.__traceback__)
    ]
    logger.error(
        "request failed",
        extra={
            "status": status,
            "error_type": type(exc).__name__,
            "service_code": getattr(exc, "service_code", None),
            "frames": frames[-8:],
        },
    )


def _validation_details(exc: RequestValidationError | RequestUnsupportedContentType) -> list[ErrorDetail]:
    details = []
    for error in exc.errors():
        rule = str(error.get("type", "invalid"))
        location = [p if isinstance(p, int) else str(p) for p in error.get("loc", ())]
        # pydantic's own message, never the input (it may hold record values); powertools leaves some out
        message = str(error.get("msg") or rule.replace("_", " "))
        details.append(ErrorDetail(location=location, rule=rule, message=message))
    return details


def _refusal(app: APIGatewayRestResolver) -> Response[dict[str, Any]] | None:
    """What is refused before powertools parses anything: a method the path does not have (a concrete
    path wins over a template, as in OpenAPI: GET /reviews/decisions is not GET /reviews/{review_id}),
    a body that is not JSON (powertools would parse forms and multipart), a body that is not UTF-8."""
    event = app.current_event
    allowed = allowed_methods(app, event.path)
    if allowed and event.http_method.upper() not in allowed:
        message = f"{event.http_method} is not allowed here"
        return answer(
            405, ErrorBody(code="method_not_allowed", message=message), {"Allow": ", ".join(allowed)}
        )
    if not event.body:
        return None
    media = (event.headers.get("content-type") or event.headers.get("Content-Type") or "").split(";")[0]
    if media.strip().lower() not in ("", "application/json"):
        return answer(
            415, ErrorBody(code="unsupported_media_type", message="send the body as application/json")
        )
    if event.is_base64_encoded:
        try:
            base64.b64decode(event.body).decode("utf-8")
        except ValueError:
            detail = ErrorDetail(location=["body"], rule="json_invalid", message="the body is not UTF-8 JSON")
            body = ErrorBody(code="validation_error", message="the body is not JSON", details=[detail])
            return answer(422, body)
    return None


def install(app: APIGatewayRestResolver) -> None:
    """Registers the error handlers on ``app``: every error answer is an ``ErrorBody``."""
    # Refusals run before request validation, which powertools always puts first in the chain.
    validate = app._request_validation_middleware  # noqa: SLF001

    def refuse_then_validate(app_: APIGatewayRestResolver, next_middleware: Any) -> Any:
        return _refusal(app_) or validate(app_, next_middleware)

    app._request_validation_middleware = refuse_then_validate  # type: ignore[assignment]  # noqa: SLF001

    @app.exception_handler(RequestValidationError)
    def _invalid(exc: RequestValidationError) -> Response[dict[str, Any]]:
        message = "the request does not match the API: see details"
        return answer(
            422, ErrorBody(code="validation_error", message=message, details=_validation_details(exc))
        )

    @app.exception_handler(RequestUnsupportedContentType)
    def _media(exc: RequestUnsupportedContentType) -> Response[dict[str, Any]]:
        body = ErrorBody(code="unsupported_media_type", message="send the body as application/json")
        return answer(415, body)

    @app.not_found
    def _no_route(exc: NotFoundError) -> Response[dict[str, Any]]:
        allowed = allowed_methods(app, app.current_event.path)
        if allowed:
            body = ErrorBody(
                code="method_not_allowed", message=f"{app.current_event.http_method} is not allowed here"
            )
            return answer(405, body, {"Allow": ", ".join(allowed)})
        return answer(404, ErrorBody(code="not_found", message="no such route"))

    @app.exception_handler(Exception)
    def _any(exc: Exception) -> Response[dict[str, Any]]:
        status, body = body_of(exc)
        if status >= 500:
            _log(exc, status)
        headers = {"Retry-After": str(RETRY_AFTER_S)} if body.code == "throttled" else None
        return answer(status, body, headers)


def allowed_methods(app: APIGatewayRestResolver, path: str) -> list[str]:
    """The methods of ``path`` (for 405 and its Allow header): those of the concrete routes that match it,
    else of the templated ones."""
    # powertools keeps its route table private
    for routes in (app._static_routes, app._dynamic_routes):  # noqa: SLF001
        methods = {r.method for r in routes if r.rule.match(path)}
        if methods:
            return sorted(methods)
    return []


def responses(
    ok: type[BaseModel] | None,
    *errors: type[Exception],
    status: int = HTTPStatus.OK,
    description: str = "OK",
) -> dict[int, Any]:
    """The OpenAPI responses of a route: its success, the errors it raises, and those every route has."""
    out: dict[int, Any] = {int(status): {"description": description}}  # no content: the return annotation's
    if ok is not None:
        out[int(status)]["content"] = {"application/json": {"model": ok}}
    codes = [DOMAIN[e] for e in errors] + list(ALWAYS)
    for status_code, meaning in _by_status(codes).items():
        out[status_code] = {"description": meaning, "content": {"application/json": {"model": ErrorBody}}}
    return out


def _by_status(codes: Sequence[ErrorCode]) -> dict[int, str]:
    grouped: dict[int, list[str]] = {}
    for code in dict.fromkeys(codes):
        kind = CODES[code]
        grouped.setdefault(kind.status, []).append(f"`{code}`: {kind.meaning}")
    return {status: "; ".join(texts) for status, texts in sorted(grouped.items())}


def complete_openapi(schema: dict[str, Any]) -> dict[str, Any]:
    """Every operation answers at least ``ALWAYS`` in ``ErrorBody`` (a route declared without
    ``responses()`` included), and powertools' own validation-error shape, which we never send, is gone."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for model in (ErrorBody, ErrorDetail):
        components.setdefault(model.__name__, _schema_of(model))
    error_ref = {"$ref": "#/components/schemas/ErrorBody"}
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            answers = operation.setdefault("responses", {})
            always = (*ALWAYS, "unsupported_media_type") if "requestBody" in operation else ALWAYS
            for status_code, meaning in _by_status(always).items():
                answer_ = answers.get(str(status_code))
                refs_powertools = answer_ is not None and "HTTPValidationError" in str(answer_)
                if answer_ is None or refs_powertools:
                    answers[str(status_code)] = {
                        "description": meaning,
                        "content": {"application/json": {"schema": error_ref}},
                    }
    return schema


def _schema_of(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    return schema
