"""The review queue's query model and the use cases built on it, over in-memory ports: labels and
search text, a decision by filter as a job (resolved before deciding), and an item's CRM side."""

from __future__ import annotations

from collections import Counter

import pytest

from crm_hygiene.errors import InvalidRequest
from crm_hygiene.memory import InMemoryCrmStore, InMemoryJobStore, ListWorkQueue
from crm_hygiene.models.jobs import FilterSelection
from crm_hygiene.models.merge import FieldWinner, MergeProposal
from crm_hygiene.models.review import Approve, Reject
from crm_hygiene.models.review_query import ReviewFilter, label_of, proposal_label, search_key, search_text
from crm_hygiene.services.review import jobs
from crm_hygiene.services.review.detail import item_context
from crm_hygiene.services.review.jobs import JobDeps
from crm_hygiene.types import REVIEW_SORTS
from tests.fakes.applied import changes_for
from tests.unit.services.test_jobs import RUN, _all_results, _records, _run_to_end, deps  # noqa: F401


@pytest.mark.parametrize(
    ("fields", "label"),
    [
        ({"first_name": "Ana", "last_name": "Pérez", "email": "ana@acme.com", "company": "Acme"},
         "Ana Pérez <ana@acme.com>, Acme"),
        ({"first_name": " ", "last_name": "Ng", "email": ""}, "Ng"),
        ({"name": "Globex Corp", "domain": "globex.com"}, "Globex Corp"),
        ({"email": "x@y.io"}, "<x@y.io>"),
        ({"company": "Initech"}, "Initech"),
        ({}, ""),
    ],
)  # fmt: skip
def test_a_label_says_who_the_record_is(fields: dict[str, str], label: str) -> None:
    assert label_of(fields) == label


def test_search_text_ignores_case_accents_and_spacing() -> None:
    assert search_text("  CHLOÉ   Müller\tßtraße ") == "chloe muller sstrasse"
    assert ReviewFilter(q="  Ana   ACME ana ").terms == ("ana", "acme")
    assert ReviewFilter(q=" ".join(f"t{i}" for i in range(20))).terms == tuple(f"t{i}" for i in range(8))


def test_a_merge_label_holds_the_winners_and_every_other_members_values() -> None:
    proposal = MergeProposal(
        object_type="contact", members=("1", "2"), match_probability=0.9, suggested_primary="1",
        field_winners={
            "first_name": FieldWinner(value="Ana", rule="primary", source_record="1"),
            "email": FieldWinner(value="ana@acme.com", rule="primary", source_record="1",
                                 alternatives=("a.perez@acme.com",)),
            "owner": FieldWinner(value="o-1", rule="primary", source_record="1", alternatives=("o-2",)),
        },
    )  # fmt: skip
    assert proposal_label(proposal) == "Ana <ana@acme.com> (also: a.perez@acme.com)"


def test_review_sorts_have_meanings() -> None:
    assert list(REVIEW_SORTS) == ["newest", "oldest", "confidence", "confidence_asc", "priority"]
    assert all(REVIEW_SORTS.values())


def _queued(job_deps: JobDeps, count: int) -> list[str]:
    records = _records(count)
    assert isinstance(job_deps.review.crm, InMemoryCrmStore)
    job_deps.review.crm.add(records)
    items = [
        i.model_copy(
            update={"status": "queued", "decision": "review", "label": f"Person {n} <p{n}@acme.com>"}
        )
        for n, i in enumerate(changes_for(records, count, RUN))
    ]
    job_deps.review.queue.put_new(items)
    return [i.review_id for i in items]


def test_a_decision_by_filter_decides_every_matching_item_once(deps: JobDeps) -> None:  # noqa: F811
    # Given 35 queued items, and 5 already applied ones the filter also matches but no decision applies to
    ids = _queued(deps, 35)
    applied = [i.model_copy(update={"review_id": f"done-{n}", "status": "applied"})
               for n, i in enumerate(deps.review.queue.list(limit=5)[0])]  # fmt: skip
    deps.review.queue.put_new(applied)
    selection = FilterSelection(filter=ReviewFilter(q="acme"), decision=Approve(decision="approve"))
    # When the reviewer approves everything matching "acme" (chunks of 10: deciding moves items out of
    # the filter while the job runs)
    job, started = jobs.start_filter_decisions(deps, selection, "ana")
    assert started and job.kind == "filter_decisions" and job.selection == selection and not job.planned
    assert jobs.start_filter_decisions(deps, selection, "ana")[0].job_id == job.job_id
    job = _run_to_end(deps, job)
    # Then all 35 were approved once (one apply message each), the applied ones left alone
    assert (job.status, job.total, job.done, job.errors) == ("succeeded", 35, 35, 0)
    assert Counter(deps.review.queue.get(i).status for i in ids) == Counter({"approved": 35})
    apply_queue = deps.review.apply_queue
    assert isinstance(apply_queue, ListWorkQueue)
    assert Counter(m.review_id for m in apply_queue.messages) == Counter(dict.fromkeys(ids, 1))  # type: ignore[attr-defined]
    assert {deps.review.queue.get(i.review_id).status for i in applied} == {"applied"}
    assert all(
        e.reviewer == "ana" for i in ids for e in deps.review.audit.by_change(i) if e.action == "approved"
    )


def test_a_decision_by_filter_leaves_items_no_decision_applies_to(deps: JobDeps) -> None:  # noqa: F811
    ids = _queued(deps, 3)
    deps.review.queue.transition(deps.review.queue.get(ids[0]), "rejected", reviewer="bob")
    selection = FilterSelection(
        filter=ReviewFilter(q="person"), decision=Reject(decision="reject", note="no")
    )
    job = _run_to_end(deps, jobs.start_filter_decisions(deps, selection, "ana")[0])
    assert (job.total, job.done, job.errors) == (2, 2, 0)  # the rejected one is not awaiting a decision
    assert deps.review.queue.get(ids[0]).reviewer == "bob"
    assert [r.review_id for r in _all_results(deps, job.job_id)] == ids[1:]


def test_a_decision_by_filter_is_refused_for_undecidable_statuses_and_too_many_items(
    deps: JobDeps,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _queued(deps, 6)
    with pytest.raises(InvalidRequest, match="not awaiting a decision"):
        jobs.start_filter_decisions(
            deps,
            FilterSelection(filter=ReviewFilter(status="applied"), decision=Approve(decision="approve")),
            "a",
        )
    monkeypatch.setattr(jobs, "BULK_LIMIT", 5)
    with pytest.raises(InvalidRequest, match="matches 6 items"):
        jobs.start_filter_decisions(deps, FilterSelection(decision=Approve(decision="approve")), "a")
    assert isinstance(deps.jobs, InMemoryJobStore) and not deps.jobs.jobs


def test_an_item_shows_its_record_now(deps: JobDeps) -> None:  # noqa: F811
    [review_id] = _queued(deps, 1)
    item = deps.review.queue.get(review_id)
    context = item_context(deps.review, item)
    assert context.record is not None and context.record["company"] == "Co 0"
    assert context.members is None and context.winners is None
    with pytest.raises(InvalidRequest):
        item_context(deps.review, item, primary_id="100000")
    gone = item.model_copy(update={"record_id": "999"})
    assert item_context(deps.review, gone).record is None


def test_the_search_key_covers_label_ids_and_members() -> None:
    records = _records(1)
    [item] = changes_for(records, 1, RUN)
    key = search_key(item.model_copy(update={"label": "Zoë <Z@X.io>"}))
    assert all(part in key for part in ("zoe", "z@x.io", item.record_id, item.review_id.lower()))
