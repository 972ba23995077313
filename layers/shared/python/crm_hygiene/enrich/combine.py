"""From candidates to one value per field: confidence, agreement, conflict, and trust against the CRM.

A candidate's confidence is the provider's reliability for the field (its Beta posterior mean)
times how well it matched the record, times the provider's own confidence when it gives one.
Candidates that say the same (per ``Values.same``) are one group; a group's confidence is the
noisy-OR of its providers' (each provider counted once): two independent sources that agree are
likelier right than either. Two groups both at or above ``conflict_floor`` are a conflict: the
source of truth is unclear and the policy blocks the change. A weaker dissenting group lowers the
winner's confidence instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from crm_hygiene.enrich.provider import FieldCandidate
from crm_hygiene.types import FieldName

MAX_CONFIDENCE = 0.99
SUPERSEDED_AFTER = timedelta(days=90)
"""An observation this much older than a confident newer one of another value is out of date."""
Same = Callable[[FieldName, str, str], bool]


@dataclass(frozen=True, slots=True)
class Scored:
    """A candidate with its cleaned value and its confidence (reliability x match x provider's own)."""

    candidate: FieldCandidate
    value: str
    reliability: float
    confidence: float

    def explain(self) -> str:
        c = self.candidate
        own = f" x provider {c.provider_confidence:.2f}" if c.provider_confidence is not None else ""
        detail = f", {c.detail}" if c.detail else ""
        return (f"{c.provider}: {c.match}{detail} (reliability {self.reliability:.2f} x match "
                f"{c.match_quality:.2f}{own} = {self.confidence:.2f})")  # fmt: skip


@dataclass
class Group:
    """Candidates that say the same value, one per provider."""

    value: str
    members: list[Scored] = field(default_factory=list)
    confidence: float = 0.0

    @property
    def providers(self) -> list[str]:
        return [m.candidate.provider for m in self.members]

    @property
    def newest(self) -> datetime | None:
        times = [m.candidate.fetched_at for m in self.members if m.candidate.fetched_at is not None]
        return max(times) if times else None


def score(candidate: FieldCandidate, value: str, reliability: float) -> Scored:
    """Scores one candidate."""
    confidence = reliability * candidate.match_quality
    if candidate.provider_confidence is not None:
        confidence *= candidate.provider_confidence
    return Scored(candidate, value, reliability, min(MAX_CONFIDENCE, max(0.0, confidence)))


def noisy_or(confidences: Sequence[float]) -> float:
    """Probability that at least one of several independent sources is right, capped below 1."""
    miss = 1.0
    for c in confidences:
        miss *= 1.0 - c
    return min(MAX_CONFIDENCE, 1.0 - miss)


def group(name: FieldName, scored: Sequence[Scored], same: Same) -> list[Group]:
    """Groups scored candidates by value, strongest group first."""
    groups: list[Group] = []
    for s in sorted(scored, key=lambda s: -s.confidence):
        home = next((g for g in groups if same(name, g.value, s.value)), None)
        if home is None:
            groups.append(Group(s.value, [s]))
        elif s.candidate.provider not in home.providers:
            home.members.append(s)
    for g in groups:
        g.confidence = noisy_or([m.confidence for m in g.members])
    groups.sort(key=lambda g: -g.confidence)
    return groups


@dataclass(frozen=True)
class Outcome:
    """The value to propose for a field, or why there is none.

    Attributes:
        best: The group proposed (None: the sources confirm the CRM's value, nothing to propose).
        rival: The strongest group that says something else, if any.
        confidence: ``best``'s confidence, lowered by a weak rival.
        conflict: Why the source of truth is unclear, when it is (the policy blocks the change).
        confirmed: The strongest sources agree with the CRM's current value.
    """

    best: Group | None
    rival: Group | None
    confidence: float
    conflict: str | None = None
    confirmed: bool = False
    superseded: bool = False


def _superseded(groups: list[Group], floor: float) -> tuple[list[Group], list[Group]]:
    """(current groups, groups whose every observation is months older than a confident group's latest).

    For values that change over time (employer, title), an observation of the old value from long
    before does not contradict a recent one of a new value: people move. Observations close in time
    that disagree are a conflict. Undated groups are never superseded.
    """
    dated = [g.newest for g in groups if g.newest is not None and g.confidence >= floor]
    if not dated:
        return groups, []
    latest = max(dated)
    old = [g for g in groups if g.newest is not None and g.newest < latest - SUPERSEDED_AFTER]
    return [g for g in groups if g not in old], old


def decide_value(
    name: FieldName,
    groups: list[Group],
    current: str,
    same: Same,
    conflict_floor: float,
    *,
    time_varying: bool = False,
) -> Outcome:
    """Picks the value to propose against the CRM's ``current`` cleaned value ("" when empty).

    ``time_varying`` (employer, title, work email): observations superseded by a newer confident
    one are shown as evidence but neither conflict with nor weaken the newer value.
    """
    live, old = _superseded(groups, conflict_floor) if time_varying else (groups, [])
    best = live[0]
    shadow = old[0] if old else None
    if current and same(name, best.value, current):
        rival = live[1] if len(live) > 1 else shadow
        return Outcome(None, rival, best.confidence, confirmed=True, superseded=rival is shadow)
    rival = live[1] if len(live) > 1 else None
    if rival is None:
        return Outcome(best, shadow, best.confidence, superseded=shadow is not None)
    if rival.confidence >= conflict_floor and best.confidence >= conflict_floor:
        said = "; ".join(
            f"{'+'.join(g.providers)} say {g.value!r} ({g.confidence:.2f})" for g in (best, rival)
        )
        return Outcome(best, rival, best.confidence, conflict=f"source of truth unclear: {said}")
    return Outcome(best, rival, best.confidence * (1.0 - rival.confidence))


def more_trusted(
    candidate_rank: int, existing_rank: int, candidate_at: datetime | None, existing_at: datetime | None
) -> tuple[bool, str]:
    """Whether a provider's value may replace the CRM's: a higher-ranked source, or an equal-ranked one
    observed after the CRM record last changed. An unknown age never wins on age."""
    if candidate_rank > existing_rank:
        return True, f"source rank {candidate_rank} above the CRM value's {existing_rank}"
    if candidate_rank == existing_rank and candidate_at and existing_at and candidate_at > existing_at:
        return (
            True,
            f"same source rank, observed {candidate_at.date()} after the record changed {existing_at.date()}",
        )
    return False, f"the CRM value (rank {existing_rank}) is at least as trusted (rank {candidate_rank})"
