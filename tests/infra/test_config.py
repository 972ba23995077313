"""StackConfig: read from CDK context, strict about bad values, and cdk.json holds the same defaults."""

from __future__ import annotations

from typing import Any

import pytest

from infra.app import cdk_json_context
from infra.config import ConfigError, StackConfig, config_from_context
from infra.layer import ROOT
from infra.names import Names


class FakeNode:
    def __init__(self, context: dict[str, Any]) -> None:
        self.context = context

    def try_get_context(self, key: str) -> Any:
        return self.context.get(key)


def test_cdk_json_context_spells_out_exactly_the_model_defaults():
    # Given the context block of cdk.json, minus CDK feature flags
    ours = {k: v for k, v in cdk_json_context().items() if not k.startswith("@")}
    # Then it lists every key, and reading it gives the defaults (blank strings are "not set")
    assert set(ours) == set(StackConfig.model_fields)
    assert config_from_context(FakeNode(ours)) == StackConfig()


def test_cli_strings_are_coerced():
    # cdk deploy -c distributed_map=true -c audit_retention_days=30 passes strings
    config = config_from_context(
        FakeNode(
            {"stage": "prod", "distributed_map": "true", "audit_retention_days": "30", "alarm_email": ""}
        )
    )
    assert (config.stage, config.distributed_map, config.audit_retention_days) == ("prod", True, 30)
    assert config.alarm_email is None


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("stage", "Prod_1"),
        ("stage", "a-very-long-stage-name"),
        ("schedule", "every monday"),
        ("audit_retention_mode", "LOOSE"),
        ("review_timeout_seconds", 400 * 86_400),
        ("scan_partitions", 0),
        ("log_retention_days", 31),
        ("alarm_email", "not-an-address"),
        ("crm_kind", "salesforce"),
    ],
)
def test_invalid_values_stop_the_synth_naming_the_key(key, value):
    with pytest.raises(ConfigError, match=key):
        config_from_context(FakeNode({key: value}))


def test_secret_names_default_per_stage():
    config = StackConfig(stage="prod")
    assert config.hubspot_secret == "crm-hygiene/prod/hubspot-token"
    assert config.webhook_secret == "crm-hygiene/prod/hubspot-webhook-secret"
    assert StackConfig(hubspot_token_secret_name="shared/hubspot").hubspot_secret == "shared/hubspot"


def test_names_carry_the_stage():
    names = Names("prod")
    assert names.stack == "crm-hygiene-prod"
    assert names.table("ChangeQueueTable") == "crm-hygiene-prod-change-queue"
    assert names.function("MergeReviewFunction") == "crm-hygiene-prod-merge-review"
    assert names.state_machine("MergeWorkflow") == "crm-hygiene-prod-merge"
    assert names.queue("scan-requests", dlq=True) == "crm-hygiene-prod-scan-requests-dlq"
    assert names.log_group("states", "scan") == "/aws/vendedlogs/states/crm-hygiene-prod-scan"


PROVIDERS = ROOT / "tests" / "data" / "providers"


def test_a_deployable_providers_file_is_kept_verbatim():
    config = StackConfig(providers_file=PROVIDERS / "deployed.yaml")
    assert config.providers_yaml() == (PROVIDERS / "deployed.yaml").read_text()
    assert StackConfig().providers_yaml() is None


def test_an_invalid_providers_file_stops_the_synth_with_file_and_line():
    with pytest.raises(ConfigError) as error:
        config_from_context(FakeNode({"providers_file": str(PROVIDERS / "invalid.yaml")}))
    message = str(error.value)
    assert f"{PROVIDERS / 'invalid.yaml'}:7: providers.0.rate_limit" in message
    assert f"{PROVIDERS / 'invalid.yaml'}:8: providers.0.colour" in message


def test_providers_that_need_local_files_or_env_secrets_stop_the_synth():
    with pytest.raises(ConfigError) as error:
        config_from_context(FakeNode({"providers_file": str(PROVIDERS / "local_files.yaml")}))
    message = str(error.value)
    assert "providers.activity_log: the activity provider reads the local file" in message
    assert "providers.people_api.auth.store: 'env'" in message


def test_a_missing_providers_file_stops_the_synth():
    with pytest.raises(ConfigError, match="nope.yaml"):
        config_from_context(FakeNode({"providers_file": str(PROVIDERS / "nope.yaml")}))


def test_cognito_settings_read_from_the_command_line():
    # -c cognito_callback_urls=a,b arrives as one string; a prefix Cognito refuses stops the synth
    config = config_from_context(FakeNode({
        "cognito": "true", "cognito_domain_prefix": "acme-review",
        "cognito_callback_urls": "https://review.example.com/, http://localhost:8787/",
    }))  # fmt: skip
    assert config.cognito_callback_urls == ("https://review.example.com/", "http://localhost:8787/")
    assert config.cognito_domain_prefix == "acme-review"
    for key, bad in (("cognito_domain_prefix", "my-cognito"), ("cognito_domain_prefix", "Acme"),
                     ("cognito_callback_urls", "http://review.example.com/")):  # fmt: skip
        with pytest.raises(ConfigError, match=key):
            config_from_context(FakeNode({key: bad}))
