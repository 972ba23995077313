"""End-to-end tier: moto's server on 127.0.0.1 with the synthesized template deployed.

One stack for the e2e package, torn down when it is left, so AWS_ENDPOINT_URL and moto's state never
leak into later tests' mock_aws.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from aws_lambda_powertools.utilities.parameters import clear_caches

from crm_hygiene.local import demo
from crm_hygiene.wiring.aws import clear_deps


@pytest.fixture(scope="package")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[demo.DemoRun]:
    saved = dict(os.environ)
    folder: Path = tmp_path_factory.mktemp("demo")
    run = demo.start(contacts=150, seed=21, folder=folder)
    try:
        yield run
    finally:
        if run.api is not None:
            run.api.stop()
        run.stack.stop()
        os.environ.clear()
        os.environ.update(saved)
        # the functions ran in this process: their cached deps and powertools' clients point at the
        # stopped server
        clear_deps()
        clear_caches()  # type: ignore[no-untyped-call]
