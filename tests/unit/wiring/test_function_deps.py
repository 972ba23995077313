"""Each function's composition builds from exactly the variables its settings read: an adapter its
settings do not name is never asked for (the jobs worker once asked for the measurement topic and
hung every background job on the local stack)."""

from __future__ import annotations

import pytest
from moto import mock_aws

from crm_hygiene.settings import JobsSettings, ReviewApiSettings, variables
from crm_hygiene.wiring.aws import AwsDeps


def _settings(model: type, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    values = {name: f"x-{name.lower()}" for name in variables(model)}
    values.pop("STANDARD_PARAMETER", None)  # absent: the shipped standard
    values.pop("HUBSPOT_APP_ID", None)
    values["CRM_KIND"] = "internal"
    for name in ("SCAN_PARTITIONS", "AUDIT_DIGEST_MAX_AGE_SECONDS"):
        values.pop(name, None)
    values.pop("AUDIT_ALLOW_LEGACY", None)
    return model.model_validate(values)


@pytest.mark.parametrize("model", [JobsSettings, ReviewApiSettings])
def test_the_review_and_job_deps_build_from_the_functions_own_settings(model, monkeypatch):
    with mock_aws():
        deps = AwsDeps(_settings(model, monkeypatch))
        jobs = deps.jobs()
    assert jobs.review.queue is not None and jobs.jobs is not None
    assert (jobs.review.signals is None) == (model is JobsSettings)
