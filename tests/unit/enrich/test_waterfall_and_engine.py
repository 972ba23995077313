"""The waterfall (order, stop rule, budget, dry run) and the engine (fills, trust, job changes, signals)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crm_hygiene.enrich.config import Budget, Prior, ProvidersConfig, Waterfall
from crm_hygiene.enrich.directory import CrmDirectory
from crm_hygiene.enrich.engine import Limits
from crm_hygiene.enrich.quality import FieldQuality, InMemoryQualityStore
from crm_hygiene.memory import InMemoryDecisionMemory
from crm_hygiene.standard.loader import default_standard
from crm_hygiene.standard.model import DataStandard, FieldRule
from tests.unit.enrich.helpers import StubProvider, company, contact, enricher


def remote(name: str, cost: float, **kw: object) -> StubProvider:
    return StubProvider(name, kind="http", remote=True, cost_per_call=cost, **kw)  # type: ignore[arg-type]


def config(stop_at: float = 0.8, **budget: object) -> ProvidersConfig:
    return ProvidersConfig(waterfall=Waterfall(stop_at=stop_at, budget=Budget.model_validate(budget)))


def test_remote_providers_run_by_value_for_money_and_stop_once_filled() -> None:
    # Given two paid providers, the cheaper one good enough to fill the title
    cheap = remote("cheap", 0.01, values={"job_title": "CFO"}, match_quality=0.97)
    dear = remote("dear", 0.10, values={"job_title": "CFO"})
    e = enricher([dear, cheap], config=config(stop_at=0.7))
    # When a contact without a title is enriched
    (result,) = e.enrich([contact(email="a@acme.com")])
    # Then only the cheap one is called, and its value is proposed with its name as the source
    assert len(cheap.calls) == 1 and dear.calls == []
    (row,) = [r for r in result.rows if r.field == "job_title"]
    assert row.suggested_value == "CFO" and row.evidence.startswith("cheap: exact email")
    assert e.waterfall.runs["cheap"].cost == pytest.approx(0.01)


def test_learned_quality_reorders_the_waterfall() -> None:
    store = InMemoryQualityStore()
    store.add({("cheap", "job_title"): FieldQuality(lookups=50, filled=50, approved=2, rejected=40)})
    cheap = remote("cheap", 0.01, values={"job_title": "CEO"})
    dear = remote("dear", 0.02, values={"job_title": "CFO"})
    e = enricher([cheap, dear], config=config(stop_at=0.5), store=store)
    e.enrich([contact(email="a@acme.com")])
    assert dear.calls and not cheap.calls  # 0.11 reliability per 0.01 loses to 0.75 per 0.02


def test_a_field_below_the_stop_confidence_asks_the_next_provider_and_agreement_adds_up() -> None:
    first = remote("first", 0.01, values={"job_title": "CFO"}, match_quality=0.6)
    second = remote("second", 0.02, values={"job_title": "Chief Financial Officer"}, match_quality=0.6)
    e = enricher([first, second], config=config(stop_at=0.8))
    (result,) = e.enrich([contact(email="a@acme.com")])
    assert first.calls and second.calls
    (row,) = result.rows
    assert (
        row.confidence == pytest.approx(1 - (1 - 0.45) ** 2, abs=0.01) and "2 sources agree" in row.evidence
    )


def test_budget_limits_calls_and_money() -> None:
    paid = remote("paid", 0.5, values={"job_title": "CFO"})
    e = enricher([paid], config=config(max_calls=3, max_cost=1.0))
    e.enrich([contact(str(i), email=f"p{i}@acme.com") for i in range(5)])
    run = e.waterfall.runs["paid"]
    assert len(paid.calls) == 2 and run.calls == 2 and run.skipped_budget == 3 and run.cost == 1.0
    capped = remote("capped", 0.0, values={"job_title": "CFO"})
    e = enricher([capped], limits=Limits(max_calls={"capped": 1}))
    e.enrich([contact(str(i), email=f"p{i}@acme.com") for i in range(3)])
    assert len(capped.calls) == 1


def test_dry_run_calls_no_remote_provider_and_plans_calls_and_cost() -> None:
    paid = remote("paid", 0.2, values={"job_title": "CFO"})
    other = remote("other", 0.1, values={"job_title": "CFO", "company": "Acme"})
    local = StubProvider("list", values={"company": "Acme"})
    paid.cache.add("3")  # one record would be answered from the cache
    e = enricher([paid, other, local], config=config(max_calls=7))
    e.plan([contact(str(i), email=f"p{i}@acme.com") for i in range(5)])
    assert paid.calls == [] and other.calls == [] and len(local.calls) == 5
    runs = e.waterfall.runs
    assert runs["other"].calls == 5 and runs["paid"].cache_hits == 1 and runs["paid"].calls == 2
    assert runs["paid"].skipped_budget == 2
    assert 0 < runs["paid"].expected_calls < runs["paid"].calls
    assert e.finish(dry_run=True) == []


def test_faults_are_counted_and_nothing_is_used() -> None:
    broken = remote("broken", 0.1, values={"job_title": "CFO"}, fault="wrong_person")
    e = enricher([broken])
    (result,) = e.enrich([contact(email="a@acme.com")])
    assert result.rows == [] and e.waterfall.runs["broken"].faults == {"wrong_person": 1}
    assert e.tally.counts[("broken", "job_title")].fault_kinds == {"wrong_person": 1}


def test_a_provider_bug_does_not_stop_the_run() -> None:
    def crash(record: object, wanted: object) -> list:  # type: ignore[type-arg]
        raise KeyError("bug")

    e = enricher([StubProvider("buggy", answer=crash)])
    assert e.enrich([contact(email="a@acme.com")])[0].rows == []
    assert e.waterfall.runs["buggy"].faults == {"error": 1}


def test_empty_fields_are_filled_and_a_persons_value_is_never_overwritten_by_default() -> None:
    provider = StubProvider("list", values={"job_title": "CFO", "company": "Acme", "country": "US"})
    e = enricher([provider])
    (result,) = e.enrich([contact(email="a@acme.com", country="DE", company="Acme Inc.")])
    assert [(r.field, r.suggested_value, r.kind, r.decision) for r in result.rows] == [
        ("job_title", "CFO", "enrich", "review")
    ]
    (asked,) = [wanted for _, wanted in provider.calls]
    assert "country" not in asked  # a filled field the standard does not let enrichment overwrite
    assert e.stats.confirmed == 1  # the company it gave is the CRM's (a job field is always compared)


def overwritable(*names: str) -> DataStandard:
    std = default_standard()
    contact_std = std.objects["contact"]
    rules = {**contact_std.fields, **{n: FieldRule(format="text", overwrite=True) for n in names}}
    updated = contact_std.model_copy(update={"fields": rules})
    return std.model_copy(update={"objects": {**std.objects, "contact": updated}})


def test_overwrite_needs_the_standards_permission_and_a_more_trusted_source() -> None:
    std = overwritable("city")
    newer = datetime(2026, 11, 1, tzinfo=UTC)
    record = contact(email="a@acme.com", city="Boston", updated_at="2026-01-01 10:00")
    # a provider ranked like the CRM value, observed after the record last changed: may replace it
    trusted = StubProvider(
        "list", values={"city": "Austin"}, priority=100, fetched_at=newer, match_quality=0.99
    )
    cfg = ProvidersConfig(trust={"existing_source": "import"})
    (result,) = enricher([trusted], standard=std, config=cfg).enrich([record])
    (row,) = result.rows
    assert row.suggested_value == "Austin" and "replaces the CRM value" in row.evidence
    # the same value from a source below a person's rank: not even proposed
    lower = StubProvider("list", values={"city": "Austin"}, priority=50, fetched_at=newer, match_quality=0.99)
    (result,) = enricher([lower], standard=std).enrich([record])
    assert result.rows == [] and enricher([lower], standard=std).enrich([record])[0].auto == []


def test_a_job_change_is_reviewed_signalled_and_keeps_the_former_association() -> None:
    d = CrmDirectory()
    d.add(company("500", name="Acme Inc.", domain="acme.com"))
    d.add(company("600", name="Globex", domain="globex.io"))
    seen = datetime(2026, 10, 2, tzinfo=UTC)
    log = StubProvider("activity_log", kind="activity", priority=60, fetched_at=seen, match_quality=0.99,
                       values={"company": "Globex", "job_title": "CRO", "email": "jane.doe@globex.io"})  # fmt: skip
    e = enricher([log], directory=d, standard=overwritable("company", "job_title", "email"))
    e.priors["activity_log"] = Prior(mean=0.999, strength=1000)  # even a near-certain move is reviewed
    jane = contact("7", email="jane.doe@acme.com", company="Acme Inc.", job_title="VP Sales",
                   created_at="2024-01-01 09:00")  # fmt: skip
    (result,) = e.enrich([jane])
    assert {(r.field, r.kind, r.decision) for r in result.rows} == {
        ("company", "job_change", "review"),
        ("job_title", "job_change", "review"),
        ("email", "job_change", "review"),
    }
    assert all("a job change is always reviewed" in r.evidence for r in result.rows) and result.auto == []
    (signal,) = result.signals
    assert (signal.relation, signal.from_company, signal.to_company, signal.from_company_id,
            signal.to_company_id, signal.observed_at) == ("job_change", "Acme Inc.", "Globex", "500", "600", seen)  # fmt: skip
    former, current = result.associations
    assert (former.status, former.company, former.until, current.status, current.company_id) == (
        "former",
        "Acme Inc.",
        seen,
        "current",
        "600",
    )
    assert e.stats.job_changes == 1


def test_sources_disagreeing_on_a_move_block_all_of_it_and_signal_nothing() -> None:
    at = datetime(2026, 10, 2, tzinfo=UTC)
    log = StubProvider(
        "log", kind="activity", fetched_at=at, values={"company": "Globex", "job_title": "CRO"}
    )
    lst = StubProvider("list", fetched_at=at, values={"company": "Initech"})
    (result,) = enricher([log, lst]).enrich(
        [contact(email="a@acme.com", company="Acme", job_title="VP Sales")]
    )
    assert {r.decision for r in result.rows} == {"blocked"} and result.signals == []
    assert all("source of truth unclear" in r.evidence for r in result.rows)


def test_a_rejected_proposal_is_suppressed() -> None:
    memory = InMemoryDecisionMemory()
    provider = StubProvider("list", values={"job_title": "CFO"})
    (result,) = enricher([provider]).enrich([contact(email="a@acme.com")])
    memory.remember_rejection(result.ledger[0].change_id, "wrong", "me")
    e = enricher([provider], memory=memory)
    assert e.enrich([contact(email="a@acme.com")])[0].rows == [] and e.stats.suppressed == 1


def test_title_and_company_past_the_window_are_looked_up_again() -> None:
    paid = remote("paid", 0.1, values={"job_title": "CFO"})
    e = enricher([paid])
    old = contact("1", email="a@acme.com", job_title="CFO", company="Acme", updated_at="2024-01-01 10:00")
    fresh = contact("2", email="b@acme.com", job_title="CFO", company="Acme", updated_at="2026-11-01 10:00")
    e.enrich([old, fresh])
    assert [rid for rid, _ in paid.calls] == ["1"] and e.stats.re_enrichment_candidates == 1


def test_reports_to_becomes_a_relationship_signal() -> None:
    d = CrmDirectory(index_people=True)
    d.add(contact("99", email="boss@acme.com", first_name="Pat", last_name="Boss"))
    org = remote(
        "org", 0.0, values={"reports_to": "boss@acme.com", "reports_to_name": "Pat Boss", "job_title": "CFO"}
    )
    (result,) = enricher([org], directory=d).enrich([contact(email="a@acme.com")])
    (signal,) = [s for s in result.signals if s.relation == "reports_to"]
    assert (
        signal.related_person_id == "99"
        and signal.related_person_name == "Pat Boss"
        and signal.source == "org"
    )


def test_finish_adds_the_runs_counters_to_the_store_and_signals_quality() -> None:
    store = InMemoryQualityStore()
    e = enricher([StubProvider("list", values={"job_title": "CFO"})], store=store)
    e.enrich([contact(email="a@acme.com")])
    (signal,) = e.finish()
    assert (signal.provider, signal.field, signal.proposals, signal.lookups, signal.filled) == (
        "list",
        "job_title",
        1,
        1,
        1,
    )
    assert store.snapshot()[("list", "job_title")].proposals == 1


def test_batches_run_ahead_and_give_the_same_results_in_order() -> None:
    provider = remote("paid", 0.0, values={"job_title": "CFO"})
    records = [contact(str(i), email=f"p{i}@acme.com") for i in range(7)]
    batches = list(enricher([provider]).enrich_batches([records[:3], records[3:6], records[6:]]))
    assert [len(b) for b in batches] == [3, 3, 1]
    flat = [r for b in batches for r in b]
    assert [r.record.record_id for r in flat] == [str(i) for i in range(7)]
    assert [r.rows for r in flat] == [r.rows for r in enricher([provider]).enrich(records)]
