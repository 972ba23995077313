"""The HTTP JSON provider: any enrichment API that answers a GET (or POST) with JSON.

The request is built from the config (URL and parameters with ``{email}`` / ``{domain}``
placeholders, the API key from a :class:`~crm_hygiene.ports.SecretStore`); the shared
:class:`~crm_hygiene.adapters.http.ResilientClient` rate-limits it (a token bucket under the
provider's limit), retries timeouts, 429s and 5xx with jittered backoff that honours Retry-After,
and breaks the circuit after repeated failures. An answer is used only if it is well-formed JSON
about the record that was asked for (its email or domain); it is then cached for ``cache_ttl``.
Every failure is a :class:`~crm_hygiene.enrich.provider.ProviderFault` the engine counts.

Two presets give the parameters, field mapping and identity path of the common API shapes:
``person_by_email`` (``{"person": {"email", "title", "company": {"name", "domain"}, ...}}``) and
``company_by_domain`` (``{"company": {"domain", "name", "industry", "employees", ...}}``).
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from crm_hygiene.adapters.http import ResilientClient, ServiceError, UncertainOutcome
from crm_hygiene.enrich.cache import FileResponseCache, MemoryResponseCache, ResponseCache
from crm_hygiene.enrich.config import HttpConfig
from crm_hygiene.enrich.directory import email_domain
from crm_hygiene.enrich.fields import ENRICHABLE, RELATION_FIELDS, registered_domain
from crm_hygiene.enrich.provider import FaultKind, FieldCandidate, ProviderFault, ProviderKind
from crm_hygiene.errors import Throttled
from crm_hygiene.models.record import Record
from crm_hygiene.normalize.date import parse_instant
from crm_hygiene.ports import SecretStore
from crm_hygiene.resilience import CircuitBreaker, CircuitOpen, RetryPolicy, Sleep, TokenBucket
from crm_hygiene.types import FieldName, ObjectType


@dataclass(frozen=True)
class Preset:
    """The parameters, mapping and identity of a common API shape."""

    key: str
    params: dict[str, str]
    identity: str
    mapping: dict[FieldName, str]
    observed_at: str
    provider_confidence: str
    for_contacts: dict[FieldName, FieldName] = field(default_factory=dict)


PRESETS: dict[str, Preset] = {
    "person_by_email": Preset(
        key="email",
        params={"email": "{email}"},
        identity="person.email",
        mapping={
            "first_name": "person.first_name",
            "last_name": "person.last_name",
            "job_title": "person.title",
            "company": "person.company.name",
            "website": "person.company.domain",
            "phone": "person.phone",
            "mobile_phone": "person.mobile_phone",
            "city": "person.location.city",
            "state": "person.location.state",
            "country": "person.location.country",
            "linkedin_url": "person.linkedin_url",
            "reports_to": "person.manager.email",
            "reports_to_name": "person.manager.name",
        },  # fmt: skip
        observed_at="person.updated_at",
        provider_confidence="person.confidence",
    ),
    "company_by_domain": Preset(
        key="domain",
        params={"domain": "{domain}"},
        identity="company.domain",
        mapping={
            "name": "company.name",
            "domain": "company.domain",
            "industry": "company.industry",
            "employees": "company.employees",
            "annual_revenue": "company.annual_revenue",
            "phone": "company.phone",
            "city": "company.location.city",
            "state": "company.location.state",
            "country": "company.location.country",
            "linkedin_url": "company.linkedin_url",
        },  # fmt: skip
        observed_at="company.updated_at",
        provider_confidence="company.confidence",
        for_contacts={"company": "name", "website": "domain"},
    ),
}

_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_MISSING = object()


def resolve(data: Any, path: str) -> Any:
    """The value at a dotted path with list indexes (``person.phones[0].number``); None when absent."""
    node = data
    for name, index in _STEP.findall(path):
        if name:
            node = node.get(name, _MISSING) if isinstance(node, dict) else _MISSING
        else:
            node = node[int(index)] if isinstance(node, list) and int(index) < len(node) else _MISSING
        if node is _MISSING or node is None:
            return None
    return node


def _text(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, int | str):
        return str(value).strip()
    return ""


class _Values(dict[str, str]):
    """``str.format_map`` values that leave unknown placeholders empty."""

    def __missing__(self, key: str) -> str:
        return ""


class HttpProvider:
    """A configured JSON API (see the module docstring)."""

    kind: ProviderKind = "http"
    remote = True

    def __init__(
        self,
        config: HttpConfig,
        *,
        client: httpx.Client | None = None,
        secrets: SecretStore | None = None,
        cache: ResponseCache | None = None,
        sleep: Sleep = time.sleep,
        priority: int = 40,
    ) -> None:
        preset = PRESETS[config.preset] if config.preset else None
        self.name = config.name
        self.config = config
        self.priority = priority
        self.cost_per_call = config.cost_per_call
        self.key_kind = config.key or (preset.key if preset else "email")
        self.params = {**(preset.params if preset else {}), **config.params}
        self.mapping = {**(preset.mapping if preset else {}), **config.mapping}
        self.identity = config.identity or (preset.identity if preset else None)
        self.observed_at = config.observed_at or (preset.observed_at if preset else None)
        self.confidence_path = config.provider_confidence or (preset.provider_confidence if preset else None)
        self.for_contacts = preset.for_contacts if preset else {}
        self.cache: ResponseCache = cache or (
            FileResponseCache(config.cache_file) if config.cache_file else MemoryResponseCache()
        )
        self._client = client
        self._owns_client = client is None
        self._secrets = secrets
        self._sleep = sleep
        self._secret: str | None = None
        self._resilient: ResilientClient | None = None
        self._lock = threading.Lock()

    # --- what it gives --------------------------------------------------------------------------------

    def fields_for(self, object_type: ObjectType) -> frozenset[FieldName]:
        only = frozenset(self.config.fields) if self.config.fields else None
        if self.key_kind == "domain" and object_type == "contact":
            gives = frozenset(f for f, src in self.for_contacts.items() if src in self.mapping)
        elif (self.key_kind == "email") != (object_type == "contact"):
            return frozenset()
        else:
            gives = frozenset(self.mapping) & (frozenset(ENRICHABLE[object_type]) | RELATION_FIELDS)
        return gives & only if only is not None else gives

    def _key(self, record: Record) -> str:
        if self.key_kind == "email":
            email = record.get("email").strip().lower()
            return email if "@" in email else ""
        if record.object_type == "company":
            return registered_domain(record.get("domain"))
        return email_domain(record.get("email"))

    def can_lookup(self, record: Record) -> bool:
        return bool(self._key(record))

    def _request(self, key: str) -> tuple[str, dict[str, str], dict[str, str] | None]:
        values = _Values({self.key_kind: key})
        url = self.config.url.format_map(_Values({self.key_kind: quote(key, safe="@")}))
        params = {k: v.format_map(values) for k, v in self.params.items()}
        body = (
            {k: v.format_map(values) for k, v in self.config.json_body.items()}
            if self.config.json_body
            else None
        )
        return url, params, body

    def _cache_key(self, key: str) -> str:
        url, params, body = self._request(key)
        return f"{self.config.method} {url} {sorted(params.items())} {sorted((body or {}).items())}"

    def cached(self, record: Record) -> bool:
        key = self._key(record)
        return bool(key) and self.cache.get(self._cache_key(key)) is not None

    # --- the call -------------------------------------------------------------------------------------

    def _client_for_calls(self) -> ResilientClient:
        with self._lock:
            if self._resilient is None:
                cfg = self.config
                http = self._client or httpx.Client(timeout=cfg.timeout)
                self._client = http
                self._resilient = ResilientClient(
                    http,
                    limiter=TokenBucket(cfg.rate_limit * cfg.headroom, cfg.burst),  # real time: a real limit
                    retry=RetryPolicy(max_attempts=cfg.max_attempts, base_delay=cfg.backoff),
                    breaker=CircuitBreaker(cfg.breaker_threshold, cfg.breaker_reset),
                    sleep=self._sleep,
                )
            return self._resilient

    def _auth(self) -> tuple[dict[str, str], dict[str, str]]:
        auth = self.config.auth
        if auth is None:
            return dict(self.config.headers), {}
        if self._secret is None:
            if self._secrets is None:
                raise ProviderFault(
                    "client_error", f"{self.name}: no secret store to read {auth.secret!r} from"
                )
            self._secret = self._secrets.get(auth.secret)  # NotFound stops the run: a config error
        if auth.query_param:
            return dict(self.config.headers), {auth.query_param: self._secret}
        value = f"{auth.scheme} {self._secret}" if auth.scheme else self._secret
        return {**self.config.headers, auth.header: value}, {}

    @property
    def stats(self) -> Any:
        """The client's call counts (requests, retries, 429s, waits), or None before the first call."""
        return self._resilient.stats if self._resilient is not None else None

    def _fetch(self, key: str) -> dict[str, Any] | None:
        """The parsed answer, None when the provider does not know the key; faults raise."""
        url, params, body = self._request(key)
        headers, auth_params = self._auth()
        try:
            response = self._client_for_calls().request(
                self.config.method, url, params={**params, **auth_params}, json=body, headers=headers,
                idempotent=True,
            )  # fmt: skip
        except Throttled as exc:
            raise ProviderFault("throttled", f"{self.name}: {exc}") from None
        except CircuitOpen as exc:
            raise ProviderFault("circuit_open", f"{self.name}: {exc}") from None
        except (ServiceError, UncertainOutcome) as exc:
            status = getattr(exc, "status", None)
            if status == 404:
                return None
            kind: FaultKind = (
                "timeout" if status is None else "server_error" if status >= 500 else "client_error"
            )
            raise ProviderFault(kind, f"{self.name}: {exc}") from None
        if response.status_code == 204 or not response.content:
            return None
        try:
            data = response.json()
        except ValueError:
            raise ProviderFault("malformed", f"{self.name}: the answer is not JSON") from None
        if not isinstance(data, dict):
            raise ProviderFault("malformed", f"{self.name}: the answer is not a JSON object")
        return data

    def _check_identity(self, key: str, data: dict[str, Any]) -> None:
        if not self.identity:
            return
        said = _text(resolve(data, self.identity)).lower()
        if not said:
            return  # the answer does not say whom it is about: the match quality says so instead
        theirs = said if self.key_kind == "email" else registered_domain(said)
        if theirs != key:
            what = "person" if self.key_kind == "email" else "company"
            raise ProviderFault("wrong_person", f"{self.name}: the answer is about another {what}")

    def lookup(self, record: Record, wanted: frozenset[FieldName]) -> list[FieldCandidate]:
        key = self._key(record)
        if not key:
            return []
        cache_key = self._cache_key(key)
        data = self.cache.get(cache_key)
        cost = 0.0
        if data is None:
            cost = self.cost_per_call
            fetched = self._fetch(key)
            data = fetched if fetched is not None else {}
            self._check_identity(key, data)  # before caching: nothing from a bad answer is kept
            self.cache.put(cache_key, data, self.config.cache_ttl)
        return self._candidates(record, key, data, wanted, cost)

    def _candidates(
        self, record: Record, key: str, data: dict[str, Any], wanted: frozenset[FieldName], cost: float
    ) -> list[FieldCandidate]:
        if not data:
            return []
        verified = bool(self.identity and _text(resolve(data, self.identity)))
        match = f"exact {self.key_kind}" + ("" if verified else " (answer does not confirm it)")
        quality = 0.97 if verified else 0.85
        confidence = self._provider_confidence(data)
        at = parse_instant(_text(resolve(data, self.observed_at))) if self.observed_at else None
        translate = (
            self.for_contacts if (record.object_type == "contact" and self.key_kind == "domain") else {}
        )
        values: dict[FieldName, str] = {}
        for name in wanted:
            source = translate.get(name, name)
            path = self.mapping.get(source)
            text = _text(resolve(data, path)) if path else ""
            if text:
                values[name] = text
        share = cost / max(1, len(values))
        detail = f"{self.config.url.split('?', 1)[0]} lookup by {self.key_kind}"
        return [
            FieldCandidate(name, text, self.name, match, quality, confidence, at, share, detail)
            for name, text in sorted(values.items())
        ]

    def _provider_confidence(self, data: dict[str, Any]) -> float | None:
        raw = resolve(data, self.confidence_path) if self.confidence_path else None
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            return None
        value = float(raw) / 100 if raw > 1 else float(raw)
        return min(1.0, max(0.0, value))

    def close(self) -> None:
        self.cache.close()
        if self._owns_client and self._client is not None:
            self._client.close()
