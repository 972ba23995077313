"""The review API as a real queue (issue 11, deliverable 2), through the handler on moto: a scanned
sample CRM's queue read with filters, search and sorts (every page full until the last), counts, an
item with the record's current values and a merge's members and winners, and one decision for
everything a filter matches, run as a job."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from jobs_handler import lambda_handler as jobs_lambda
from review_api_handler import lambda_handler as review_lambda

from crm_hygiene.adapters.aws.crm_store import DynamoCrmStore
from crm_hygiene.models.merge import FieldWinner, MergeProposal
from crm_hygiene.models.messages import MergeTask
from crm_hygiene.models.record import Record
from crm_hygiene.models.review_query import search_text
from crm_hygiene.services.merge.core import merge_item
from crm_hygiene.services.review.jobs import JobDeps
from crm_hygiene.wiring.aws import AwsDeps
from tests.events.factory import FakeContext, api_event
from tests.integration.review_api_server import seed


@pytest.fixture
def run_id(aws: dict[str, str], deps: AwsDeps, tmp_path: Path) -> str:
    return seed(deps, aws, tmp_path, contacts=60)


def call(jobs: JobDeps, method: str, path: str, body: object = None, **query: Any) -> tuple[int, Any]:
    event = api_event(method, path, body, query={k: str(v) for k, v in query.items()} or None)
    response = review_lambda(event, FakeContext(), jobs=jobs)
    return response["statusCode"], json.loads(response["body"]) if response["body"] else None


def pages(jobs: JobDeps, **query: Any) -> list[list[dict[str, Any]]]:
    out, cursor = [], None
    while True:
        status, body = call(jobs, "GET", "/reviews", **query, **({"cursor": cursor} if cursor else {}))
        assert status == 200, body
        out.append(body["items"])
        if not (cursor := body["next_cursor"]):
            return out


def test_every_page_of_a_filtered_search_is_full_until_the_last(deps: AwsDeps, run_id: str) -> None:
    jobs = deps.jobs()
    # Given the queue of a scanned sample; its items carry the record's name, e-mail and company
    everything = [i for p in pages(jobs, limit=500) for i in p]
    labelled = [i for i in everything if i["label"] and i["status"] == "queued"]
    assert len(everything) > 10 and labelled
    # When a reviewer pages through queued items, 3 a page, in each order
    for sort in ("newest", "oldest", "confidence", "confidence_asc", "priority"):
        read = pages(jobs, status="queued", sort=sort, limit=3)
        # Then every page but the last is full, and nothing is repeated or left out
        assert len(read) > 2 and all(len(p) == 3 for p in read[:-1]) and read[-1]
        ids = [i["review_id"] for p in read for i in p]
        assert sorted(ids) == sorted(i["review_id"] for i in everything if i["status"] == "queued")
    # And a search by a person's name (any case, no accents) finds exactly their items
    name = labelled[0]["label"].split("<")[0].strip().split()[-1]
    found = [i for p in pages(jobs, q=name.upper(), limit=3) for i in p]
    expected = {
        i["review_id"]
        for i in everything
        if search_text(name) in search_text(f"{i['label']} {i['record_id']}")
    }
    assert found and {i["review_id"] for i in found} >= expected
    assert all(len(p) == 3 for p in pages(jobs, q=name, limit=3)[:-1])


def test_counts_and_lists_agree_under_every_filter(deps: AwsDeps, run_id: str) -> None:
    jobs = deps.jobs()
    status, all_counts = call(jobs, "GET", "/reviews/counts")
    assert status == 200 and all_counts["total"] == sum(all_counts["by_status"].values()) > 0
    queued = call(jobs, "GET", "/reviews/counts", status="queued")[1]
    assert queued["by_status"] == {"queued": queued["total"]} and queued["total"] > 2
    kind = max(queued["by_kind"], key=queued["by_kind"].get)
    status, counts = call(jobs, "GET", "/reviews/counts", kind=kind, status="queued")
    listed = [i for p in pages(jobs, kind=kind, status="queued", limit=7) for i in p]
    assert status == 200 and counts["total"] == len(listed) > 0 and counts["by_kind"] == {kind: len(listed)}
    assert counts["by_field"] == {
        f: sum(1 for i in listed if i["field"] == f) for f in {i["field"] for i in listed}
    }


def test_a_cursor_the_api_did_not_issue_is_a_400(deps: AwsDeps, run_id: str) -> None:
    jobs = deps.jobs()
    status, body = call(jobs, "GET", "/reviews", status="queued", limit=2)
    assert status == 200 and body["next_cursor"]
    for query in ({"cursor": "bm90LW91cnM"}, {"cursor": body["next_cursor"], "status": "blocked"},
                  {"cursor": body["next_cursor"], "status": "queued", "sort": "oldest"}):  # fmt: skip
        status, error = call(jobs, "GET", "/reviews", **query)
        assert status == 400 and error["code"] == "invalid_request", query


ANA = {"first_name": "Ana", "last_name": "Pérez", "email": "ana@acme.com", "company": "Acme",
       "owner": "o-1", "lifecycle_stage": "lead", "last_activity_at": "2026-10-01T00:00:00Z"}  # fmt: skip
ANA2 = {"first_name": "Ana", "last_name": "Perez", "email": "a.perez@acme.com", "company": "Acme Inc",
        "owner": "o-2", "lifecycle_stage": "customer", "last_activity_at": "2026-11-01T00:00:00Z"}  # fmt: skip


def _contact(record_id: str, fields: dict[str, str]) -> Record:
    return Record(object_type="contact", record_id=record_id, source="internal",
                  fields={"record_id": record_id, **fields})  # fmt: skip


def test_an_item_shows_the_record_now_and_a_merge_its_members_and_winners(deps: AwsDeps) -> None:
    jobs = deps.jobs()
    assert isinstance(deps.crm, DynamoCrmStore)
    deps.crm.put_records([_contact("m1", ANA), _contact("m2", ANA2)])
    proposal = MergeProposal(
        object_type="contact", members=("m1", "m2"), match_probability=0.93, suggested_primary="m1",
        field_winners={
            "email": FieldWinner(value="ana@acme.com", rule="primary", source_record="m1",
                                 alternatives=("a.perez@acme.com",)),
            "company": FieldWinner(value="Acme Inc", rule="most_complete", source_record="m2"),
        },
    )  # fmt: skip
    item = merge_item(MergeTask(review_id="merge-ana", run_id="run-m", proposal=proposal), "queued")
    deps.queue.put_new([item])
    # When the merge is opened
    status, detail = call(jobs, "GET", "/reviews/merge-ana")
    # Then both members' current values are side by side, and each winner says where it comes from and why
    assert status == 200 and detail["primary_id"] == "m1"
    assert [(m["record_id"], m["primary"], m["values"]["email"]) for m in detail["members"]] == [
        ("m1", True, "ana@acme.com"), ("m2", False, "a.perez@acme.com")]  # fmt: skip
    assert detail["record"]["email"] == "ana@acme.com"
    winners = {w["field"]: w for w in detail["winners"]}
    assert winners["company"]["record_id"] == "m2" and "longest value" in winners["company"]["why"]
    assert "primary" in winners["email"]["why"] and "a.perez@acme.com" in winners["email"]["why"]
    # and the queue finds the merge by either member's e-mail
    assert [i["review_id"] for i in pages(jobs, q="A.PEREZ@acme")[0]] == ["merge-ana"]
    # When the reviewer previews the other member as primary: survivorship runs again around it
    status, other = call(jobs, "GET", "/reviews/merge-ana", primary_id="m2")
    assert status == 200 and other["primary_id"] == "m2"
    owner = {w["field"]: w for w in other["winners"]}["owner"]
    assert (owner["value"], owner["record_id"]) == ("o-2", "m2")
    # and a record that is not a member is refused
    assert call(jobs, "GET", "/reviews/merge-ana", primary_id="m9")[0] == 400


def _run_worker(jobs: JobDeps, env: dict[str, str]) -> None:
    sfn = boto3.client("stepfunctions")
    for execution in sfn.list_executions(stateMachineArn=env["JOBS_WORKFLOW_ARN"])["executions"]:
        step = {
            "action": "run",
            **json.loads(sfn.describe_execution(executionArn=execution["executionArn"])["input"]),
        }
        while not (result := jobs_lambda(step, FakeContext(), deps=jobs))["done"]:
            step = {"action": "run", "job_id": result["job_id"], "attempt": result["attempt"]}


def test_one_decision_for_everything_a_filter_matches_runs_as_a_job(
    aws: dict[str, str], deps: AwsDeps, run_id: str
) -> None:
    jobs = deps.jobs()
    # Given the queued items of one kind
    _, counts = call(jobs, "GET", "/reviews/counts", status="queued")
    kind = max(counts["by_kind"], key=counts["by_kind"].get)
    matching = [i for p in pages(jobs, status="queued", kind=kind, limit=500) for i in p]
    assert len(matching) == counts["by_kind"][kind] > 1
    # When a reviewer rejects everything that filter matches
    request = {
        "filter": {"status": "queued", "kind": kind},
        "decision": {"decision": "reject", "note": "noise"},
    }
    status, job = call(jobs, "POST", "/reviews/decisions/by-filter", request)
    assert status == 202 and job["kind"] == "filter_decisions" and job["status"] == "queued"
    assert call(jobs, "POST", "/reviews/decisions/by-filter", request)[1]["job_id"] == job["job_id"]
    _run_worker(jobs, aws)
    # Then the job decided each item, and each decision is audited like a single one
    _, done = call(jobs, "GET", f"/jobs/{job['job_id']}")
    assert (done["status"], done["total"], done["done"]) == ("succeeded", len(matching), len(matching))
    for item in matching:
        assert deps.queue.get(item["review_id"]).status == "rejected"
        assert [e.action for e in deps.audit.by_change(item["review_id"])][-1] == "rejected"
    assert call(jobs, "GET", "/reviews/counts", status="queued", kind=kind)[1]["total"] == 0
    # And a filter on a status no decision applies to is refused, as the document says
    refused = {"filter": {"status": "applied"}, "decision": {"decision": "approve"}}
    status, error = call(jobs, "POST", "/reviews/decisions/by-filter", refused)
    assert status == 422 and error["code"] == "validation_error"
    assert error["details"][0]["location"] == ["body", "filter", "status"]


def test_invalid_edits_by_filter_are_per_item_errors_in_the_job_results(
    aws: dict[str, str], deps: AwsDeps, run_id: str
) -> None:
    jobs = deps.jobs()
    # Given queued items about the phone field, and an edit no phone passes
    matching = [i for p in pages(jobs, status="queued", field="phone", limit=500) for i in p]
    assert matching
    request = {"filter": {"status": "queued", "field": "phone"},
               "decision": {"decision": "edit_and_approve", "value": "not a phone"}}  # fmt: skip
    status, job = call(jobs, "POST", "/reviews/decisions/by-filter", request)
    assert status == 202
    _run_worker(jobs, aws)
    # Then every item is an error in the results, and none changed
    _, done = call(jobs, "GET", f"/jobs/{job['job_id']}")
    _, results = call(jobs, "GET", f"/jobs/{job['job_id']}/results")
    assert done["errors"] == len(matching) and done["status"] == "partly_failed"
    assert {r["reason"] for r in results["results"]} == {"invalid"}
    assert {deps.queue.get(i["review_id"]).status for i in matching} == {"queued"}
