"""The waterfall: which provider is asked about which record, in which order, within which budget.

Local providers (derived, activity log, files) cost nothing and always run. Remote providers run in
rounds: in each round every record that still has open fields (not yet filled at ``stop_at``)
picks the best remote provider it has not asked yet, ranked per field by learned quality and cost
(``rank``); the round's lookups for one provider run concurrently (up to its ``concurrency``),
under its rate limit. A lookup is made only if the run's budget (calls, money) and the provider's
``max_calls`` still allow it; cached answers are free. In a dry run nothing remote is called: the
plan counts the calls each provider would get (at most, and expected from learned fill rates)
and their cost.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from crm_hygiene.enrich.provider import FieldCandidate, Provider, ProviderFault
from crm_hygiene.enrich.quality import Tally
from crm_hygiene.models.record import Record
from crm_hygiene.types import FieldName

Rank = Callable[[Provider, FieldName], float]
FillRate = Callable[[Provider, FieldName], float]


@dataclass(eq=False)
class Work:
    """One record going through the waterfall.

    Attributes:
        open: Fields still wanted from remote providers (not yet filled at ``stop_at``).
        local: Fields to ask local providers about (the open ones at the start).
        watch: Filled fields person-level local providers are asked about too (to spot moves).
        reach: Dry run: probability the record still needs the next remote provider.
    """

    record: Record
    open: set[FieldName]
    local: frozenset[FieldName]
    watch: frozenset[FieldName] = frozenset()
    candidates: list[FieldCandidate] = field(default_factory=list)
    tried: set[str] = field(default_factory=set)
    reach: float = 1.0
    memo: dict[FieldName, tuple[int, Any]] = field(default_factory=dict)
    """The engine's grouped candidates per field (with the candidate count they were built from)."""


@dataclass
class ProviderRun:
    """What one provider did (or, in a dry run, would do) in this run."""

    lookups: int = 0
    calls: int = 0
    cache_hits: int = 0
    cost: float = 0.0
    candidates: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    skipped_budget: int = 0
    expected_calls: float = 0.0

    def summary(self) -> dict[str, object]:
        out: dict[str, object] = {
            "lookups": self.lookups, "calls": self.calls, "cache_hits": self.cache_hits,
            "cost": round(self.cost, 4), "candidates": self.candidates, "faults": dict(self.faults),
            "skipped_budget": self.skipped_budget,
        }  # fmt: skip
        if self.expected_calls:
            out["expected_calls"] = round(self.expected_calls, 1)
        return out


class Budget:
    """The run's spending limits; thread-safe. ``None`` means no limit."""

    def __init__(self, max_calls: int | None = None, max_cost: float | None = None) -> None:
        self.max_calls = max_calls
        self.max_cost = max_cost
        self.calls = 0
        self.cost = 0.0
        self._lock = threading.Lock()

    def reserve(self, cost: float, provider_calls: int, provider_max: int | None) -> bool:
        """Takes one call of ``cost`` if every limit allows it."""
        with self._lock:
            if provider_max is not None and provider_calls >= provider_max:
                return False
            if self.max_calls is not None and self.calls + 1 > self.max_calls:
                return False
            if self.max_cost is not None and self.cost + cost > self.max_cost + 1e-9:
                return False
            self.calls += 1
            self.cost += cost
            return True

    def refund(self, cost: float) -> None:
        """Gives back a call that was never sent (the circuit was open)."""
        with self._lock:
            self.calls -= 1
            self.cost -= cost


