"""The review API (API Gateway REST, IAM or Cognito auth): queue, decisions, rollback, figures."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from review_routes import Unauthenticated, router

from crm_hygiene.errors import Conflict, Gone, HygieneError, InvalidDecision, NotFound
from crm_hygiene.observability import logger, metrics, tracer
from crm_hygiene.services.review.core import ReviewDeps
from crm_hygiene.wiring.aws import review_deps

app = APIGatewayRestResolver(enable_validation=True)
app.include_router(router)


def _error(status: int, exc: Exception) -> Response[dict[str, str]]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON,
                    body={"error": type(exc).__name__, "message": str(exc)})  # fmt: skip


@app.exception_handler(NotFound)
def _not_found(exc: NotFound) -> Response[dict[str, str]]:
    return _error(404, exc)


@app.exception_handler(Conflict)
def _conflict(exc: Conflict) -> Response[dict[str, str]]:
    return _error(409, exc)


@app.exception_handler(Gone)
def _gone(exc: Gone) -> Response[dict[str, str]]:
    return _error(410, exc)


@app.exception_handler(InvalidDecision)
def _invalid_decision(exc: InvalidDecision) -> Response[dict[str, str]]:
    return _error(422, exc)


@app.exception_handler(Unauthenticated)
def _unauthenticated(exc: Unauthenticated) -> Response[dict[str, str]]:
    return _error(401, exc)


@app.exception_handler(HygieneError)
def _domain_error(exc: HygieneError) -> Response[dict[str, str]]:
    return _error(400, exc)


def openapi_schema() -> str:
    """The OpenAPI document (exported to docs/ by `make openapi`)."""
    return app.get_openapi_json_schema(title="crm-hygiene review API", version="1.0.0")


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any, deps: ReviewDeps | None = None) -> dict[str, Any]:
    # The router shares the context of the app that included it last; when a process holds more than one
    # app (the local stack's executor and a test), bind it to this one before resolving.
    router.context = app.context
    app.append_context(deps=deps or review_deps())
    return app.resolve(event, context)
