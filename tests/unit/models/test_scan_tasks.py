"""The scan workflow's task payloads: one discriminated union, and Plan's two output shapes."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from crm_hygiene.models.messages import (
    SCAN_TASK,
    FinalizeTask,
    Partition,
    PlanTask,
    ScanPartitionTask,
    ScanPlan,
)


def test_each_action_parses_into_its_own_task():
    plan = SCAN_TASK.validate_python({"action": "plan", "object_types": ["contact"], "run_id": "r"})
    assert isinstance(plan, PlanTask) and plan.object_types == ["contact"]
    default = SCAN_TASK.validate_python({"action": "plan"})
    assert isinstance(default, PlanTask) and default.object_types == ["contact", "company", "deal"]
    part = SCAN_TASK.validate_python({"action": "scan_partition", "run_id": "r", "object_type": "deal",
                                      "segment": 1, "total": 4, "cursor": None, "scanned": 0})  # fmt: skip
    assert isinstance(part, ScanPartitionTask)
    assert part.partition() == Partition(run_id="r", object_type="deal", segment=1, total=4)
    assert isinstance(SCAN_TASK.validate_python({"action": "finalize", "run_id": "r"}), FinalizeTask)


@pytest.mark.parametrize(
    "event",
    [
        {"action": "rescan", "run_id": "r"},  # no such action
        {"action": "finalize"},  # finalize needs its run
        {"action": "scan_partition", "run_id": "r"},  # a partition needs its object type
        {"action": "scan_partition", "run_id": "r", "object_type": "contact", "colour": "red"},
    ],
)
def test_malformed_tasks_are_refused(event):
    with pytest.raises(ValidationError):
        SCAN_TASK.validate_python(event)


def test_the_plan_carries_partitions_inline_or_only_the_manifest_key():
    parts = [Partition(run_id="r", object_type="contact", segment=s, total=2) for s in range(2)]
    inline = ScanPlan(run_id="r", partitions=parts).payload()
    # every key the map's item selector reads is there, cursor included
    assert inline == {"run_id": "r", "partitions": [p.model_dump(mode="json") for p in parts]}
    assert inline["partitions"][0]["cursor"] is None
    assert ScanPlan(run_id="r", manifest_key="k").payload() == {"run_id": "r", "manifest_key": "k"}