class Waterfall:
    """Runs providers over batches of records (see the module docstring)."""

    def __init__(
        self,
        providers: Sequence[Provider],
        *,
        rank: Rank,
        fill_rate: FillRate,
        budget: Budget,
        tally: Tally,
        max_calls: dict[str, int | None] | None = None,
        concurrency: dict[str, int] | None = None,
    ) -> None:
        self.local = [p for p in providers if not p.remote]
        self.remote = [p for p in providers if p.remote]
        self.rank = rank
        self.fill_rate = fill_rate
        self.budget = budget
        self.tally = tally
        self.max_calls = max_calls or {}
        self.concurrency = concurrency or {}
        self.runs: dict[str, ProviderRun] = {p.name: ProviderRun() for p in providers}
        self._pools: dict[str, ThreadPoolExecutor] = {}
        self._lock = threading.Lock()

    def run(self, works: Sequence[Work], assess: Callable[[Work], None], *, dry_run: bool = False) -> None:
        """Fills ``work.candidates``; ``assess`` closes the fields a work no longer needs."""
        self._run_local(works)
        for work in works:
            assess(work)
        while rounds := self._assign(works):
            for provider, batch in rounds.values():
                if dry_run:
                    self._plan(provider, batch)  # open fields stay open: the plan is an upper bound
                    continue
                self._spend(provider, batch)
                for work in batch:
                    assess(work)

    def _run_local(self, works: Sequence[Work]) -> None:
        for provider in self.local:
            for work in works:
                asked = work.local if provider.kind == "derived" else work.local | work.watch
                wanted = asked & provider.fields_for(work.record.object_type)
                if wanted and provider.can_lookup(work.record):
                    self._call(provider, work, wanted)

    def _assign(self, works: Sequence[Work]) -> dict[str, tuple[Provider, list[Work]]]:
        rounds: dict[str, tuple[Provider, list[Work]]] = {}
        for work in works:
            provider = self._next(work)
            if provider is not None:
                work.tried.add(provider.name)
                rounds.setdefault(provider.name, (provider, []))[1].append(work)
        return rounds

    def _next(self, work: Work) -> Provider | None:
        """The best remote provider this record has not asked yet, for its open fields."""
        if not work.open:
            return None
        best: tuple[float, Provider] | None = None
        for provider in self.remote:
            if provider.name in work.tried:
                continue
            fields = work.open & provider.fields_for(work.record.object_type)
            if not fields or not provider.can_lookup(work.record):
                continue
            value = max(self.rank(provider, f) for f in fields)
            if best is None or value > best[0]:
                best = (value, provider)
        return best[1] if best else None

    def _plan(self, provider: Provider, batch: list[Work]) -> None:
        run = self.runs[provider.name]
        for work in batch:
            wanted = work.open & provider.fields_for(work.record.object_type)
            if provider.cached(work.record):
                run.cache_hits += 1
                continue
            if not self.budget.reserve(provider.cost_per_call, run.calls, self.max_calls.get(provider.name)):
                run.skipped_budget += 1
                continue
            run.calls += 1
            run.cost += provider.cost_per_call
            run.expected_calls += work.reach
            filled = max(self.fill_rate(provider, f) for f in wanted)
            work.reach *= 1.0 - filled  # the next provider is needed only if this one leaves a gap

    def _spend(self, provider: Provider, batch: list[Work]) -> None:
        run = self.runs[provider.name]
        calls: list[tuple[Work, frozenset[FieldName], bool]] = []
        for work in batch:
            # the call is made for the open fields; anything else it answers (job fields, the manager) is free
            wanted = frozenset((work.open | work.watch) & provider.fields_for(work.record.object_type))
            cached = provider.cached(work.record)
            if not cached:
                with self._lock:
                    allowed = self.budget.reserve(
                        provider.cost_per_call, run.calls, self.max_calls.get(provider.name)
                    )
                    if allowed:
                        run.calls += 1
                if not allowed:
                    run.skipped_budget += 1
                    continue
            calls.append((work, wanted, cached))
        workers = min(self.concurrency.get(provider.name, 1), len(calls))
        if workers <= 1:
            for work, wanted, cached in calls:
                self._call(provider, work, wanted, cached=cached)
            return
        pool = self._pool(provider.name, workers)
        list(pool.map(lambda c: self._call(provider, c[0], c[1], cached=c[2]), calls))

    def _pool(self, name: str, workers: int) -> ThreadPoolExecutor:
        pool = self._pools.get(name)
        if pool is None:
            pool = ThreadPoolExecutor(max_workers=max(workers, self.concurrency.get(name, 1)))
            self._pools[name] = pool
        return pool

    def _call(
        self, provider: Provider, work: Work, wanted: frozenset[FieldName], *, cached: bool = True
    ) -> None:
        """One lookup: candidates onto the work, counts into the tally; a fault uses nothing."""
        run = self.runs[provider.name]
        cost = 0.0 if cached else provider.cost_per_call
        for name in wanted:
            self.tally.bump(provider.name, name, "lookups")
        try:
            found = provider.lookup(work.record, wanted)
        except ProviderFault as fault:
            self._fault(provider, wanted, fault.kind, cost, run)
            return
        except Exception:  # a provider's bug must not stop a million-record run; it is counted
            self._fault(provider, wanted, "error", cost, run)
            return
        with self._lock:
            run.lookups += 1
            run.cache_hits += cached and provider.remote
            run.cost += cost
            run.candidates += len(found)
        self.tally.spend(provider.name, wanted, cost)
        for name in {c.field for c in found}:
            self.tally.bump(provider.name, name, "filled")
        work.candidates.extend(c for c in found if c.field in wanted)

    def _fault(
        self, provider: Provider, wanted: frozenset[FieldName], kind: str, cost: float, run: ProviderRun
    ) -> None:
        with self._lock:
            run.lookups += 1
            run.faults[kind] += 1
            if kind == "circuit_open" and cost:
                run.calls -= 1
                self.budget.refund(cost)  # never sent
                cost = 0.0
            run.cost += cost
        self.tally.fault(provider.name, wanted, kind)
        self.tally.spend(provider.name, wanted, cost)

    def close(self) -> None:
        for pool in self._pools.values():
            pool.shutdown(wait=True)
        self._pools.clear()
