"""Survivorship: which record of a duplicate group survives, and which value each field keeps.

The primary is chosen by rules in order (``SurvivorshipConfig.primary``): has an owner, most recent
activity, most complete, oldest; the first rule that singles out one record decides, and the lowest
id breaks a tie. Each field's winner follows its rule: the primary's value (or, when the primary
has none, the most recent non-empty one), the most recent, the most complete (longest), the most
trusted source's, or the union of distinct values. Protected fields whose values differ are
reported: such a merge always goes to a person.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import assert_never

from crm_hygiene.dedup.config import SurvivorshipConfig
from crm_hygiene.models.merge import FieldWinner, ProtectedConflict
from crm_hygiene.types import FieldName, FieldRule, PrimaryRule, RecordId

# Ids and timestamps: never merged field by field, never counted towards completeness.
META_FIELDS = frozenset({"record_id", "created_at", "updated_at", "last_activity_at"})


@dataclass(frozen=True)
class Member:
    """One record of a duplicate group, as survivorship sees it.

    Attributes:
        record_id: Its id.
        fields: Field -> value ("" when blank).
        source: Where it came from (for ``most_trusted_source``).
        created: When it was created, if known.
        active: Its last activity (or last modification), if known.
    """

    record_id: RecordId
    fields: Mapping[FieldName, str]
    source: str = ""
    created: datetime | None = None
    active: datetime | None = None
    filled: int = field(default=-1)

    def completeness(self) -> int:
        if self.filled >= 0:
            return self.filled
        return sum(1 for name, v in self.fields.items() if name not in META_FIELDS and v.strip())


def _id_key(record_id: RecordId) -> tuple[int, int, str]:
    """Numeric ids in numeric order, then the others in text order."""
    return (0, int(record_id), "") if record_id.isdigit() else (1, 0, record_id)


def _by_rule(rule: PrimaryRule) -> Callable[[Member], float]:
    if rule == "has_owner":
        return lambda m: 1.0 if m.fields.get("owner", "").strip() else 0.0
    if rule == "most_recent_activity":
        return lambda m: m.active.timestamp() if m.active else float("-inf")
    if rule == "most_complete":
        return lambda m: float(m.completeness())
    if rule == "oldest":
        return lambda m: -m.created.timestamp() if m.created else float("-inf")
    assert_never(rule)  # a new PrimaryRule needs its score here (mypy says so)


def choose_primary(members: Sequence[Member], config: SurvivorshipConfig) -> tuple[Member, str]:
    """(the suggested primary, the rule that chose it)."""
    pool = sorted(members, key=lambda m: _id_key(m.record_id))
    for rule in config.primary:
        score = _by_rule(rule)
        best = max(score(m) for m in pool)
        leaders = [m for m in pool if score(m) == best]
        if len(leaders) == 1:
            return leaders[0], rule.replace("_", " ")
        pool = leaders
    return pool[0], "lowest id (every rule tied)"


def _differ(values: Sequence[str]) -> bool:
    """Whether the values differ beyond case and spacing; a blank is a value like any other."""
    return len({" ".join(v.split()).casefold() for v in values}) > 1


def _distinct(values: Sequence[str]) -> list[str]:
    seen: dict[str, str] = {}
    for value in values:
        key = " ".join(value.split()).casefold()
        if key and key not in seen:
            seen[key] = value.strip()
    return list(seen.values())


def _latest(members: Sequence[Member], name: FieldName) -> Member | None:
    filled = [m for m in members if m.fields.get(name, "").strip()]
    if not filled:
        return None
    # max() keeps the first of equals: ties go to the earlier member (the primary comes first).
    return max(filled, key=lambda m: m.active.timestamp() if m.active else float("-inf"))


def field_winner(
    name: FieldName, rule: FieldRule, primary: Member, members: Sequence[Member], sources: Sequence[str]
) -> FieldWinner | None:
    """The value ``name`` keeps, or None when no member has one."""
    values = _distinct([m.fields.get(name, "") for m in members])
    if not values:
        return None
    if rule == "union":
        return FieldWinner(value="; ".join(values), rule=rule, source_record=primary.record_id)
    filled = [m for m in members if m.fields.get(name, "").strip()]
    latest = _latest(filled, name) or filled[0]
    if rule == "primary":
        chosen = primary if primary.fields.get(name, "").strip() else latest
    elif rule == "most_recent":
        chosen = latest
    elif rule == "most_complete":
        chosen = max(filled, key=lambda m: len(m.fields[name].strip()))
    elif rule == "most_trusted_source":
        chosen = _most_trusted(filled, name, sources)
    else:
        assert_never(rule)  # a new FieldRule needs its choice here (mypy says so)
    value = chosen.fields[name].strip()
    others = tuple(v for v in values if v.casefold() != value.casefold())
    return FieldWinner(value=value, rule=rule, source_record=chosen.record_id, alternatives=others)


def _most_trusted(members: Sequence[Member], name: FieldName, sources: Sequence[str]) -> Member:
    order = {source: i for i, source in enumerate(sources)}
    filled = [m for m in members if m.fields.get(name, "").strip()]
    return min(filled, key=lambda m: (order.get(m.source, len(order)), _id_key(m.record_id)))


@dataclass(frozen=True)
class Survivorship:
    """The survivorship outcome of one group."""

    primary: Member
    reason: str
    winners: dict[FieldName, FieldWinner]
    conflicts: tuple[ProtectedConflict, ...]


def survive(
    members: Sequence[Member],
    config: SurvivorshipConfig,
    is_protected: Callable[[FieldName], bool],
    primary_id: RecordId | None = None,
) -> Survivorship:
    """Primary, field winners and protected-field conflicts of a duplicate group.

    Args:
        members: The group's records.
        config: The primary rules and the field rules.
        is_protected: Whether a field is protected (it keeps the primary's value).
        primary_id: A primary fixed by a person instead of chosen by the rules; the field winners
            then follow the same rules around that record.

    Raises:
        ValueError: ``primary_id`` is not one of ``members``.
    """
    if primary_id is None:
        primary, reason = choose_primary(members, config)
    else:
        chosen = [m for m in members if m.record_id == primary_id]
        if not chosen:
            raise ValueError(f"primary {primary_id} is not a member of the group")
        primary, reason = chosen[0], "chosen by a reviewer"
    members = [primary, *(m for m in members if m is not primary)]
    names = sorted({name for m in members for name in m.fields} - META_FIELDS)
    winners: dict[FieldName, FieldWinner] = {}
    conflicts: list[ProtectedConflict] = []
    for name in names:
        protected = is_protected(name)
        rule: FieldRule = "primary" if protected else config.fields.get(name, config.default_field_rule)
        winner = field_winner(name, rule, primary, members, config.source_priority)
        if winner is not None:
            winners[name] = winner
        if protected and _differ([m.fields.get(name, "") for m in members]):
            # blank counts: "true" (do not e-mail) against nothing is a difference a person settles
            values = {m.record_id: m.fields.get(name, "").strip() for m in members}
            conflicts.append(ProtectedConflict(field=name, values=values))
    return Survivorship(primary, reason, winners, tuple(conflicts))
