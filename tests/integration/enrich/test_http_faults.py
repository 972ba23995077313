"""The HTTP provider against the local fake API: injected faults, its rate limit, retries, dry run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crm_hygiene.adapters.enrich_http import HttpProvider
from crm_hygiene.adapters.secrets import EnvSecretStore
from crm_hygiene.enrich.config import Budget, HttpConfig, ProvidersConfig, Waterfall
from crm_hygiene.enrich.engine import Limits
from tests.fakes.enrichment_api import FakeEnrichmentApi, FaultPlan
from tests.unit.enrich.helpers import contact, enricher

WANTED = frozenset({"job_title", "company"})


def http(api: FakeEnrichmentApi, **config: object) -> HttpProvider:
    cfg = HttpConfig.model_validate({
        "type": "http", "name": "people", "preset": "person_by_email", "url": f"{api.url}/v1/person",
        "rate_limit": 40, "timeout": 0.3, "max_attempts": 4, "backoff": 0.02, "breaker_threshold": 50,
        "cost_per_call": 0.01, "auth": {"secret": "API_KEY"}, **config,
    })  # fmt: skip
    return HttpProvider(cfg, secrets=EnvSecretStore({"API_KEY": "k"}))


@pytest.fixture
def api(request: pytest.FixtureRequest) -> Iterator[FakeEnrichmentApi]:
    plan = getattr(request, "param", FaultPlan())
    with FakeEnrichmentApi(rate_limit=40, api_key="k", faults=plan) as fake:
        yield fake


def people(n: int, start: int = 0) -> list:  # type: ignore[type-arg]
    return [contact(str(i), email=f"person{i}.x@firm{i}.com") for i in range(start, start + n)]


@pytest.mark.parametrize(
    ("api", "kind"),
    [
        (FaultPlan(script=["timeout"] * 4, hang_seconds=0.6), "timeout"),
        (FaultPlan(script=["500", "503", "500", "503"]), "server_error"),
        (FaultPlan(script=["429"] * 4), "throttled"),
        (FaultPlan(script=["429_no_retry_after"] * 4), "throttled"),
        (FaultPlan(script=["malformed"]), "malformed"),
        (FaultPlan(script=["html"]), "malformed"),
        (FaultPlan(script=["wrong_person"]), "wrong_person"),
    ],
    indirect=["api"],
)
def test_a_bad_answer_writes_nothing_and_is_counted(api: FakeEnrichmentApi, kind: str) -> None:
    e = enricher([http(api)], config=ProvidersConfig(providers=[]))
    (bad, good) = e.enrich(people(2))
    assert bad.rows == [] and bad.ledger == []
    assert {r.field for r in good.rows} >= {"job_title", "company"}  # the next record is fine
    assert e.waterfall.runs["people"].faults == {kind: 1}
    (signal,) = [s for s in e.finish() if s.field == "job_title"]
    assert signal.faults == 1 and signal.fault_kinds == {kind: 1}


@pytest.mark.parametrize(
    "api", [FaultPlan(script=["slow", "429", "503", "ok"], slow_seconds=0.1)], indirect=True
)
def test_slow_answers_and_single_hiccups_still_give_values(api: FakeEnrichmentApi) -> None:
    e = enricher([http(api)])
    results = e.enrich(people(3))
    assert all({r.field for r in result.rows} >= {"job_title", "company"} for result in results)
    assert e.waterfall.runs["people"].faults == {}


@pytest.mark.parametrize(
    "api", [FaultPlan(rates={"429": 0.15, "429_no_retry_after": 0.1}, seed=3)], indirect=True
)
def test_a_429_storm_is_retried_every_time_and_the_limit_is_never_exceeded(api: FakeEnrichmentApi) -> None:
    provider = http(api, max_attempts=8, concurrency=4)
    e = enricher([provider], limits=Limits(concurrency={"people": 4}))
    results = e.enrich(people(80))
    assert (
        all(r.rows for r in results) and e.waterfall.runs["people"].faults == {}
    )  # every lookup got through
    throttled = api.stats.statuses[429]
    # every 429 was followed by another attempt: the requests beyond one per lookup are exactly the 429s
    assert throttled > 5 and api.stats.requests == 80 + throttled and api.stats.statuses[200] == 80
    assert api.stats.over_limit == 0 and api.stats.max_per_window() <= 40


@pytest.mark.parametrize("api", [FaultPlan(script=["500"] * 3)], indirect=True)
def test_the_circuit_opens_and_nothing_more_is_sent(api: FakeEnrichmentApi) -> None:
    e = enricher([http(api, max_attempts=1, breaker_threshold=3, breaker_reset=60)])
    e.enrich(people(6))
    assert api.stats.requests == 3
    assert e.waterfall.runs["people"].faults == {"server_error": 3, "circuit_open": 3}
    assert e.waterfall.runs["people"].calls == 3  # calls the open circuit never sent are not charged


def test_dry_run_sends_nothing_and_a_budget_caps_real_calls(api: FakeEnrichmentApi) -> None:
    config = ProvidersConfig(waterfall=Waterfall(budget=Budget(max_calls=5)))
    e = enricher([http(api)], config=config)
    e.plan(people(20))
    assert api.stats.requests == 0 and e.waterfall.runs["people"].calls == 5
    e = enricher([http(api)], config=config)
    e.enrich(people(20))
    assert api.stats.requests == 5 and e.waterfall.runs["people"].skipped_budget == 15


def test_reports_to_comes_from_provider_org_data(api: FakeEnrichmentApi) -> None:
    (result,) = enricher([http(api)]).enrich(people(1))
    (signal,) = [s for s in result.signals if s.relation == "reports_to"]
    assert signal.related_person_name == "Pat Boss" and signal.source == "people"


def test_a_wrong_key_is_a_client_error_not_a_crash(api: FakeEnrichmentApi) -> None:
    provider = HttpProvider(HttpConfig(type="http", name="people", preset="person_by_email",
                                       url=f"{api.url}/v1/person", auth={"secret": "API_KEY"}),
                            secrets=EnvSecretStore({"API_KEY": "wrong"}))  # fmt: skip
    e = enricher([provider])
    assert e.enrich(people(1))[0].rows == [] and e.waterfall.runs["people"].faults == {"client_error": 1}
    assert api.stats.unauthorized == 1
