"""``Enricher``: records in, proposals out, through the waterfall, the confidence model and the policy.

For each record it works out which fields are open (empty, a placeholder, overwritable under the
standard, or title / company past the decay window), runs the waterfall, combines what the
providers said per field, and turns each result into a ``ProposedChange`` that
:func:`~crm_hygiene.policy.decide.decide` decides, as a queue row of kind ``enrich``; a contact seen
at another employer (or with another title, or writing from another company's address) becomes
``job_change`` rows, a ``relationship_graph_signal`` and former / current associations.

Trust: an empty field is filled; a non-empty one is replaced only where the standard lets
enrichment overwrite it and the new value is more trusted (source rank, then age); a job change is
always reviewed, never applied by itself (this module only ever makes the policy's verdict
stricter, never looser).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from crm_hygiene.enrich.combine import Group, Outcome, Scored, decide_value, group, more_trusted, score
from crm_hygiene.enrich.config import KIND_PRIORS, Prior, ProvidersConfig
from crm_hygiene.enrich.directory import CrmDirectory, email_domain
from crm_hygiene.enrich.fields import DECAYING, JOB_FIELDS, RELATION_FIELDS, FieldMap, Values
from crm_hygiene.enrich.outputs import Association, LedgerEntry, SourceValue
from crm_hygiene.enrich.provider import FieldCandidate, Provider
from crm_hygiene.enrich.quality import (
    FieldQuality,
    QualityKey,
    QualityStore,
    Tally,
    fill_rate,
    quality_signal,
    reliability,
)
from crm_hygiene.enrich.waterfall import Budget, Waterfall, Work
from crm_hygiene.models.change import ProposedChange
from crm_hygiene.models.queue import QueueRow
from crm_hygiene.models.record import Record
from crm_hygiene.models.signals import ProviderQualitySignal, RelationshipSignal
from crm_hygiene.normalize.country import normalize_country
from crm_hygiene.normalize.date import parse_instant
from crm_hygiene.normalize.placeholder import is_placeholder
from crm_hygiene.policy.decide import decide
from crm_hygiene.ports import DecisionMemory
from crm_hygiene.types import ChangeKind, FieldName, QueueKind, status_of
from crm_hygiene.validate.context import CheckContext

_DAY = 86_400.0


@dataclass
class RecordResult:
    """What enrichment proposes for one record."""

    record: Record
    rows: list[QueueRow] = field(default_factory=list)
    auto: list[ProposedChange] = field(default_factory=list)
    ledger: list[LedgerEntry] = field(default_factory=list)
    signals: list[RelationshipSignal] = field(default_factory=list)
    associations: list[Association] = field(default_factory=list)


@dataclass
class RunStats:
    """The run's figures (summary.json)."""

    records: int = 0
    records_with_proposals: int = 0
    by_field: Counter[str] = field(default_factory=Counter)
    by_decision: Counter[str] = field(default_factory=Counter)
    by_kind: Counter[str] = field(default_factory=Counter)
    job_changes: int = 0
    conflicts: int = 0
    confirmed: int = 0
    kept_crm_value: int = 0
    suppressed: int = 0
    re_enrichment_candidates: int = 0
    unusable_values: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class Limits:
    """Per-provider settings the waterfall needs: call cap and concurrency."""

    max_calls: Mapping[str, int | None] = field(default_factory=dict)
    concurrency: Mapping[str, int] = field(default_factory=dict)


