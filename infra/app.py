"""The CDK app: ``python -m infra.app`` (what ``cdk.json`` runs) synthesizes into ``cdk.out``.

Works without the ``cdk`` CLI and without network. Context comes from ``cdk.json`` (lowest
priority), then the CLI's ``-c key=value`` or ``CDK_CONTEXT_JSON``. cdk-nag's AwsSolutions pack
gates the synth; ``CRM_HYGIENE_SKIP_NAG=1`` skips it (the local demo does, for speed: the infra
tests run the same checks). ``CRM_HYGIENE_LAYER=source`` uses the source-only layer even when
``make build-layer`` has built the full one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from infra.config import config_from_context
from infra.layer import ROOT, layer_dir
from infra.stack import CrmHygieneStack

CDK_JSON = ROOT / "cdk.json"
SKIP_NAG_ENV = "CRM_HYGIENE_SKIP_NAG"
# "source" forces the source-only layer even when .build/layer exists: the local stack runs handlers
# in-process against the venv, so shipping 90 MB of arm64 wheels into moto would only cost time.
LAYER_ENV = "CRM_HYGIENE_LAYER"


def cdk_json_context(path: Path = CDK_JSON) -> dict[str, Any]:
    """The ``context`` block of ``cdk.json``: the CLI passes it, ``python -m infra.app`` must read it."""
    if not path.is_file():
        return {}
    context = json.loads(path.read_text()).get("context", {})
    return dict(context)


def build_app(
    overrides: Mapping[str, Any] | None = None,
    *,
    outdir: str | None = None,
    nag: bool | None = None,
    prefer_full_layer: bool | None = None,
) -> tuple[cdk.App, CrmHygieneStack]:
    """Builds the app and its one stack, ready to ``synth()``.

    Args:
        overrides: context values that win over everything (tests use them).
        outdir: the cloud assembly folder; default ``$CDK_OUTDIR`` or ``cdk.out``.
        nag: gate the synth on cdk-nag; default: yes unless ``CRM_HYGIENE_SKIP_NAG=1``.
        prefer_full_layer: use ``.build/layer`` when it exists (False: the source-only layer);
            default: yes unless ``CRM_HYGIENE_LAYER=source``.
    """
    app = cdk.App(
        context=cdk_json_context(),
        post_cli_context=dict(overrides or {}),
        outdir=outdir or os.environ.get("CDK_OUTDIR") or str(ROOT / "cdk.out"),
    )
    config = config_from_context(app.node)
    stack = CrmHygieneStack(
        app,
        config.names.stack,
        config=config,
        layer_dir=layer_dir(prefer_full=_prefer_full_layer(prefer_full_layer, os.environ)),
        env=cdk.Environment(
            account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION")
        ),
    )
    cdk.Tags.of(stack).add("project", "crm-hygiene")
    cdk.Tags.of(stack).add("stage", config.stage)
    if nag_enabled(nag, os.environ):
        cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app, stack


def _prefer_full_layer(explicit: bool | None, environ: Mapping[str, str]) -> bool:
    return explicit if explicit is not None else environ.get(LAYER_ENV, "auto") != "source"


def nag_enabled(explicit: bool | None, environ: Mapping[str, str]) -> bool:
    """An explicit choice wins; otherwise nag runs unless ``CRM_HYGIENE_SKIP_NAG=1``."""
    return explicit if explicit is not None else environ.get(SKIP_NAG_ENV) != "1"


def main() -> None:
    app, _ = build_app()
    app.synth()


if __name__ == "__main__":
    main()
