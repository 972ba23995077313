"""Done-when: a sample export with an activity log in which people changed employer, a list provider and
an HTTP provider on the local fake -> job changes as review items and relationship signals; review
outcomes fed back move provider quality; a dry run spends nothing."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from crm_hygiene.adapters.enrich_http import HttpProvider
from crm_hygiene.csvio import read_report
from crm_hygiene.enrich.config import HttpConfig, ProvidersConfig, load_providers
from crm_hygiene.enrich.feedback import apply_feedback, read_ledger, read_reviewed
from crm_hygiene.enrich.quality import JsonQualityStore
from crm_hygiene.local.sample import generate_sample
from crm_hygiene.local.sample_activity import generate_activity
from crm_hygiene.models.queue import QUEUE_COLUMNS
from crm_hygiene.services.enrich.export import enrich_export
from tests.fakes.enrichment_api import FakeEnrichmentApi

AS_OF = date(2026, 11, 23)


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export")
    generate_sample(out, contacts=1500, seed=21, as_of=AS_OF)
    generate_activity(out, seed=21, as_of=AS_OF)
    return out


@pytest.fixture(scope="module")
def api() -> Iterator[FakeEnrichmentApi]:
    with FakeEnrichmentApi(rate_limit=200) as fake:
        yield fake


def config_with_api(export: Path, api: FakeEnrichmentApi, max_calls: int = 40) -> ProvidersConfig:
    config = load_providers(export / "providers.yaml")
    people = HttpConfig(type="http", name="people_api", preset="person_by_email", url=f"{api.url}/v1/person",
                        rate_limit=200, cost_per_call=0.02, max_calls=max_calls, fields=("job_title",))  # fmt: skip
    return config.model_copy(update={"providers": [*config.providers, people]})


def run(export: Path, out: Path, api: FakeEnrichmentApi, state: Path, dry_run: bool = False) -> dict:  # type: ignore[type-arg]
    result = enrich_export(export / "contacts.csv", out, providers=config_with_api(export, api),
                           activity=export / "activity.csv", as_of=datetime(2026, 11, 23, tzinfo=UTC),
                           state=state, dry_run=dry_run, http=HttpProvider)  # fmt: skip
    return result.summary


def planted(export: Path) -> dict[str, dict]:  # type: ignore[type-arg]
    facts = [json.loads(line) for line in (export / "activity_truth.jsonl").read_text().splitlines()]
    return {f["record_id"]: f for f in facts if f["kind"] in ("job_change", "promotion")}


def rows_of(path: Path) -> list[dict[str, str]]:
    return read_report(path)


def test_job_changes_become_review_items_and_relationship_signals(export: Path, api: FakeEnrichmentApi,
                                                                  tmp_path: Path) -> None:  # fmt: skip
    summary = run(export, tmp_path / "out", api, tmp_path / "q.json")
    truth = planted(export)
    rows = rows_of(tmp_path / "out" / "queue.csv")
    moved = {r["record_id"] for r in rows if r["kind"] == "job_change"}
    hits = moved & set(truth)
    assert len(hits) / len(truth) >= 0.9, "recall of planted job changes"
    assert len(hits) / len(moved) >= 0.95, "precision of job changes"
    assert all(r["decision"] in ("review", "blocked") for r in rows if r["kind"] == "job_change")
    # a list that names yet another employer at the same time: the move is blocked, not signalled
    conflicting = {rid for rid, f in truth.items() if f.get("provider") == "conflicting"}
    blocked = {r["record_id"] for r in rows if r["kind"] == "job_change" and r["decision"] == "blocked"}
    assert conflicting and conflicting <= blocked
    signals = [json.loads(line) for line in (tmp_path / "out" / "signals.jsonl").read_text().splitlines()]
    moves = {s["person_id"]: s for s in signals if s.get("relation") == "job_change"}
    assert set(moves) == moved - blocked
    some = next(rid for rid in moves if truth.get(rid, {}).get("kind") == "job_change")
    assert moves[some]["to_company"] == truth[some]["to_company"] and moves[some]["source"]
    associations = [
        json.loads(line) for line in (tmp_path / "out" / "associations.jsonl").read_text().splitlines()
    ]
    mine = [a for a in associations if a["person_id"] == some]
    assert {a["status"] for a in mine} == {"former", "current"}
    assert next(a for a in mine if a["status"] == "former")["until"]
    # the paid provider stayed within its cap and its calls are in the figures
    assert summary["providers"]["people_api"]["calls"] <= 40 and api.stats.over_limit == 0


def test_review_outcomes_fed_back_move_provider_quality(
    export: Path, api: FakeEnrichmentApi, tmp_path: Path
) -> None:
    state = tmp_path / "q.json"
    out = tmp_path / "first"
    run(export, out, api, state)
    truth = planted(export)
    rows = rows_of(out / "queue.csv")
    before = JsonQualityStore(state).snapshot()
    # Given a reviewer who approves the real moves and rejects everything the list provider proposed alone
    for r in rows:
        if r["kind"] == "job_change":
            r["status"] = "approved" if r["record_id"] in truth else "rejected"
        elif "acme_list: " in r["evidence"] and "activity_log" not in r["evidence"]:
            r["status"] = "rejected"
    reviewed = tmp_path / "reviewed.csv"
    with reviewed.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=QUEUE_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    # When the outcomes are fed back
    store = JsonQualityStore(state)
    result = apply_feedback(read_reviewed(reviewed), read_ledger([out / "proposals.jsonl"]), store)
    assert result.counted > 50 and result.unmatched == 0
    after = JsonQualityStore(state).snapshot()
    # Then the activity log's company figures count approvals and its reliability rises
    approved = after[("activity_log", "company")].approved
    assert approved > (
        before[("activity_log", "company")].approved if ("activity_log", "company") in before else 0
    )
    assert approved >= 0.9 * len([r for r in rows if r["kind"] == "job_change" and r["field"] == "company"
                                  and r["record_id"] in truth and "activity_log" in r["evidence"]])  # fmt: skip
    # and the next run trusts the activity log more: the same moves come with a higher confidence
    second = tmp_path / "second"
    summary = run(export, second, api, state)
    quality = {(q["provider"], q["field"]): q for q in summary["provider_quality"]}
    assert quality[("activity_log", "company")]["reliability_mean"] > 0.85
    assert quality[("activity_log", "company")]["approved"] == approved
    first = {(r["record_id"], r["field"]): float(r["confidence"]) for r in rows if r["kind"] == "job_change"}
    again = {(r["record_id"], r["field"]): float(r["confidence"]) for r in rows_of(second / "queue.csv")
             if r["kind"] == "job_change"}  # fmt: skip
    raised = [k for k in first if k in again and again[k] > first[k]]
    assert len(raised) >= 0.8 * len([k for k in first if k in again and k[0] in truth])
    # rejected proposals are not raised again
    rejected = {(r["record_id"], r["field"]) for r in rows if r.get("status") == "rejected"}
    assert not rejected & set(again)


def test_a_dry_run_spends_nothing(export: Path, api: FakeEnrichmentApi, tmp_path: Path) -> None:
    sent = api.stats.requests
    summary = run(export, tmp_path / "plan", api, tmp_path / "q.json", dry_run=True)
    assert api.stats.requests == sent and not (tmp_path / "q.json").exists()
    plan = summary["plan"]["people_api"]
    assert 0 < plan["calls_at_most"] <= 40 and plan["cost_at_most"] == pytest.approx(
        plan["calls_at_most"] * 0.02
    )
    assert sorted(p.name for p in (tmp_path / "plan").iterdir()) == ["plan.json"]
