"""The infra tier: synthesize once per session, then assert on the templates.

One app holds two stacks, synthesized together in one pass (~4-7 s): the default configuration
(``cdk.json``) and a variant with every optional feature on (Distributed Map, Cognito, HubSpot,
alarm e-mail, standard parameter, providers file, GOVERNANCE retention). Both use the source-only layer, so the
result never depends on whether ``make build-layer`` ran.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

# Before aws_cdk starts its node process: Debian's Node 20 is past end-of-life, jsii says so on every run.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
# A developer's shell may carry CLI context; the tests describe the stack themselves.
os.environ.pop("CDK_CONTEXT_JSON", None)

import aws_cdk as cdk  # noqa: E402
import pytest  # noqa: E402
from aws_cdk.assertions import Template  # noqa: E402

from infra.app import build_app  # noqa: E402
from infra.config import StackConfig  # noqa: E402
from infra.layer import ROOT, layer_dir  # noqa: E402
from infra.names import Names  # noqa: E402
from infra.stack import CrmHygieneStack  # noqa: E402
from tests.infra.template_tools import iam_statements  # noqa: E402

VARIANT = {
    "stage": "prod",
    "distributed_map": True,
    "cognito": True,
    "crm_kind": "hubspot",
    "hubspot_app_id": "1160452",
    "alarm_email": "revops-alerts@example.com",
    "standard_parameter": "/crm-hygiene/prod/standard",
    "audit_retention_mode": "GOVERNANCE",
    "audit_retention_days": 30,
    "audit_allow_legacy": True,
    "review_timeout_seconds": 3600,
    "providers_file": str(ROOT / "tests" / "data" / "providers" / "deployed.yaml"),
}


@dataclass
class Synth:
    app: cdk.App
    stack: CrmHygieneStack
    template: Template
    config: StackConfig

    @property
    def resources(self) -> dict[str, Any]:
        return self.template.to_json()["Resources"]  # type: ignore[no-any-return]

    def of_type(self, cfn_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v["Type"] == cfn_type}


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> cdk.App:
    """The app as ``python -m infra.app`` builds it, plus the variant stack beside the default one."""
    app, _ = build_app(outdir=str(tmp_path_factory.mktemp("cdk.out")), nag=False, prefer_full_layer=False)
    config = StackConfig.model_validate(VARIANT)
    CrmHygieneStack(app, config.names.stack, config=config, layer_dir=layer_dir(prefer_full=False))
    return app


def _synth(app: cdk.App, stage: str) -> Synth:
    stack = app.node.find_child(Names(stage).stack)
    assert isinstance(stack, CrmHygieneStack)
    return Synth(app, stack, Template.from_stack(stack), stack.config)


@pytest.fixture(scope="session")
def synth(app: cdk.App) -> Synth:
    return _synth(app, "dev")


@pytest.fixture(scope="session")
def variant(app: cdk.App) -> Synth:
    return _synth(app, str(VARIANT["stage"]))


@pytest.fixture(scope="session")
def policies(synth: Synth) -> list[dict[str, Any]]:
    return iam_statements(synth.resources)
