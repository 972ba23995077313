"""The infra <-> code contract on environment variables, on the synthesized templates: every variable
the stack sets on a function is one that function's settings read, and every variable they read is
set (required ones always, optional ones in the configuration that turns them on)."""

from __future__ import annotations

from typing import Any

import pytest

from crm_hygiene.settings import variables
from infra.components.specs import RUNTIME_ENV, SPECS
from tests.infra.conftest import Synth

# Read by the settings, never set by the stack: tests and the local stack point it at the fake HubSpot.
NOT_FROM_THE_STACK = {"HUBSPOT_BASE_URL"}


def _environment(synth: Synth, function_id: str) -> dict[str, Any]:
    name = synth.config.names.function(function_id)
    [fn] = [
        v for v in synth.of_type("AWS::Lambda::Function").values() if v["Properties"]["FunctionName"] == name
    ]
    return fn["Properties"]["Environment"]["Variables"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("function_id", list(SPECS))
def test_the_stack_sets_only_what_the_function_reads(synth, variant, function_id):
    read = variables(SPECS[function_id].settings)
    for stack in (synth, variant):
        unread = set(_environment(stack, function_id)) - set(read) - set(RUNTIME_ENV)
        assert not unread, f"{function_id} gets {sorted(unread)}, which its settings never read"


@pytest.mark.parametrize("function_id", list(SPECS))
def test_the_function_reads_only_what_the_stack_sets(synth, variant, function_id):
    read = variables(SPECS[function_id].settings)
    required = {name for name, needed in read.items() if needed}
    optional = set(read) - required - NOT_FROM_THE_STACK
    for stack in (synth, variant):
        unset = required - set(_environment(stack, function_id))
        assert not unset, f"{function_id} requires {sorted(unset)}, which the stack does not set"
    # the variant turns every option on (Distributed Map, HubSpot, standard, providers file)
    assert optional <= set(_environment(variant, function_id))


def test_runtime_variables_are_the_same_everywhere(synth):
    for function_id in SPECS:
        env = _environment(synth, function_id)
        assert {k: env[k] for k in RUNTIME_ENV} == RUNTIME_ENV
