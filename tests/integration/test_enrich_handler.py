"""Enrich queue -> enrich function on moto: derived proposals queued, auto ones sent to apply."""

from __future__ import annotations

from pathlib import Path

import pytest
from enrich_handler import lambda_handler as enrich_lambda

from crm_hygiene.adapters.aws.crm_store import DynamoCrmStore
from crm_hygiene.adapters.aws.factory import AwsDeps
from crm_hygiene.adapters.crm.csv_export import read_records
from crm_hygiene.local.sample import generate_sample
from crm_hygiene.models.messages import EnrichMessage
from crm_hygiene.models.record import Record
from crm_hygiene.services.enrich_pipeline import EnrichDeps, crm_directory
from tests.events.factory import FakeContext, sqs_event
from tests.integration.conftest import drain


@pytest.fixture
def enrich_deps(deps: AwsDeps, tmp_path: Path) -> EnrichDeps:
    generate_sample(tmp_path, contacts=80, seed=12)
    assert isinstance(deps.crm, DynamoCrmStore)
    for name in ("companies", "contacts"):
        deps.crm.put_records(list(read_records(tmp_path / f"{name}.csv")))
    # a contact missing its company and country that the CRM's own data can fill
    [contact] = deps.crm.get_records("contact", ["100002"])
    blank = {**contact.fields, "company": "", "country": "", "website": ""}
    deps.crm.put_records([Record(object_type="contact", record_id="100002", fields=blank)])
    standard, valid = deps.standard
    return EnrichDeps(crm=deps.crm, queue=deps.queue, apply_queue=deps.apply_queue, signals=deps.signals,
                      standard=standard, standard_valid=valid, directory=crm_directory(deps.crm))  # fmt: skip


def test_enrich_queue_message_becomes_attributed_proposals(aws: dict[str, str], deps: AwsDeps,
                                                          enrich_deps: EnrichDeps) -> None:  # fmt: skip
    message = EnrichMessage(object_type="contact", record_id="100002", run_id="run-1",
                            wanted_fields=["company", "country"])  # fmt: skip
    result = enrich_lambda(sqs_event([message], queue="enrich"), FakeContext(), deps=enrich_deps)
    assert result == {"batchItemFailures": []}
    items, _ = deps.queue.list(run_id="run-1", limit=50)
    by_field = {i.field: i for i in items if i.record_id == "100002"}
    assert {"country"} <= set(by_field)  # from the phone's country code, at the very least
    assert all(i.change_kind == "enrich" and i.source for i in by_field.values())
    assert all(not (i.protected and i.status == "auto_applied") for i in items)
    # and a second delivery of the same message queues nothing new
    enrich_lambda(sqs_event([message], queue="enrich"), FakeContext(), deps=enrich_deps)
    again, _ = deps.queue.list(run_id="run-1", limit=50)
    assert len(again) == len(items)
    auto = [i for i in items if i.status == "auto_applied"]
    assert len(drain(aws["APPLY_QUEUE_URL"])) == len(auto)
