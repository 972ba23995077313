"""cdk-nag AwsSolutions: no unacknowledged finding, and every acknowledgement is specific and needed."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from cdk_nag import AwsSolutionsChecks

from infra import nag
from infra.app import build_app, nag_enabled
from infra.config import StackConfig
from infra.layer import layer_dir
from infra.stack import CrmHygieneStack
from tests.infra.conftest import VARIANT


def _violations(app: cdk.App) -> list[tuple[str, str, str]]:
    """(rule id, severity, construct path) of every finding cdk-nag reports."""
    report = AwsSolutionsChecks(app).validate_scope(app)
    return [
        (v.rule_name, str(v.severity), str(r.construct_path))
        for v in report.violations
        for r in v.violating_resources
    ]


def _acknowledgements(app: cdk.App) -> list[tuple[str, str, str]]:
    """(construct path, rule id, reason) of every acknowledgement in the app."""
    found = []
    for construct in app.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                data: dict[str, Any] = entry.data
                for qualified, reason in data.items():
                    rule_id = qualified.split("::", 1)[-1]
                    found.append((construct.node.path, rule_id, str(reason)))
    return found


@pytest.fixture(scope="module")
def unacknowledged(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str, str]]:
    """The findings of the same two stacks built with no acknowledgement at all."""
    with nag.without_acknowledgements():
        app, _ = build_app(outdir=str(tmp_path_factory.mktemp("raw")), nag=False, prefer_full_layer=False)
        config = StackConfig.model_validate(VARIANT)
        CrmHygieneStack(app, config.names.stack, config=config, layer_dir=layer_dir(prefer_full=False))
    return _violations(app)


def test_cdk_nag_finds_nothing_unacknowledged(app):
    # Given both stacks (default and every optional feature on)
    # When cdk-nag's AwsSolutions pack checks the whole app
    violations = _violations(app)
    # Then there is no error and no warning left
    assert violations == []


def test_every_acknowledgement_names_one_rule_and_says_why(app):
    acknowledgements = _acknowledgements(app)
    assert acknowledgements
    for path, rule_id, reason in acknowledgements:
        assert rule_id.startswith("AwsSolutions-"), (path, rule_id)
        if rule_id.startswith("AwsSolutions-IAM5"):
            assert "[" in rule_id, f"{path}: IAM5 must be acknowledged per finding, not wholesale"
        assert len(reason) >= 60, f"{path} {rule_id}: the reason must be specific: {reason!r}"


def test_every_acknowledgement_answers_a_real_finding(app, unacknowledged):
    # An acknowledgement with no finding under it is dead weight that could hide a future one.
    findings = {(rule, path) for rule, _, path in unacknowledged}
    stale = [
        f"{path}: {rule_id}"
        for path, rule_id, _ in _acknowledgements(app)
        if not any(rule == rule_id and (p == path or p.startswith(f"{path}/")) for rule, p in findings)
    ]
    assert stale == [], "acknowledged, but cdk-nag reports nothing there"


@pytest.mark.parametrize(
    ("explicit", "env", "expected"),
    [
        (None, {}, True),
        (None, {"CRM_HYGIENE_SKIP_NAG": "1"}, False),
        (None, {"CRM_HYGIENE_SKIP_NAG": "0"}, True),
        (True, {"CRM_HYGIENE_SKIP_NAG": "1"}, True),
        (False, {}, False),
    ],
)
def test_the_synth_is_gated_on_cdk_nag_unless_skipped(explicit, env, expected):
    assert nag_enabled(explicit, env) is expected
