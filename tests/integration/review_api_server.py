"""The review API on 127.0.0.1 over moto in-process, with a scanned sample CRM behind it.

The schemathesis test (test_review_api_schema.py) drives it; run it by hand to point the schemathesis CLI
at it (the command is in docs/review-api.md):

    .venv/bin/python -m tests.integration.review_api_server --port 8321
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from moto import mock_aws

from crm_hygiene.adapters.aws.crm_store import DynamoCrmStore
from crm_hygiene.csvio.records import read_records
from crm_hygiene.local.api_gateway import HttpFront, in_process
from crm_hygiene.local.sample import generate_sample
from crm_hygiene.models.messages import ApplyMessage
from crm_hygiene.settings import PipelineSettings
from crm_hygiene.wiring.aws import AwsDeps, clear_deps
from tests.events.factory import FakeContext, sqs_event
from tests.integration.conftest import create_resources, drain

CONTACTS = 40


def seed(deps: AwsDeps[PipelineSettings], env: dict[str, str], folder: Path, contacts: int = CONTACTS) -> str:
    """A sample CRM scanned once and its auto changes applied (so every status a route reads exists)."""
    from apply_handler import lambda_handler as apply_lambda
    from scan_handler import lambda_handler as scan_lambda

    generate_sample(folder, contacts=contacts, seed=4)
    assert isinstance(deps.crm, DynamoCrmStore)
    deps.crm.put_records(list(read_records(folder / "contacts.csv")))
    ctx = FakeContext()
    plan = scan_lambda({"action": "plan", "object_types": ["contact"]}, ctx, deps=deps)
    for part in plan["partitions"]:
        while not part.get("done"):
            part = scan_lambda({"action": "scan_partition", **part}, ctx, deps=deps)
    scan_lambda({"action": "finalize", "run_id": plan["run_id"]}, ctx, deps=deps)
    messages = [ApplyMessage.model_validate_json(b) for b in drain(env["APPLY_QUEUE_URL"])]
    apply_lambda(sqs_event(messages), ctx, deps=deps)
    return str(plan["run_id"])


@contextmanager
def review_api(deps: AwsDeps[PipelineSettings], port: int = 0) -> Iterator[HttpFront]:
    """The review API handler behind the local HTTP front (what ``crm-hygiene demo`` serves, minus Lambda)."""
    from review_api_handler import lambda_handler

    # jobs' workers are not run here: a job a request starts stays queued (its execution is recorded)
    front = HttpFront(in_process(partial(lambda_handler, jobs=deps.jobs())), port).start()
    try:
        yield front
    finally:
        front.stop()


@contextmanager
def seeded_api(port: int = 0) -> Iterator[tuple[HttpFront, str]]:
    """moto in-process, the pipeline's resources, a scanned sample, the API served: (front, run id)."""
    with (
        mock_aws(config={"stepfunctions": {"execute_state_machine": True}}),
        tempfile.TemporaryDirectory() as tmp,
    ):
        env = create_resources()
        saved = dict(os.environ)
        os.environ.update(env)
        clear_deps()
        try:
            deps = AwsDeps(PipelineSettings.model_validate(env))
            run_id = seed(deps, env, Path(tmp))
            with review_api(deps, port) as front:
                yield front, run_id
        finally:
            os.environ.clear()
            os.environ.update(saved)
            clear_deps()


def main() -> None:
    import sys

    import tests.conftest  # noqa: F401 - the fake credentials and region every test runs with

    root = Path(__file__).parents[2]  # as pytest's pythonpath: the handlers import their siblings by name
    sys.path[:0] = [str(root / "functions" / name) for name in ("scan", "apply", "review_api")]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8321)
    args = parser.parse_args()
    with seeded_api(args.port) as (front, run_id):
        print(f"review API on {front.url} (run {run_id}); Ctrl-C stops it", flush=True)  # noqa: T201
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
