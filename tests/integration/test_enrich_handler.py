"""Enrich queue -> enrich function on moto: derived proposals queued, auto ones sent to apply."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from enrich_handler import lambda_handler as enrich_lambda

from crm_hygiene.adapters.aws.crm_store import DynamoCrmStore
from crm_hygiene.csvio.records import read_records
from crm_hygiene.enrich.quality import FieldQuality
from crm_hygiene.local.sample import generate_sample
from crm_hygiene.models.messages import EnrichMessage
from crm_hygiene.models.record import Record
from crm_hygiene.services.enrich.pipeline import EnrichDeps, crm_directory
from crm_hygiene.wiring.aws import AwsDeps
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


def test_provider_quality_learns_from_lookups_and_review_outcomes_and_is_published(
    aws: dict[str, str], deps: AwsDeps, enrich_deps: EnrichDeps
) -> None:
    from review_api_handler import lambda_handler as review_lambda

    from crm_hygiene.services.scan.pipeline import finalize
    from tests.events.factory import api_event
    from tests.integration.conftest import subscribe

    quality_topic = subscribe(aws["TOPIC_PROVIDER_QUALITY_ARN"])
    enrich_deps.quality = deps.quality
    message = EnrichMessage(object_type="contact", record_id="100002", run_id="run-q",
                            wanted_fields=["company", "country"])  # fmt: skip
    # When a batch is enriched
    enrich_lambda(sqs_event([message], queue="enrich"), FakeContext(), deps=enrich_deps)
    counted = deps.quality.snapshot()
    assert counted and all(q.lookups >= q.filled for q in counted.values())
    assert sum(q.proposals for q in counted.values()) >= 1
    # And a reviewer rejects one of its queued proposals through the API
    items, _ = deps.queue.list(run_id="run-q", status="queued", limit=50)
    item = next(i for i in items if i.change_kind == "enrich")
    providers = [p.strip() for p in item.source.split(",")]
    event = api_event("POST", f"/reviews/{item.review_id}/decision", {"decision": "reject", "note": "wrong"})
    assert review_lambda(event, FakeContext(), deps=deps.review())["statusCode"] == 200
    # Then every provider that backed it counts one rejection for that field, once
    after = deps.quality.snapshot()
    assert all(after[(p, item.field)].rejected == counted.get((p, item.field), FieldQuality()).rejected + 1
               for p in providers)  # fmt: skip
    assert deps.quality.seen_feedback(item.review_id)
    # And the run's end publishes one quality signal per provider and field, with the rejection in it
    finalize(replace(deps.pipeline(), workflow=None), "run-q")
    bodies = [json.loads(b) for b in drain(quality_topic)]
    signal = next(b for b in bodies if b["provider"] == providers[0] and b["field"] == item.field)
    assert signal["schema"] == "data_provider_quality_signal" and signal["rejected"] >= 1
    assert signal["reliability_mean"] < 1.0
