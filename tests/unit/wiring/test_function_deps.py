"""Each function's composition builds from exactly the variables its settings read: an adapter its
settings do not name is never asked for (the jobs worker once asked for the measurement topic and
hung every background job on the local stack)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from moto import mock_aws

from crm_hygiene.audit.keys import Keyring
from crm_hygiene.settings import EnvModel, JobsSettings, ReviewApiSettings, variables
from crm_hygiene.wiring.aws import AwsDeps


def _settings(model: type[EnvModel], monkeypatch: pytest.MonkeyPatch) -> Any:
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
        settings = _settings(model, monkeypatch)
        # the audit MAC keyring is read when the audit log is built (a secret, never the table)
        boto3.client("secretsmanager").create_secret(
            Name=settings.audit_key_secret_name, SecretString=Keyring.generate("k1").dumps()
        )
        deps = AwsDeps(settings)
        jobs = deps.jobs()
    assert jobs.review.queue is not None and jobs.jobs is not None
    assert (jobs.review.signals is None) == (model is JobsSettings)
