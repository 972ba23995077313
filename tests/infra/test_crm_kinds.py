"""Infra and code name the same CRMs: the kinds infra accepts are the CRM registry's, and each
CRM's functions get the environment its registry entry needs."""

from __future__ import annotations

from typing import get_args

import pytest

from crm_hygiene.models.crm import CRM_KINDS
from crm_hygiene.wiring.crm import CONNECTORS
from infra import names
from infra.config import ConfigError, StackConfig, config_from_context
from tests.infra.conftest import Synth


class _Node:
    def __init__(self, context: dict[str, object]) -> None:
        self.context = context

    def try_get_context(self, key: str) -> object:
        return self.context.get(key)


def test_infra_accepts_exactly_the_registrys_crm_kinds():
    assert get_args(StackConfig.model_fields["crm_kind"].annotation) == tuple(CONNECTORS) == CRM_KINDS
    for kind in CONNECTORS:
        assert config_from_context(_Node({"crm_kind": kind, **_app(kind)})).crm_kind == kind
    with pytest.raises(ConfigError, match="crm_kind"):
        config_from_context(_Node({"crm_kind": "salesforce"}))


@pytest.mark.parametrize("kind", CRM_KINDS)
def test_infra_sets_the_secrets_each_crm_needs_and_no_other(kind):
    needed = set(CONNECTORS[kind].settings) - set(names.TABLE_ENV.values())  # tables: every function has them
    assert set(StackConfig(crm_kind=kind, **_app(kind)).crm_secrets) == needed


def _app(kind: str) -> dict[str, str]:
    return {"hubspot_app_id": "1160452"} if kind == "hubspot" else {}


def test_a_hubspot_stack_needs_the_apps_id_so_our_own_writes_are_not_scanned_again():
    # Without it the webhook cannot tell the connector's writes from a person's
    with pytest.raises(ConfigError, match="hubspot_app_id"):
        config_from_context(_Node({"crm_kind": "hubspot"}))
    with pytest.raises(ConfigError, match="hubspot_app_id"):
        config_from_context(_Node({"crm_kind": "hubspot", "hubspot_app_id": "app-1"}))
    assert (
        config_from_context(_Node({"crm_kind": "hubspot", "hubspot_app_id": 1160452})).hubspot_app_id
        == "1160452"
    )


def _variables(synth: Synth, function_id: str) -> dict[str, object]:
    name = synth.config.names.function(function_id)
    [fn] = [
        f for f in synth.of_type("AWS::Lambda::Function").values() if f["Properties"]["FunctionName"] == name
    ]
    return fn["Properties"]["Environment"]["Variables"]  # type: ignore[no-any-return]


def test_each_synthesized_crm_gets_its_registry_settings(synth: Synth, variant: Synth):
    for stack in (synth, variant):
        kind = stack.config.crm_kind
        entry = CONNECTORS[kind]
        scan_env = _variables(stack, names.SCAN_FN)
        assert scan_env["CRM_KIND"] == kind and set(entry.settings) <= set(scan_env)
        assert set(entry.webhook_settings) <= set(_variables(stack, names.WEBHOOK_FN))
