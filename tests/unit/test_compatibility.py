"""Items and audit entries persisted by version 1 still parse (STYLE point 14).

tests/data/compat/persisted.v1.json was written by the DynamoDB adapters of the first release. A model
change that cannot read it breaks the queue and the audit trail of every deployed stack: add a
migration, or keep the field optional, instead of editing the fixture.
"""

from __future__ import annotations

import json
from pathlib import Path

from crm_hygiene.adapters.aws.audit_log import _from_item as audit_from_item
from crm_hygiene.adapters.aws.change_queue import from_item
from crm_hygiene.models.audit import verify_chain

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "compat" / "persisted.v1.json"


def test_version_1_queue_items_and_audit_entries_still_parse() -> None:
    data = json.loads(FIXTURE.read_text())
    items = [from_item(raw) for raw in data["change_queue_items"]]
    assert [i.status for i in items] == ["applied", "queued"]
    assert items[1].proposal is not None and items[1].proposal["members"] == ["100017", "100093"]
    assert items[1].task_token == "AAAA-token" and "task_token" not in items[1].view().model_dump()
    entries = [audit_from_item(raw) for raw in data["audit_entries"]]
    assert verify_chain(entries) == []  # the hash still covers exactly the same fields
