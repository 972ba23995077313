"""The provider protocol: what every enrichment source answers, and how it reports a failure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from crm_hygiene.enrich.config import HttpConfig
from crm_hygiene.errors import HygieneError
from crm_hygiene.models.record import Record
from crm_hygiene.ports import SecretStore
from crm_hygiene.types import FieldName, ObjectType

ProviderKind = Literal["derived", "activity", "file", "http"]

FaultKind = Literal[
    "timeout",  # no answer in time, after retries
    "throttled",  # still rate-limited after the last retry
    "server_error",  # 5xx after retries
    "client_error",  # a 4xx other than 404 / 429 (bad request, bad key)
    "malformed",  # not JSON, or not the shape the mapping expects
    "wrong_person",  # the answer is about someone (or some company) else
    "circuit_open",  # the provider failed repeatedly and is being left alone
    "error",  # anything else (a bug in a provider must not stop a run)
]


@dataclass(frozen=True, slots=True)
class FieldCandidate:
    """One value for one field, as one provider sees it.

    A frozen dataclass rather than a pydantic model: providers create millions of these on the
    hot path, and nothing crosses a boundary in this form (proposals do, as ``ProposedChange``).

    Attributes:
        field: The logical field (a canonical field, or ``time_zone`` / ``phone_line_type`` /
            ``linkedin_url`` / ``reports_to``; see ``enrich/fields.py``).
        value: The value as the provider gives it (normalized later to the standard's format).
        provider: The provider's configured name: the ``source`` of every proposal it backs.
        match: How the provider matched the record ("exact email", "email domain", ...).
        match_quality: Probability in [0, 1] that the match is the same person / company.
        provider_confidence: The provider's own confidence in the value, if it gives one.
        fetched_at: When the value was observed (an activity's timestamp, a list's verification
            date, the time of an API call).
        cost: This value's share of the call's cost.
        detail: More evidence for the reviewer ("signature of an email on 2026-10-02").
    """

    field: FieldName
    value: str
    provider: str
    match: str
    match_quality: float
    provider_confidence: float | None = None
    fetched_at: datetime | None = None
    cost: float = 0.0
    detail: str = ""


class ProviderFault(HygieneError):
    """A lookup failed in a way that is counted against the provider; nothing from it is used."""

    def __init__(self, kind: FaultKind, message: str) -> None:
        super().__init__(message)
        self.kind: FaultKind = kind


class Provider(Protocol):
    """An enrichment source.

    Attributes:
        name: Unique name, used as the ``source`` of proposals and in quality figures.
        kind: derived, activity, file or http.
        remote: Whether a lookup is a call to a remote service (rate-limited, possibly paid):
            remote providers run in the waterfall, within the budget; local ones always run.
        cost_per_call: What one lookup costs (0 for local providers and prepaid lists).
        priority: Trust rank of the source, compared with the CRM value's (higher wins).
    """

    name: str
    kind: ProviderKind
    remote: bool
    cost_per_call: float
    priority: int

    def fields_for(self, object_type: ObjectType) -> frozenset[FieldName]:
        """The logical fields this provider can give for ``object_type``."""
        ...

    def can_lookup(self, record: Record) -> bool:
        """Whether the record has what this provider looks records up by (an email, a domain, ...)."""
        ...

    def cached(self, record: Record) -> bool:
        """Whether a lookup would be answered without spending anything (always True when local)."""
        ...

    def lookup(self, record: Record, wanted: frozenset[FieldName]) -> list[FieldCandidate]:
        """Candidates for the ``wanted`` fields (a subset of ``fields_for``); [] when it knows nothing.

        Raises:
            ProviderFault: the lookup failed; the engine counts the fault and uses nothing from it.
        """
        ...

    def close(self) -> None:
        """Releases what the provider holds (connections, a response cache to persist)."""
        ...


class HttpProviderFactory(Protocol):
    """Builds an HTTP provider from its config: the HTTP client is an adapter
    (``adapters/enrich_http.py`` ``HttpProvider``), which the drivers hand to ``build_setup``."""

    def __call__(self, config: HttpConfig, *, secrets: SecretStore | None, priority: int) -> Provider: ...
