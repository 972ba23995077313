"""Scheduled audit verification: verify every chain and digest, sign the next digest, alert on failure."""

from __future__ import annotations

from typing import Any

from crm_hygiene.observability import logger, metrics, tracer
from crm_hygiene.services.audit.core import IntegrityDeps, scheduled_run
from crm_hygiene.settings import AuditVerifySettings
from crm_hygiene.wiring.aws import aws_deps

FAILED_METRIC = "AuditVerificationFailures"  # infra/names.py AUDIT_VERIFICATION_METRIC
PROBLEMS_METRIC = "AuditProblems"


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any, deps: IntegrityDeps | None = None) -> dict[str, Any]:
    outcome = scheduled_run(deps or aws_deps(AuditVerifySettings).integrity())
    report = outcome.report
    metrics.add_metric(name=FAILED_METRIC, unit="Count", value=0 if report.ok else 1)
    metrics.add_metric(name=PROBLEMS_METRIC, unit="Count", value=len(report.problems))
    logger.info(
        "audit verified",
        extra={"ok": report.ok, "entries": report.entries, "records": report.records,
               "problems": report.problem_counts, "digest": outcome.digest_key},
    )  # fmt: skip
    return outcome.model_dump(mode="json", exclude={"report": {"problems"}}) | {
        "problems": [p.model_dump(mode="json") for p in report.problems[:100]]
    }
