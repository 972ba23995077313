"""The deployed enrich function's providers file: an SSM parameter read once per container (moto SSM)."""

from __future__ import annotations

import os

import boto3
import pytest

from crm_hygiene.enrich.config import DerivedConfig, HttpConfig
from crm_hygiene.errors import InputError
from crm_hygiene.services.enrich.pipeline import _enricher
from crm_hygiene.settings import EnrichSettings
from crm_hygiene.wiring.aws import aws_deps, enrich_deps
from infra.layer import ROOT

PROVIDERS = ROOT / "tests" / "data" / "providers"
PARAMETER = "/crm-hygiene/test/providers"


def _parameter(file: str) -> str:
    """The file as the providers parameter (one name per file: powertools caches values by name)."""
    name = f"{PARAMETER}/{file}"
    text = (PROVIDERS / file).read_text()
    boto3.client("ssm").put_parameter(Name=name, Value=text, Type="String", Tier="Advanced")
    os.environ["PROVIDERS_PARAMETER"] = name
    return name


def test_the_providers_parameter_reaches_the_enricher(aws: dict[str, str]) -> None:
    # Given the stack's providers parameter (an HTTP provider whose key is in Secrets Manager)
    name = _parameter("deployed.yaml")
    boto3.client("secretsmanager").create_secret(Name="crm-hygiene/prod/people-api-key", SecretString="k")
    # When the enrich function builds its deps
    deps = enrich_deps()
    # Then the configured providers run besides the derived one, with Secrets Manager for their keys
    assert [type(p) for p in deps.config.providers] == [DerivedConfig, HttpConfig]
    assert set(deps.secrets) == {"aws"}
    assert set(_enricher(deps, "contact", "run-1").providers) == {"derived", "people_api"}
    # And the parameter is read once per container
    boto3.client("ssm").delete_parameter(Name=name)
    assert aws_deps(EnrichSettings).providers is deps.config


def test_without_a_parameter_only_the_derived_providers_run(aws: dict[str, str]) -> None:
    assert [p.type for p in enrich_deps().config.with_derived().providers] == ["derived"]


def test_providers_that_cannot_run_in_lambda_are_a_clear_error(aws: dict[str, str]) -> None:
    # Given a parameter edited by hand to name a local activity log and an env-variable API key
    name = _parameter("local_files.yaml")
    # Then the enrich function refuses it, naming each provider and why
    with pytest.raises(InputError) as error:
        enrich_deps()
    message = str(error.value)
    assert f"{name}: providers.activity_log: the activity provider reads the local file" in message
    assert f"{name}: providers.people_api.auth.store: 'env'" in message
