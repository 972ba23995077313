"""Provider quality per field: counters, the Beta reliability they imply, and where they are kept.

Reliability is a Beta posterior: the prior from the providers config, plus one success per value a
reviewer approved and one failure per value rejected (half a failure per value edited: close,
but not right). The counters are additive, so the store's one write operation is "add these
deltas": a JSON file for the CLI (:class:`JsonQualityStore`), DynamoDB items with ``ADD`` updates
for the pipeline (``adapters/aws/quality_store.py``, same :class:`QualityStore` port).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Protocol

from crm_hygiene.csvio import atomic_text
from crm_hygiene.enrich.config import KIND_PRIORS, ProvidersConfig
from crm_hygiene.models.signals import ProviderQualitySignal
from crm_hygiene.types import FieldName

QualityKey = tuple[str, FieldName]
"""(provider name, logical field)."""

EDIT_WEIGHT = 0.5
COUNTERS = ("lookups", "filled", "proposals", "approved", "rejected", "edited", "agreements",
             "disagreements", "faults")  # fmt: skip


@dataclass
class FieldQuality:
    """Additive counters for one provider and one field.

    Attributes:
        lookups: Lookups that asked for the field.
        filled: Lookups that returned a usable value for it.
        proposals: Proposals it backed.
        approved / rejected / edited: Review outcomes of the values it gave.
        agreements / disagreements: Times another source gave the same / a different value.
        faults: Failed lookups that asked for the field (``fault_kinds`` says how they failed).
        cost: Money spent on lookups, shared among the fields each asked for.
    """

    lookups: int = 0
    filled: int = 0
    proposals: int = 0
    approved: int = 0
    rejected: int = 0
    edited: int = 0
    agreements: int = 0
    disagreements: int = 0
    faults: int = 0
    cost: float = 0.0
    fault_kinds: dict[str, int] = field(default_factory=dict)

    def add(self, other: FieldQuality) -> None:
        for name in COUNTERS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.cost = round(self.cost + other.cost, 6)
        for kind, n in other.fault_kinds.items():
            self.fault_kinds[kind] = self.fault_kinds.get(kind, 0) + n

    def fault(self, kind: str) -> None:
        self.faults += 1
        self.fault_kinds[kind] = self.fault_kinds.get(kind, 0) + 1

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> FieldQuality:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})  # type: ignore[arg-type]

    @property
    def reviewed(self) -> int:
        return self.approved + self.rejected + self.edited


@dataclass(frozen=True)
class Reliability:
    """A Beta posterior: ``mean`` is the probability the provider's next value for the field is right."""

    alpha: float
    beta: float

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)


def reliability(quality: FieldQuality | None, prior: tuple[float, float]) -> Reliability:
    """The posterior after the review outcomes in ``quality``, from ``prior`` (alpha, beta)."""
    alpha, beta = prior
    if quality is None:
        return Reliability(alpha, beta)
    return Reliability(alpha + quality.approved, beta + quality.rejected + EDIT_WEIGHT * quality.edited)


def fill_rate(quality: FieldQuality | None) -> float:
    """Share of lookups that gave a value (Laplace-smoothed: 0.5 before any lookup)."""
    if quality is None:
        return 0.5
    return (quality.filled + 1) / (quality.lookups + 2)


class Tally:
    """This run's counters, thread-safe (remote lookups run in a thread pool)."""

    def __init__(self) -> None:
        self.counts: dict[QualityKey, FieldQuality] = {}
        self._lock = threading.Lock()

    def bump(self, provider: str, name: FieldName, counter: str, n: int = 1) -> None:
        with self._lock:
            q = self.counts.setdefault((provider, name), FieldQuality())
            setattr(q, counter, getattr(q, counter) + n)

    def fault(self, provider: str, names: Iterable[FieldName], kind: str) -> None:
        with self._lock:
            for name in names:
                self.counts.setdefault((provider, name), FieldQuality()).fault(kind)

    def spend(self, provider: str, names: Iterable[FieldName], cost: float) -> None:
        chosen = list(names)
        if not chosen or not cost:
            return
        share = cost / len(chosen)
        with self._lock:
            for name in chosen:
                q = self.counts.setdefault((provider, name), FieldQuality())
                q.cost = round(q.cost + share, 6)


class QualityStore(Protocol):
    """Where provider-quality counters (and the review outcomes already counted) are kept."""

    def snapshot(self) -> dict[QualityKey, FieldQuality]:
        """All counters, as of now."""
        ...

    def add(self, deltas: Mapping[QualityKey, FieldQuality], feedback_keys: Iterable[str] = ()) -> None:
        """Adds ``deltas`` and remembers ``feedback_keys`` (review outcomes now counted), atomically."""
        ...

    def seen_feedback(self, key: str) -> bool:
        """Whether a review outcome (by key) was already counted: feeding a file twice counts once."""
        ...

    def was_rejected(self, key: str) -> bool:
        """``DecisionMemory``: whether a reviewer rejected this change (by ``change_id``)."""
        ...

    def remember_rejection(self, key: str, reason: str, reviewer: str) -> None:
        """``DecisionMemory``: records a rejection."""
        ...


