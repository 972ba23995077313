"""The Distributed Map path on moto: Plan writes the partition manifest to the snapshot bucket, and the
items read back from it, selected as the map selects them, scan to the inline Map's totals.

moto does not run a Distributed Map's ItemReader, so the chain is driven here as the map would drive
it: read the manifest (what ``S3JsonItemReader`` reads), select each item, loop ``scan_partition``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from scan_handler import lambda_handler as scan_lambda

from crm_hygiene.adapters.aws.crm_store import DynamoCrmStore
from crm_hygiene.csvio.records import read_records
from crm_hygiene.local.sample import generate_sample
from crm_hygiene.wiring.aws import AwsDeps
from infra.components.scan_workflow import PARTITION_ITEM
from tests.events.factory import FakeContext

BUCKET = "snapshots"
# The scan's own figures (not the duplicate finder's, which depend on what earlier runs stored)
SCAN_FIGURES = ("records", "records_with_issues", "queue_volume", "routing_exceptions", "stale_records",
                "misowned_records", "changes_auto_applied", "changes_suppressed", "health")  # fmt: skip


@pytest.fixture
def seeded(deps: AwsDeps, tmp_path: Path) -> AwsDeps:
    boto3.client("stepfunctions").create_state_machine(
        name="merge", roleArn="arn:aws:iam::123456789012:role/merge",
        definition=json.dumps({"StartAt": "Wait", "States": {"Wait": {"Type": "Pass", "End": True}}}),
    )  # fmt: skip
    generate_sample(tmp_path, contacts=60, seed=4)
    assert isinstance(deps.crm, DynamoCrmStore)
    deps.crm.put_records(list(read_records(tmp_path / "contacts.csv")))
    return deps


def _select(item: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    """The Map's ItemSelector applied to one item (``$$.Map.Item.Value`` and ``$`` paths only)."""
    out: dict[str, Any] = {}
    for key, value in PARTITION_ITEM.items():
        if not key.endswith(".$"):
            out[key] = value
            continue
        path = str(value)
        source, rest = (
            (item, path.removeprefix("$$.Map.Item.Value."))
            if path.startswith("$$.")
            else (state, path.removeprefix("$."))
        )
        for part in rest.split("."):
            source = source[part]
        out[key.removesuffix(".$")] = source
    return out


def _scan_items(deps: AwsDeps, state: dict[str, Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    ctx = FakeContext()
    for item in items:
        part = _select(item, state)
        while not part.get("done"):
            part = scan_lambda({"action": "scan_partition", **part}, ctx, deps=deps)
    summary: dict[str, Any] = scan_lambda(
        {"action": "finalize", "run_id": state["plan"]["run_id"]}, ctx, deps=deps
    )
    return summary


def _totals(summary: dict[str, Any]) -> dict[str, Any]:
    figures = summary["objects"]["contact"]
    return {k: figures[k] for k in SCAN_FIGURES}


def test_plan_writes_the_manifest_and_its_items_scan_like_the_inline_map(
    aws: dict[str, str], seeded: AwsDeps
) -> None:
    # Given the inline Map's run (the default): the plan carries the partitions
    inline_plan = scan_lambda(
        {"action": "plan", "object_types": ["contact"], "run_id": "inline"}, FakeContext(), deps=seeded
    )
    assert set(inline_plan) == {"run_id", "partitions"}
    inline = _scan_items(seeded, {"plan": inline_plan}, inline_plan["partitions"])
    # When the scan function has a snapshot bucket (distributed_map on)
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    distributed = AwsDeps(seeded.settings.model_copy(update={"snapshot_bucket": BUCKET}))
    plan = scan_lambda(
        {"action": "plan", "object_types": ["contact"], "run_id": "dist"}, FakeContext(), deps=distributed
    )
    # Then Plan returns only the manifest's key, under the run, and the manifest is the JSON list of partitions
    assert (
        set(plan) == {"run_id", "manifest_key"}
        and plan["run_id"] == "dist"
        and "dist" in plan["manifest_key"]
    )
    body = boto3.client("s3").get_object(Bucket=BUCKET, Key=plan["manifest_key"])["Body"].read()
    items = json.loads(body)
    assert isinstance(items, list) and len(items) == len(inline_plan["partitions"]) > 1
    assert [(i["object_type"], i["segment"], i["total"]) for i in items] == [
        (p["object_type"], p["segment"], p["total"]) for p in inline_plan["partitions"]
    ]
    # And one child per item, selected as the Distributed Map selects it, gives the inline Map's totals
    assert _totals(_scan_items(distributed, {"plan": plan}, items)) == _totals(inline)
    assert _totals(inline)["records"] == 60