class Enricher:
    """Enriches records of one object type (see the module docstring).

    Args:
        providers: The providers, any order (the waterfall ranks them).
        ctx: The standard, object type and "now".
        field_map: Where enrichable fields live in the source.
        config: The providers config (waterfall, trust, decay).
        standard_valid: False makes every proposal review-only (an invalid standard).
        store: Provider-quality counters (reliability is learned from them); updated by ``finish``.
        memory: Rejected proposals are suppressed (defaults to ``store``).
        directory: The CRM's own companies (job changes name company ids through it).
        priors: Per-provider priors from the config.
        limits: Per-provider call caps and concurrency.
        run_id: Stamped on signals.
    """

    def __init__(
        self,
        providers: Sequence[Provider],
        *,
        ctx: CheckContext,
        field_map: FieldMap,
        config: ProvidersConfig | None = None,
        standard_valid: bool = True,
        store: QualityStore | None = None,
        memory: DecisionMemory | None = None,
        directory: CrmDirectory | None = None,
        priors: Mapping[str, Prior] | None = None,
        limits: Limits | None = None,
        run_id: str = "",
    ) -> None:
        self.config = config or ProvidersConfig()
        self.providers = {p.name: p for p in providers}
        self.ctx = ctx
        self.field_map = field_map
        self.values = Values(ctx)
        self.standard_valid = standard_valid
        self.store = store
        self.memory = memory if memory is not None else store
        self.directory = directory or CrmDirectory()
        self.priors = dict(priors or {})
        self.run_id = run_id
        self.known = store.snapshot() if store is not None else {}
        self.tally = Tally()
        self.stats = RunStats()
        self._reliability: dict[QualityKey, float] = {}
        self._lock = threading.Lock()
        waterfall = self.config.waterfall
        limits = limits or Limits()
        self.waterfall = Waterfall(
            providers, rank=self.rank, fill_rate=self.fill_rate, tally=self.tally,
            budget=Budget(waterfall.budget.max_calls, waterfall.budget.max_cost),
            max_calls=dict(limits.max_calls), concurrency=dict(limits.concurrency),
        )  # fmt: skip
        self.stop_at = waterfall.stop_at
        self.floor = waterfall.conflict_floor
        self.existing_rank = self.config.trust.rank(self.config.trust.existing_source)
        self.decay_days = self.config.decay_days or ctx.rules.staleness.max_days_without_activity
        targets = field_map.targets
        people = field_map.object_type == "contact"
        self._watch = RELATION_FIELDS | {n for n in JOB_FIELDS if n in targets and people}
        self._decaying = frozenset(n for n in DECAYING if n in targets)
        self.overwritable = frozenset(
            name for name, target in field_map.targets.items()
            if (rule := ctx.rules.fields.get(target)) is not None and rule.overwrite
        )  # fmt: skip

    # --- learned quality --------------------------------------------------------------------------------

    def prior(self, provider: Provider, name: FieldName) -> tuple[float, float]:
        """(alpha, beta) of a provider's prior reliability for a field."""
        chosen = self.priors.get(provider.name) or KIND_PRIORS[provider.kind]
        return chosen.for_field(name)

    def reliability(self, provider: Provider, name: FieldName) -> float:
        """The provider's reliability for a field: its Beta posterior mean from past review outcomes."""
        key = (provider.name, name)
        found = self._reliability.get(key)
        if found is None:
            found = reliability(self.known.get(key), self.prior(provider, name)).mean
            self._reliability[key] = found
        return found

    def fill_rate(self, provider: Provider, name: FieldName) -> float:
        return fill_rate(self.known.get((provider.name, name)))

    def rank(self, provider: Provider, name: FieldName) -> float:
        """Waterfall order: expected right values per unit of cost (reliability x fill rate / cost)."""
        value = self.reliability(provider, name) * self.fill_rate(provider, name)
        return value / max(provider.cost_per_call, 0.001)

    # --- a batch ----------------------------------------------------------------------------------------

    def enrich(self, records: Sequence[Record]) -> list[RecordResult]:
        """Enriches a batch (remote lookups of a batch run concurrently); one result per record."""
        return [self._result(w) for w in self._look_up(records)]

    def enrich_batches(self, batches: Iterable[Sequence[Record]]) -> Iterator[list[RecordResult]]:
        """Enriches consecutive batches; a batch's lookups run while the previous batch's proposals are
        built, so remote providers are not left idle (their rate limit is the bottleneck of a run)."""
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="enrich-ahead") as ahead:
            pending: Future[list[Work]] | None = None
            for batch in batches:
                following = ahead.submit(self._look_up, batch)
                if pending is not None:
                    yield [self._result(w) for w in pending.result()]
                pending = following
            if pending is not None:
                yield [self._result(w) for w in pending.result()]

    def _look_up(self, records: Sequence[Record]) -> list[Work]:
        works = [self._work(r) for r in records]
        self.waterfall.run(works, self._assess)
        return works

    def plan(self, records: Sequence[Record]) -> None:
        """Dry run: local providers run, remote ones are only counted (``waterfall.runs``)."""
        works = [self._work(r) for r in records]
        self.waterfall.run(works, self._assess, dry_run=True)

    def _work(self, record: Record) -> Work:
        self.stats.records += 1
        open_: set[FieldName] = set()
        for name in self.field_map.targets:
            raw = self.field_map.value(record, name).strip()
            if not raw or is_placeholder(raw, name) or name in self.overwritable:
                open_.add(name)
        local = frozenset(open_)
        if record.object_type == "contact" and self._decayed(record):
            self.stats.re_enrichment_candidates += 1
            open_.update(self._decaying)
        return Work(record, open_, local, self._watch)

    def _decayed(self, record: Record) -> bool:
        if self.decay_days is None:
            return False
        changed = parse_instant(record.get("updated_at") or record.get("created_at"))
        return changed is not None and (self.ctx.as_of - changed).total_seconds() > self.decay_days * _DAY

    def _country(self, record: Record) -> str | None:
        raw = record.get("country")
        return normalize_country(raw).value if raw else None

    def _groups(self, record: Record, name: FieldName, candidates: Iterable[FieldCandidate]) -> list[Group]:
        country = self._country(record)
        scored: list[Scored] = []
        for c in candidates:
            value = self.values.clean(name, c.value, country)
            if value is None:
                with self._lock:  # counted from the look-ahead thread too
                    self.stats.unusable_values[c.provider] += 1
                continue
            scored.append(score(c, value, self.reliability(self.providers[c.provider], name)))
        return group(name, scored, self.values.same)

    def _assess(self, work: Work) -> None:
        """Closes the open fields now filled at ``stop_at`` without a serious rival."""
        for name in list(work.open):
            found = [c for c in work.candidates if c.field == name]
            if not found:
                continue
            groups = self._groups(work.record, name, found)
            work.memo[name] = (len(found), groups)
            if groups and groups[0].confidence >= self.stop_at:
                if len(groups) == 1 or groups[1].confidence < self.floor:
                    work.open.discard(name)

    # --- from candidates to proposals -----------------------------------------------------------------

    def _current(self, record: Record, name: FieldName) -> tuple[str, str]:
        """(raw value, cleaned value or "" when blank / placeholder / invalid)."""
        raw = self.field_map.value(record, name)
        if not raw.strip():
            return raw, ""
        return raw, self.values.clean(name, raw, self._country(record)) or ""

    def _result(self, work: Work) -> RecordResult:
        record = work.record
        result = RecordResult(record)
        by_field: dict[FieldName, list[FieldCandidate]] = {}
        for c in work.candidates:
            by_field.setdefault(c.field, []).append(c)
        outcomes: dict[FieldName, Outcome] = {}
        for name, found in by_field.items():
            if name in RELATION_FIELDS or name not in self.field_map.targets:
                continue
            memo = work.memo.get(name)
            groups = (
                memo[1] if memo is not None and memo[0] == len(found) else self._groups(record, name, found)
            )
            if groups:
                self._count_agreement(groups)
                current = self._current(record, name)[1]
                outcomes[name] = decide_value(
                    name, groups, current, self.values.same, self.floor, time_varying=name in JOB_FIELDS
                )
        moves = self._moves(record, outcomes) if record.object_type == "contact" else set()
        for name, outcome in outcomes.items():
            if name not in moves:
                self._propose_field(record, name, outcome, result)
        if moves:
            self._propose_job_change(record, moves, outcomes, result)
        self._reports_to(record, by_field, result)
        if result.rows:
            self.stats.records_with_proposals += 1
        return result

    def _count_agreement(self, groups: list[Group]) -> None:
        for g in groups:
            for m in g.members:
                if len(g.members) > 1:
                    self.tally.bump(m.candidate.provider, m.candidate.field, "agreements")
                if len(groups) > 1:
                    self.tally.bump(m.candidate.provider, m.candidate.field, "disagreements")

    def _person_level(self, g: Group) -> bool:
        return any(self.providers[m.candidate.provider].kind != "derived" for m in g.members)

    def _moves(self, record: Record, outcomes: Mapping[FieldName, Outcome]) -> set[FieldName]:
        """Job fields where a person-level source says something else than the CRM's (valid) value."""
        moves: set[FieldName] = set()
        for name in JOB_FIELDS:
            outcome = outcomes.get(name)
            current = self._current(record, name)[1]
            if outcome is None or outcome.best is None or not current or not self._person_level(outcome.best):
                continue
            if name == "email" and email_domain(outcome.best.value) in ("", email_domain(current)):
                continue  # another address at the same company (or a personal one) is not a move
            moves.add(name)
        return moves

    def _trusted_rank(self, g: Group) -> int:
        return max(self.providers[p].priority for p in g.providers)

    def _propose_field(self, record: Record, name: FieldName, outcome: Outcome, result: RecordResult) -> None:
        if outcome.best is None:
            self.stats.confirmed += 1
            return
        raw, current = self._current(record, name)
        note = ""
        if current:
            if name not in self.overwritable:
                self.stats.kept_crm_value += 1
                return
            changed = parse_instant(record.get("updated_at") or record.get("created_at"))
            ok, why = more_trusted(
                self._trusted_rank(outcome.best), self.existing_rank, outcome.best.newest, changed
            )
            if not ok:
                self.stats.kept_crm_value += 1
                return
            note = f"replaces the CRM value: {why}; "
        derived = all(self.providers[p].kind == "derived" for p in outcome.best.providers)
        kind: ChangeKind = "fill_derived" if derived else "enrich"
        row = self._emit(record, name, raw, outcome, "enrich", kind, note, result)
        if (
            row is not None
            and name == "company"
            and record.object_type == "contact"
            and row.decision != "blocked"
        ):
            self._works_at(record, outcome, result)

    def _emit(
        self,
        record: Record,
        name: FieldName,
        old: str,
        outcome: Outcome,
        queue_kind: QueueKind,
        change_kind: ChangeKind,
        note: str,
        result: RecordResult,
    ) -> QueueRow | None:
        best = outcome.best
        assert best is not None
        target = self.field_map.targets[name]
        evidence = note + self._evidence(outcome)
        change = ProposedChange(
            record_id=record.record_id, object_type=record.object_type, field=target, old_value=old,
            new_value=best.value, kind=change_kind, source="+".join(best.providers), evidence=evidence,
            confidence=round(outcome.confidence, 4), conflict=outcome.conflict,
        )  # fmt: skip
        verdict = decide(change, self.ctx.standard, standard_valid=self.standard_valid, memory=self.memory)
        if verdict.decision == "suppressed":
            self.stats.suppressed += 1
            return None
        decision, reason = verdict.decision, verdict.reason
        if queue_kind == "job_change" and decision == "auto":
            decision, reason = "review", "a job change is always reviewed"
        row = QueueRow(
            record_id=record.record_id, object_type=record.object_type, kind=queue_kind, field=target,
            current_value=old, suggested_value=best.value, evidence=f"{evidence} [decision: {reason}]",
            confidence=change.confidence, protected=verdict.protected, decision=decision,
            status=status_of(decision),
        )  # fmt: skip
        result.rows.append(row)
        if decision == "auto":
            result.auto.append(change)
        result.ledger.append(self._ledger(change, name, queue_kind, row, outcome))
        for provider in best.providers:
            self.tally.bump(provider, name, "proposals")
        self.stats.by_field[target] += 1
        self.stats.by_decision[decision] += 1
        self.stats.by_kind[queue_kind] += 1
        self.stats.conflicts += outcome.conflict is not None
        return row

    def _ledger(
        self, change: ProposedChange, name: FieldName, kind: QueueKind, row: QueueRow, outcome: Outcome
    ) -> LedgerEntry:
        def values(g: Group | None) -> list[SourceValue]:
            if g is None:
                return []
            return [
                SourceValue(
                    provider=m.candidate.provider,
                    value=m.value,
                    confidence=round(m.confidence, 4),
                    match=m.candidate.match,
                    provider_kind=self.providers[m.candidate.provider].kind,
                )
                for m in g.members
            ]

        return LedgerEntry(
            change_id=change.change_id, record_id=change.record_id, object_type=change.object_type,
            field=change.field, logical_field=name, kind=kind, old_value=change.old_value,
            new_value=change.new_value, decision=row.decision, confidence=change.confidence,
            sources=values(outcome.best), dissent=values(outcome.rival),
        )  # fmt: skip

    @staticmethod
    def _evidence(outcome: Outcome) -> str:
        best = outcome.best
        assert best is not None
        text = " + ".join(m.explain() for m in best.members)
        if len(best.members) > 1:
            text += f"; {len(best.members)} sources agree: {best.confidence:.2f}"
        rival = outcome.rival
        if rival is not None:
            when = f", earlier: {rival.newest.date()}" if outcome.superseded and rival.newest else ""
            text += f"; {'+'.join(rival.providers)} said {rival.value!r} ({rival.confidence:.2f}{when})"
        return text

    # --- people moving ----------------------------------------------------------------------------------

    def _propose_job_change(
        self,
        record: Record,
        moves: set[FieldName],
        outcomes: Mapping[FieldName, Outcome],
        result: RecordResult,
    ) -> None:
        company_now, title_now = record.get("company").strip(), record.get("job_title").strip()
        new: dict[FieldName, str] = {}
        shown: list[QueueRow] = []
        disputed = next((o.conflict for n in JOB_FIELDS if n in moves and (o := outcomes[n]).conflict), None)
        if disputed:  # sources disagree on one part of the move: the whole move is unclear
            outcomes = {
                n: replace(o, conflict=o.conflict or disputed) if n in moves else o
                for n, o in outcomes.items()
            }
        was = f"job change: was {company_now or '?'!r}" + (f" / {title_now!r}" if title_now else "") + "; "
        for name in JOB_FIELDS:
            if name in moves:
                outcome = outcomes[name]
                assert outcome.best is not None
                new[name] = outcome.best.value
                old = self._current(record, name)[0]
                row = self._emit(record, name, old, outcome, "job_change", "enrich", was, result)
                if row is not None:
                    shown.append(row)
        if not shown or all(r.decision == "blocked" for r in shown):
            return  # rejected before, or the sources disagree: no move is signalled
        self.stats.job_changes += 1
        self._signal_move(record, moves, outcomes, new, result)

    def _signal_move(
        self,
        record: Record,
        moves: set[FieldName],
        outcomes: Mapping[FieldName, Outcome],
        new: dict[FieldName, str],
        result: RecordResult,
    ) -> None:
        company_now, title_now = record.get("company").strip(), record.get("job_title").strip()
        old_ref = self.directory.company(email_domain(record.get("email")))
        new_ref = self.directory.company(email_domain(new["email"])) if "email" in new else None
        to_company = new.get("company") or (new_ref.name if new_ref else None)
        lead = next(outcomes[n] for n in JOB_FIELDS if n in moves)
        groups = [outcomes[n].best for n in JOB_FIELDS if n in moves]
        sources = sorted({p for g in groups if g is not None for p in g.providers})
        observed = max((t for g in groups if g is not None and (t := g.newest) is not None), default=None)
        evidence = self._evidence(lead)
        result.signals.append(RelationshipSignal(
            run_id=self.run_id, relation="job_change", person_id=record.record_id,
            from_company=company_now or None, to_company=to_company or company_now or None,
            from_title=title_now or None, to_title=new.get("job_title") or title_now or None,
            evidence=evidence, source="+".join(sources), confidence=round(lead.confidence, 4),
            observed_at=observed, from_company_id=old_ref.record_id if old_ref else None,
            to_company_id=new_ref.record_id if new_ref else None,
        ))  # fmt: skip
        if to_company and not (company_now and self.values.same("company", company_now, to_company)):
            since = parse_instant(record.get("created_at"))
            old_id, new_id = (
                (old_ref.record_id if old_ref else None),
                (new_ref.record_id if new_ref else None),
            )
            result.associations.append(Association(
                person_id=record.record_id, company=company_now or "?", company_id=old_id, status="former",
                since=since, until=observed, source="+".join(sources), evidence=evidence,
            ))  # fmt: skip
            result.associations.append(Association(
                person_id=record.record_id, company=to_company, company_id=new_id, status="current",
                since=observed, source="+".join(sources), evidence=evidence,
            ))  # fmt: skip

    def _works_at(self, record: Record, outcome: Outcome, result: RecordResult) -> None:
        best = outcome.best
        assert best is not None
        ref = self.directory.company(email_domain(record.get("email")))
        evidence = self._evidence(outcome)
        result.signals.append(RelationshipSignal(
            run_id=self.run_id, relation="works_at", person_id=record.record_id, to_company=best.value,
            to_company_id=ref.record_id if ref else None, evidence=evidence, source="+".join(best.providers),
            confidence=round(outcome.confidence, 4), observed_at=best.newest,
        ))  # fmt: skip
        result.associations.append(Association(
            person_id=record.record_id, company=best.value, company_id=ref.record_id if ref else None,
            status="current", since=best.newest, source="+".join(best.providers), evidence=evidence,
        ))  # fmt: skip

    def _reports_to(
        self, record: Record, by_field: Mapping[FieldName, list[FieldCandidate]], result: RecordResult
    ) -> None:
        managers = by_field.get("reports_to", []) + by_field.get("reports_to_name", [])
        if not managers:
            return
        best = max(
            managers,
            key=lambda c: self.reliability(self.providers[c.provider], "reports_to") * c.match_quality,
        )
        names = [c.value for c in by_field.get("reports_to_name", []) if c.provider == best.provider]
        confidence = self.reliability(self.providers[best.provider], "reports_to") * best.match_quality
        result.signals.append(RelationshipSignal(
            run_id=self.run_id, relation="reports_to", person_id=record.record_id,
            related_person_name=names[0] if names else None,
            related_person_id=self.directory.person(best.value) if best.field == "reports_to" else None,
            evidence=f"{best.provider}: org data ({best.match})", source=best.provider,
            confidence=round(min(0.99, confidence), 4), observed_at=best.fetched_at,
        ))  # fmt: skip

    # --- the end of a run -------------------------------------------------------------------------------

    def finish(self, *, dry_run: bool = False) -> list[ProviderQualitySignal]:
        """Closes the providers, adds this run's counters to the store (not in a dry run) and returns
        one quality signal per provider and field."""
        self.waterfall.close()
        for provider in self.providers.values():
            provider.close()
        if dry_run:
            return []
        counts = self.tally.counts
        if self.store is not None:
            self.store.add(counts)
            merged = self.store.snapshot()
        else:
            merged = {}
            for key, q in counts.items():
                merged.setdefault(key, FieldQuality()).add(q)
        return [
            quality_signal(p, f, q, self.prior(self.providers[p], f), self.run_id)
            for (p, f), q in sorted(merged.items())
            if p in self.providers and q.lookups + q.reviewed > 0
        ]

    def summary(self) -> dict[str, object]:
        """The run's figures for summary.json."""
        s = self.stats
        budget = self.waterfall.budget
        return {
            "records": s.records,
            "records_with_proposals": s.records_with_proposals,
            "proposals_by_field": dict(s.by_field.most_common()),
            "proposals_by_decision": {d: s.by_decision.get(d, 0) for d in ("auto", "review", "blocked")},
            "proposals_by_kind": dict(s.by_kind),
            "job_changes": s.job_changes,
            "conflicts": s.conflicts,
            "confirmed_crm_values": s.confirmed,
            "kept_crm_values": s.kept_crm_value,
            "suppressed": s.suppressed,
            "re_enrichment_candidates": s.re_enrichment_candidates,
            "unusable_provider_values": dict(s.unusable_values),
            "fields": dict(self.field_map.targets),
            "stop_at": self.stop_at,
            "budget": {
                "max_calls": budget.max_calls,
                "max_cost": budget.max_cost,
                "calls": budget.calls,
                "cost": round(budget.cost, 4),
            },  # fmt: skip
            "providers": {
                name: {"kind": p.kind, "remote": p.remote, **self.waterfall.runs[name].summary()}
                for name, p in self.providers.items()
            },
        }
