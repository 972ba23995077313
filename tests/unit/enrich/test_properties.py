"""Invariants of enrichment, for any records and any providers (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_hygiene.adapters.enrich_http import HttpProvider
from crm_hygiene.enrich.config import Budget, HttpConfig, Prior, ProvidersConfig, Trust, Waterfall
from crm_hygiene.enrich.fields import JOB_FIELDS
from crm_hygiene.enrich.quality import FieldQuality, InMemoryQualityStore
from crm_hygiene.standard.loader import default_standard
from crm_hygiene.standard.model import DataStandard, FieldRule
from tests.unit.enrich.helpers import StubProvider, contact, enricher

FIELDS = ("first_name", "last_name", "company", "job_title", "city", "country", "website", "phone")
VALUES = {
    "first_name": ("Jane", "Ravi", "Zoë"), "last_name": ("Doe", "Okafor"), "company": ("Acme", "Globex", "Initech"),
    "job_title": ("CFO", "VP Sales", "Engineer"), "city": ("Austin", "Berlin"), "country": ("US", "DE", "FR"),
    "website": ("acme.com", "globex.io"), "phone": ("+14155552671", "+4930901820"),
}  # fmt: skip
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def standards(draw: st.DrawFn) -> DataStandard:
    """The default standard with random protected fields and random overwrite permissions."""
    std = default_standard()
    contact_std = std.objects["contact"]
    protected = draw(st.sets(st.sampled_from(FIELDS)))
    overwrite = draw(st.sets(st.sampled_from(FIELDS)))
    rules = dict(contact_std.fields)
    for name in overwrite:
        rules[name] = (rules.get(name) or FieldRule(format="text")).model_copy(update={"overwrite": True})
    updated = contact_std.model_copy(
        update={"protected": (*contact_std.protected, *protected), "fields": rules}
    )
    threshold = draw(st.sampled_from([0.5, 0.8, 0.95]))
    return std.model_copy(update={"objects": {**std.objects, "contact": updated},
                                  "thresholds": std.thresholds.model_copy(update={"auto_apply": threshold})})  # fmt: skip


@st.composite
def providers(draw: st.DrawFn, max_rank: int = 120) -> list[StubProvider]:
    out = []
    for i in range(draw(st.integers(1, 3))):
        chosen = draw(st.sets(st.sampled_from(FIELDS), min_size=1))
        values = {name: draw(st.sampled_from(VALUES[name])) for name in chosen}
        out.append(StubProvider(
            f"p{i}", values=values, kind=draw(st.sampled_from(["file", "activity", "http"])),
            remote=draw(st.booleans()), priority=draw(st.integers(0, max_rank)),
            match_quality=draw(st.floats(0.3, 1.0)),
            fetched_at=draw(st.none() | st.datetimes(datetime(2020, 1, 1), datetime(2026, 11, 1), timezones=st.just(UTC))),
        ))  # fmt: skip
    return out


@st.composite
def records(draw: st.DrawFn) -> list:  # type: ignore[type-arg]
    out = []
    for i in range(draw(st.integers(1, 4))):
        filled = draw(st.sets(st.sampled_from(FIELDS)))
        fields = {name: draw(st.sampled_from(VALUES[name])) for name in filled}
        fields["updated_at"] = draw(st.sampled_from(["", "2024-01-01 10:00", "2026-11-20 10:00"]))
        out.append(contact(str(i), email=f"p{i}@acme.com", **fields))
    return out


def confident(provs: list[StubProvider]) -> dict[str, Prior]:
    return {p.name: Prior(mean=0.98, strength=500) for p in provs}


@SETTINGS
@given(standards(), providers(), records(), st.sampled_from(["human", "import"]))
def test_protected_fields_are_never_changed_by_themselves(std, provs, recs, existing) -> None:
    config = ProvidersConfig(trust=Trust(existing_source=existing), waterfall=Waterfall(stop_at=0.99))
    e = enricher(provs, standard=std, config=config)
    e.priors.update(confident(provs))
    rules = std.for_object("contact")
    for result in e.enrich(recs):
        assert not any(rules.is_protected(c.field) for c in result.auto)
        assert all(r.decision != "auto" for r in result.rows if r.protected)


@SETTINGS
@given(standards(), providers(max_rank=99), records())
def test_a_persons_value_is_never_replaced_by_a_less_trusted_source(std, provs, recs) -> None:
    # Given CRM values typed by people (rank 100) and providers that all rank below them
    e = enricher(provs, standard=std, config=ProvidersConfig(waterfall=Waterfall(stop_at=0.99)))
    e.priors.update(confident(provs))
    for record, result in zip(recs, e.enrich(recs), strict=True):
        for row in result.rows:
            current = record.fields.get(row.field, "")
            if current:
                # only a job change may even suggest it, and only for a person to decide
                assert row.kind == "job_change" and row.field in JOB_FIELDS and row.decision != "auto"
        assert all(not record.fields.get(c.field) for c in result.auto)


@SETTINGS
@given(standards(), providers(), records())
def test_every_proposal_names_its_source_and_evidence(std, provs, recs) -> None:
    names = {p.name for p in provs}
    e = enricher(provs, standard=std)
    for result in e.enrich(recs):
        for entry in result.ledger:
            assert entry.sources and {s.provider for s in entry.sources} <= names
        for change in result.auto:
            assert change.source and set(change.source.split("+")) <= names and change.evidence
        for row in result.rows:
            assert any(f"{n}: " in row.evidence for n in names)  # "<provider>: <how it matched> ..."


@SETTINGS
@given(records(), st.integers(0, 5) | st.none(), st.floats(0, 2) | st.none(), st.booleans())
def test_a_dry_run_spends_nothing(recs, max_calls, max_cost, learned) -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, json={"person": {"email": request.url.params["email"], "title": "CFO"}})

    http = HttpProvider(
        HttpConfig(
            type="http", name="api", preset="person_by_email", url="https://api.test/p", cost_per_call=0.1
        ),
        client=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    store = InMemoryQualityStore()
    if learned:
        store.add({("api", "job_title"): FieldQuality(lookups=10, filled=7, approved=5)})
    before = store.snapshot()
    config = ProvidersConfig(waterfall=Waterfall(budget=Budget(max_calls=max_calls, max_cost=max_cost)))
    e = enricher([http, StubProvider("list", values={"company": "Acme"})], config=config, store=store)
    e.plan(recs)
    e.finish(dry_run=True)
    assert requests == [] and store.snapshot() == before
    run = e.waterfall.runs["api"]
    assert run.lookups == 0 and run.calls <= (max_calls if max_calls is not None else len(recs))


def test_the_properties_above_do_reach_auto_decisions() -> None:
    # Guard against a vacuous property: with confident providers some fills do apply by themselves.
    provs = [StubProvider("p0", values={"city": "Austin", "company": "Acme"}, match_quality=1.0)]
    std = default_standard().model_copy(update={"thresholds": default_standard().thresholds.model_copy(
        update={"auto_apply": 0.5})})  # fmt: skip
    e = enricher(provs, standard=std)
    e.priors.update(confident(provs))
    (result,) = e.enrich([contact(email="a@acme.com")])
    assert {c.field for c in result.auto} == {"city", "company"}
