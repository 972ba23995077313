"""What each Lambda function is (handler, code folder, settings model, size) and what it may be
granted through (``Grantee``): leaf definitions that the function construct and the resources that
grant to functions (queues, storage, signals) all read, so none of them imports the others back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from aws_cdk import aws_lambda as lambda_
from constructs import IConstruct

from crm_hygiene.settings import (
    ApplySettings,
    AuditVerifySettings,
    EnrichSettings,
    EntryScanSettings,
    EnvModel,
    JobsSettings,
    MergeReviewSettings,
    ReviewApiSettings,
    ScanSettings,
    WebhookSettings,
    variables,
)
from infra import names


class Grantee(IConstruct, Protocol):
    """A function as a grant sees it: the construct that acknowledges cdk-nag findings, and the
    Lambda function whose role gets the permission (``HygieneFunction``)."""

    @property
    def grantee(self) -> lambda_.Function: ...


# Read by powertools itself, in every function.
RUNTIME_ENV = {
    "POWERTOOLS_SERVICE_NAME": names.POWERTOOLS_SERVICE,
    "POWERTOOLS_METRICS_NAMESPACE": names.METRICS_NAMESPACE,
}


@dataclass(frozen=True)
class FunctionSpec:
    """A function and the settings model of its handler: the function gets exactly the variables
    that model reads (``crm_hygiene/settings.py``), so infra and code cannot drift apart."""

    handler: str
    folder: str
    settings: type[EnvModel]
    timeout_seconds: int = 60
    memory_mb: int = 1024
    description: str = ""


SPECS: dict[str, FunctionSpec] = {
    names.SCAN_FN: FunctionSpec(
        "scan_handler.lambda_handler", "scan", ScanSettings, 900, 2048, "Plans and scans partitions"
    ),
    names.ENTRY_SCAN_FN: FunctionSpec(
        "entry_handler.lambda_handler", "scan", EntryScanSettings, description="Checks one record"
    ),
    names.WEBHOOK_FN: FunctionSpec(
        "webhook_handler.lambda_handler", "scan", WebhookSettings, description="CRM webhook"
    ),
    names.ENRICH_FN: FunctionSpec(
        "enrich_handler.lambda_handler", "enrich", EnrichSettings, description="Enriches records"
    ),
    names.APPLY_FN: FunctionSpec(
        "apply_handler.lambda_handler", "apply", ApplySettings, 300, description="Applies changes"
    ),
    names.REVIEW_API_FN: FunctionSpec(
        "review_api_handler.lambda_handler", "review_api", ReviewApiSettings, description="Review API"
    ),
    names.MERGE_REVIEW_FN: FunctionSpec(
        "merge_review_handler.lambda_handler",
        "review_api",
        MergeReviewSettings,
        description="Stores merge task tokens",
    ),
    names.JOBS_FN: FunctionSpec(
        "jobs_handler.lambda_handler", "review_api", JobsSettings, 300, description="Runs background jobs"
    ),
    names.AUDIT_VERIFY_FN: FunctionSpec(
        "audit_verify_handler.lambda_handler",
        "audit",
        AuditVerifySettings,
        900,
        description="Verifies the audit trail and signs the digest of every chain head",
    ),
}


def environment_of(spec: FunctionSpec, values: dict[str, str]) -> dict[str, str]:
    """The variables ``spec``'s settings read, from ``values`` (what the stack knows); an optional
    one is absent when not configured.

    Raises:
        ValueError: the settings require a variable the stack has no value for.
    """
    wanted = variables(spec.settings)
    missing = sorted(name for name, required in wanted.items() if required and name not in values)
    if missing:
        raise ValueError(f"{spec.settings.__name__} requires {', '.join(missing)}: the stack sets no value")
    return {**RUNTIME_ENV, **{name: values[name] for name in wanted if name in values}}
