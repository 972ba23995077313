"""End-to-end tier: moto's server on 127.0.0.1 with the synthesized template deployed.

One stack for the e2e package, torn down when it is left, so AWS_ENDPOINT_URL and moto's state never
leak into later tests' mock_aws.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from crm_hygiene.local import demo


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
