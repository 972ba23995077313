"""The HTTP JSON provider against httpx.MockTransport: presets, identity, faults, retries, cache."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from crm_hygiene.adapters.enrich_http import HttpProvider, resolve
from crm_hygiene.adapters.secrets import EnvSecretStore
from crm_hygiene.enrich.cache import MemoryResponseCache
from crm_hygiene.enrich.config import HttpConfig
from crm_hygiene.enrich.provider import ProviderFault
from tests.unit.enrich.helpers import contact

Handler = Callable[[httpx.Request], httpx.Response]
PERSON = {"person": {"email": "jane.doe@acme.com", "title": "CFO", "company": {"name": "Acme", "domain": "acme.com"},
                     "manager": {"email": "boss@acme.com", "name": "Pat Boss"}, "confidence": 90,
                     "updated_at": "2026-10-01T00:00:00Z"}}  # fmt: skip
JANE = contact(email="Jane.Doe@acme.com")
WANTED = frozenset({"job_title", "company", "reports_to", "reports_to_name"})


def provider(
    answers: list[Handler], **config: object
) -> tuple[HttpProvider, list[httpx.Request], list[float]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers[min(len(seen), len(answers)) - 1](request)

    waits: list[float] = []
    cfg = HttpConfig.model_validate({
        "type": "http", "name": "people", "preset": "person_by_email", "url": "https://api.test/v1/person",
        "rate_limit": 1000, "max_attempts": 3, "backoff": 0.01, "cost_per_call": 0.05,
        "auth": {"secret": "PEOPLE_KEY"}, **config,
    })  # fmt: skip
    client = httpx.Client(transport=httpx.MockTransport(handler))
    secrets = EnvSecretStore({"PEOPLE_KEY": "s3cret"})
    return HttpProvider(cfg, client=client, secrets=secrets, sleep=waits.append), seen, waits


def answer(status: int = 200, body: object = PERSON, headers: dict[str, str] | None = None) -> Handler:
    return lambda request: httpx.Response(status, json=body, headers=headers)


def raw(status: int, text: str) -> Handler:
    return lambda request: httpx.Response(status, text=text)


def boom(exc: type[Exception]) -> Handler:
    def raise_(request: httpx.Request) -> httpx.Response:
        raise exc("boom", request=request)  # type: ignore[call-arg]

    return raise_


def test_preset_maps_fields_checks_identity_and_caches() -> None:
    p, seen, _ = provider([answer()])
    found = {c.field: c for c in p.lookup(JANE, WANTED)}
    assert {k: c.value for k, c in found.items()} == {"job_title": "CFO", "company": "Acme",
                                                       "reports_to": "boss@acme.com", "reports_to_name": "Pat Boss"}  # fmt: skip
    title = found["job_title"]
    assert title.match == "exact email" and title.match_quality == 0.97 and title.provider_confidence == 0.9
    assert title.fetched_at is not None and title.fetched_at.month == 10
    assert sum(c.cost for c in found.values()) == pytest.approx(0.05)
    request = seen[0]
    assert request.url.params["email"] == "jane.doe@acme.com"
    assert request.headers["Authorization"] == "Bearer s3cret"
    again = p.lookup(JANE, WANTED)  # cached: no second request, nothing spent
    assert len(seen) == 1 and sum(c.cost for c in again) == 0 and p.cached(JANE)


def test_a_key_never_reaches_the_cache_key_or_a_fault_message() -> None:
    p, _, _ = provider([answer(401, {"error": "bad key"})])
    with pytest.raises(ProviderFault) as fault:
        p.lookup(JANE, WANTED)
    assert fault.value.kind == "client_error" and "s3cret" not in str(fault.value)
    assert "s3cret" not in p._cache_key("jane.doe@acme.com")


def test_an_answer_about_someone_else_is_a_fault_and_is_not_cached() -> None:
    other = {"person": {**PERSON["person"], "email": "john.roe@acme.com"}}
    p, seen, _ = provider([answer(body=other), answer()])
    with pytest.raises(ProviderFault) as fault:
        p.lookup(JANE, WANTED)
    assert fault.value.kind == "wrong_person"
    assert not p.cached(JANE)
    assert p.lookup(JANE, WANTED) and len(seen) == 2


@pytest.mark.parametrize("bad", [raw(200, '{"person": {"email": '), raw(200, "<html>gateway</html>"),
                                 answer(body=["a", "list"])])  # fmt: skip
def test_malformed_answers_are_faults(bad: Handler) -> None:
    p, _, _ = provider([bad])
    with pytest.raises(ProviderFault) as fault:
        p.lookup(JANE, WANTED)
    assert fault.value.kind == "malformed" and not p.cached(JANE)


def test_not_found_is_a_miss_and_is_cached() -> None:
    p, seen, _ = provider([answer(404, {"error": "not found"})])
    assert p.lookup(JANE, WANTED) == [] and p.lookup(JANE, WANTED) == [] and len(seen) == 1


def test_an_answer_that_does_not_say_whom_it_is_about_gets_a_lower_match() -> None:
    p, _, _ = provider([answer(body={"person": {"title": "CFO"}})])
    (found,) = p.lookup(JANE, frozenset({"job_title"}))
    assert found.match_quality == 0.85 and "does not confirm" in found.match


def test_server_errors_and_timeouts_are_retried_then_counted() -> None:
    p, seen, waits = provider([answer(502), boom(httpx.ReadTimeout), answer()])
    assert p.lookup(JANE, WANTED) and len(seen) == 3 and len(waits) == 2
    p, seen, _ = provider([answer(500)])
    with pytest.raises(ProviderFault) as fault:
        p.lookup(JANE, WANTED)
    assert fault.value.kind == "server_error" and len(seen) == 3
    p, seen, _ = provider([boom(httpx.ConnectTimeout)])
    with pytest.raises(ProviderFault) as fault:
        p.lookup(JANE, WANTED)
    assert fault.value.kind == "timeout" and len(seen) == 3


def test_429_honours_retry_after_and_a_storm_ends_as_throttled() -> None:
    p, seen, waits = provider([answer(429, headers={"Retry-After": "2"}), answer(429), answer()])
    assert p.lookup(JANE, WANTED) and len(seen) == 3
    assert waits[0] >= 2 and waits[1] < 2  # the server's wait, then jittered backoff without a header
    p, seen, _ = provider([answer(429)])
    with pytest.raises(ProviderFault) as fault:
        p.lookup(JANE, WANTED)
    assert fault.value.kind == "throttled" and len(seen) == 3


def test_the_circuit_opens_after_repeated_failures() -> None:
    p, seen, _ = provider([answer(503)], max_attempts=1, breaker_threshold=2, breaker_reset=60)
    kinds = []
    for i in range(4):
        with pytest.raises(ProviderFault) as fault:
            p.lookup(contact(str(i), email=f"p{i}@acme.com"), WANTED)
        kinds.append(fault.value.kind)
    assert kinds == ["server_error", "server_error", "circuit_open", "circuit_open"] and len(seen) == 2


def test_cache_entries_expire() -> None:
    now = [0.0]
    cache = MemoryResponseCache(clock=lambda: now[0])
    p, seen, _ = provider([answer()], cache_ttl=60)
    p.cache = cache
    p.lookup(JANE, WANTED)
    now[0] = 59
    p.lookup(JANE, WANTED)
    now[0] = 61
    p.lookup(JANE, WANTED)
    assert len(seen) == 2


def test_post_body_templates_and_company_lookups_for_contacts() -> None:
    body = {"company": {"domain": "acme.com", "name": "Acme Inc.", "employees": 120}}
    p, seen, _ = provider([answer(body=body)], preset="company_by_domain", method="POST", params={},
                          json_body={"domain": "{domain}"}, url="https://api.test/v1/company")  # fmt: skip
    assert p.fields_for("contact") == {"company", "website"}
    found = p.lookup(contact(email="jane@mail.acme.com"), frozenset({"company", "website"}))
    assert {c.field: c.value for c in found} == {"company": "Acme Inc.", "website": "acme.com"}
    assert json.loads(seen[0].content) == {"domain": "acme.com"}
    assert p.fields_for("company") >= {"name", "employees", "industry"}


def test_resolve_paths() -> None:
    data = {"a": {"b": [{"c": 1}, {"c": None}]}}
    assert resolve(data, "a.b[0].c") == 1
    assert (
        resolve(data, "a.b[1].c") is None
        and resolve(data, "a.b[5].c") is None
        and resolve(data, "x.y") is None
    )


def test_without_a_preset_key_and_mapping_are_required() -> None:
    with pytest.raises(ValueError, match="'key' and 'mapping'"):
        HttpConfig.model_validate({"type": "http", "name": "x", "url": "https://api.test"})