class InMemoryQualityStore:
    """``QualityStore`` in dicts (tests, and runs without a state file)."""

    def __init__(self) -> None:
        self.counts: dict[QualityKey, FieldQuality] = {}
        self.feedback: set[str] = set()
        self.rejected: dict[str, str] = {}

    def snapshot(self) -> dict[QualityKey, FieldQuality]:
        out = {}
        for key, q in self.counts.items():
            copy = FieldQuality()
            copy.add(q)
            out[key] = copy
        return out

    def add(self, deltas: Mapping[QualityKey, FieldQuality], feedback_keys: Iterable[str] = ()) -> None:
        for key, delta in deltas.items():
            self.counts.setdefault(key, FieldQuality()).add(delta)
        self.feedback.update(feedback_keys)

    def seen_feedback(self, key: str) -> bool:
        return key in self.feedback

    def was_rejected(self, key: str) -> bool:
        return key in self.rejected

    def remember_rejection(self, key: str, reason: str, reviewer: str) -> None:
        self.rejected[key] = reason


class JsonQualityStore(InMemoryQualityStore):
    """``QualityStore`` in one JSON file, rewritten atomically on every ``add`` / rejection batch.

    Format (version 1): ``{"version": 1, "providers": {name: {field: counters}}, "feedback": [keys],
    "rejected": {change_id: reason}}``.
    """

    def __init__(self, path: str | Path) -> None:
        super().__init__()
        self.path = Path(path)
        if self.path.exists():
            self._load()

    def _load(self) -> None:
        data = json.loads(self.path.read_text(encoding="utf-8"))
        for provider, by_field in data.get("providers", {}).items():
            for name, counters in by_field.items():
                self.counts[(provider, name)] = FieldQuality.from_dict(counters)
        self.feedback = set(data.get("feedback", []))
        self.rejected = dict(data.get("rejected", {}))

    def add(self, deltas: Mapping[QualityKey, FieldQuality], feedback_keys: Iterable[str] = ()) -> None:
        super().add(deltas, feedback_keys)
        self.save()

    def save(self) -> None:
        providers: dict[str, dict[str, object]] = {}
        for (provider, name), q in sorted(self.counts.items()):
            providers.setdefault(provider, {})[name] = asdict(q)
        data = {"version": 1, "providers": providers, "feedback": sorted(self.feedback),
                "rejected": dict(sorted(self.rejected.items()))}  # fmt: skip
        with atomic_text(self.path) as fh:
            json.dump(data, fh, indent=1, ensure_ascii=False)
            fh.write("\n")


_OUTCOME_COUNTERS = {
    "approved": "approved",
    "applied": "approved",
    "rejected": "rejected",
    "edited": "edited",
}


def review_outcome(providers: Iterable[str], name: FieldName, status: str) -> dict[QualityKey, FieldQuality]:
    """The deltas of one reviewed proposal backed by ``providers`` (the pipeline's review queue keeps
    who backed a value, not what each gave, so every backer shares the outcome)."""
    counter = {"approved": "approved", "applied": "approved", "rejected": "rejected", "edited": "edited"}.get(
        status
    )
    if counter is None:
        return {}
    deltas: dict[QualityKey, FieldQuality] = {}
    for provider in providers:
        q = deltas.setdefault((provider, name), FieldQuality())
        setattr(q, counter, getattr(q, counter) + 1)
    return deltas


def prior_for(
    config: ProvidersConfig, provider: str, name: FieldName, kind: str | None = None
) -> tuple[float, float]:
    """The prior a run would use: the config's for the provider, else its type's."""
    configured = {p.name: p for p in config.with_derived().providers}
    item = configured.get(provider)
    if item is not None and item.reliability is not None:
        return item.reliability.for_field(name)
    return KIND_PRIORS[item.type if item is not None else (kind or "http")].for_field(name)


def quality_signals(
    store: QualityStore, config: ProvidersConfig, run_id: str = ""
) -> list[ProviderQualitySignal]:
    """One ``data_provider_quality_signal`` per provider and field the store has counted."""
    return [
        quality_signal(provider, name, q, prior_for(config, provider, name), run_id)
        for (provider, name), q in sorted(store.snapshot().items())
    ]


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def quality_signal(
    provider: str, name: FieldName, q: FieldQuality, prior: tuple[float, float], run_id: str = ""
) -> ProviderQualitySignal:
    """The ``data_provider_quality_signal`` of one provider and field."""
    post = reliability(q, prior)
    reviewed = q.reviewed
    accepted = q.approved + q.edited
    compared = q.agreements + q.disagreements
    return ProviderQualitySignal(
        run_id=run_id,
        provider=provider,
        field=name,
        proposals=q.proposals,
        approved=q.approved,
        rejected=q.rejected,
        edited=q.edited,
        approval_rate=_rate(q.approved, reviewed),
        rejection_rate=_rate(q.rejected, reviewed),
        edit_rate=_rate(q.edited, reviewed),
        agreement_rate=_rate(q.agreements, compared),
        fill_rate=_rate(q.filled, q.lookups),
        lookups=q.lookups,
        filled=q.filled,
        faults=q.faults,
        fault_kinds=dict(sorted(q.fault_kinds.items())),
        cost_total=round(q.cost, 4),
        cost_per_accepted=round(q.cost / accepted, 4) if accepted else None,
        reliability_mean=round(post.mean, 4),
        reliability_alpha=round(post.alpha, 3),
        reliability_beta=round(post.beta, 3),
    )
