"""Routes of scans on demand, the health trend, and the console's sign-in settings.

``POST /scans`` starts the scan workflow (the one the schedule starts), ``GET /scans/{scan_id}``
follows it, ``GET /health/history`` is the health of the last runs, oldest first, and
``GET /auth/config`` tells the console how to sign in (Cognito's hosted UI, or nothing to do).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.models import Example
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.openapi.params import Path as PathParam
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import BaseModel, ConfigDict, Field
from review_errors import STORE, Unauthenticated, responses
from review_routes import ID_MAX, ID_PATTERN, reviewer

from crm_hygiene.errors import HygieneError, NotFound
from crm_hygiene.models.health import HealthPoint
from crm_hygiene.models.scans import ScanRun
from crm_hygiene.ports import ScanRunner
from crm_hygiene.services.review import core as review
from crm_hygiene.services.review.core import ReviewDeps
from crm_hygiene.services.scan import runs
from crm_hygiene.settings import ConsoleAuthEnv, load_settings
from crm_hygiene.types import OBJECT_TYPES, ObjectType

router = APIGatewayRouter()
ScanId = Annotated[
    str,
    PathParam(min_length=1, max_length=ID_MAX, pattern=ID_PATTERN, description="A scan's id (its run id)"),
]
SCANS = {
    "all": Example(summary="Scan every object type", value={}),
    "contacts": Example(summary="Scan contacts only", value={"object_types": ["contact"]}),
}
SCAN_ACCEPTED = (
    "Accepted: the scan started, or the running scan that already covers these object types; follow it at "
    "GET /scans/{scan_id} (the Location header)"
)


class ScanStart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    object_types: list[ObjectType] | None = Field(
        default=None, min_length=1, max_length=len(OBJECT_TYPES), description="Default: every object type"
    )


class HealthHistory(BaseModel):
    runs: list[HealthPoint] = Field(description="One point per run and object type, oldest first")


class AuthConfig(BaseModel):
    """How the console signs a reviewer in. ``cognito``: the hosted UI, authorization code with PKCE
    (a public client: no secret), then the ID token as ``Authorization`` on every call. ``none``: the
    API needs no token from a browser (locally; or IAM, which a browser cannot sign)."""

    mode: Literal["cognito", "none"]
    client_id: str | None = None
    authorize_url: str | None = None
    token_url: str | None = None
    logout_url: str | None = None
    redirect_uri: str | None = None
    scopes: list[str] = Field(default_factory=list)


def _scans() -> ScanRunner:
    deps: ReviewDeps = router.context["deps"]
    if deps.scans is None:
        raise HygieneError("scans on demand are not configured for this API")
    return deps.scans


@router.post(
    "/scans",
    summary="Start a scan of the CRM now (202); a running scan covering the object types answers instead",
    responses=responses(
        ScanRun, Unauthenticated, *STORE, status=HTTPStatus.ACCEPTED, description=SCAN_ACCEPTED
    ),
    operation_id="start_scan",
)
def start_scan(request: Annotated[ScanStart, Body(openapi_examples=SCANS)]) -> Response[ScanRun]:
    run, _ = runs.start_scan(_scans(), request.object_types, reviewer())
    return Response(status_code=202, content_type="application/json", body=run,
                    headers={"Location": f"/scans/{run.scan_id}"})  # fmt: skip


@router.get(
    "/scans/<scan_id>",
    summary="A scan's progress: status, start and stop, who asked, and its figures once it succeeded",
    responses=responses(ScanRun, NotFound, *STORE),
    operation_id="get_scan",
)
def get_scan(scan_id: ScanId) -> ScanRun:
    return runs.scan_status(_scans(), scan_id)


@router.get(
    "/health/history",
    summary="The health of the last runs per object type, oldest first (the trend)",
    responses=responses(HealthHistory, *STORE),
    operation_id="health_history",
)
def health_history(
    object_type: Annotated[ObjectType | None, Query(description="Default: every object type")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="The newest this many points")] = 50,
) -> HealthHistory:
    deps: ReviewDeps = router.context["deps"]
    return HealthHistory(runs=review.health_history(deps, object_type, limit))


@router.get(
    "/auth/config",
    summary="How the console signs in (public: API Gateway serves it without auth; it holds no secret)",
    responses=responses(AuthConfig),
    operation_id="auth_config",
)
def auth_config() -> AuthConfig:
    env = load_settings(ConsoleAuthEnv)
    if not (env.cognito_client_id and env.cognito_domain_url):
        return AuthConfig(mode="none")
    base = env.cognito_domain_url.rstrip("/")
    return AuthConfig(
        mode="cognito",
        client_id=env.cognito_client_id,
        authorize_url=f"{base}/oauth2/authorize",
        token_url=f"{base}/oauth2/token",
        logout_url=f"{base}/logout",
        redirect_uri=env.console_redirect_url,
        scopes=["openid", "email", "profile"],
    )
