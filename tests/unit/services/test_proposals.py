"""Survivorship, merge proposals and their decision bands."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crm_hygiene.dedup.config import FieldKind, MatchConfig, SurvivorshipConfig
from crm_hygiene.dedup.engine import find_duplicates
from crm_hygiene.dedup.survivorship import Member, choose_primary, survive
from crm_hygiene.memory import InMemoryCrmStore, InMemoryDecisionMemory
from crm_hygiene.models.change import ProposedChange
from crm_hygiene.models.merge import MergeProposal
from crm_hygiene.models.messages import MergeTask
from crm_hygiene.services.dedup.proposals import band_of, build_proposals
from crm_hygiene.services.merge.core import winners_for
from crm_hygiene.standard.loader import default_standard
from crm_hygiene.standard.model import DataStandard

JAN, JUN = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)


def member(
    rid: str, active: datetime | None = None, created: datetime | None = None, **fields: str
) -> Member:
    return Member(record_id=rid, fields=fields, active=active, created=created)


def test_primary_rules_in_order_and_the_lowest_id_breaks_ties() -> None:
    owned = member("9", owner="Jane", email="a@x.com")
    recent = member("5", JUN, email="a@x.com")
    assert choose_primary([recent, owned], SurvivorshipConfig())[0] is owned  # has an owner wins first
    older = member("7", JAN, created=JAN)
    newer = member("3", JUN, created=JUN)
    rules = SurvivorshipConfig(primary=("oldest",))
    assert choose_primary([newer, older], rules) == (older, "oldest")
    tied = SurvivorshipConfig(primary=("most_complete",))
    assert choose_primary([member("10", email="x"), member("9", email="y")], tied)[0].record_id == "9"


def test_field_winners_and_protected_conflicts() -> None:
    primary = member("1", JUN, owner="Jane", email="jane@acme.com", phone="", lifecycle_stage="Customer")
    other = member(
        "2", JAN, owner="Bob", email="jane.doe@gmail.com", phone="+14155552671", lifecycle_stage="Lead"
    )
    config = SurvivorshipConfig(fields={"email": "union"}, primary=("most_recent_activity",))
    outcome = survive([other, primary], config, lambda name: name in ("owner", "lifecycle_stage"))
    assert outcome.primary is primary
    assert outcome.winners["phone"].value == "+14155552671"  # the primary has none: the latest non-empty
    assert outcome.winners["phone"].source_record == "2"
    assert outcome.winners["email"].value == "jane@acme.com; jane.doe@gmail.com"
    assert outcome.winners["owner"].value == "Jane" and outcome.winners["owner"].rule == "primary"
    assert {c.field for c in outcome.conflicts} == {"owner", "lifecycle_stage"}


KINDS: dict[str, FieldKind] = {"first": "first_name", "last": "last_name", "email": "email"}
COLUMNS = {
    "first": ["Jane", "Jane", "Bob", "Robert"],
    "last": ["Doe", "Doe", "Stone", "Stone"],
    "email": ["jane@acme.com", "jane@acme.com", "bob@stone.io", "bob@stone.io"],
}
OWNERS = ["Ann", "Ann", "Ann", "Tom"]


def _proposals(
    standard: DataStandard | None, memory: InMemoryDecisionMemory | None = None
) -> list[MergeProposal]:
    result = find_duplicates(COLUMNS, KINDS)
    ids = ["r1", "r2", "r3", "r4"]

    def view(row: int) -> Member:
        return Member(
            record_id=ids[row], fields={"owner": OWNERS[row], **{c: v[row] for c, v in COLUMNS.items()}}
        )

    return build_proposals(result, ids, "contact", view, standard=standard, memory=memory)


def _auto_merge(threshold: float = 0.999) -> DataStandard:
    data = default_standard().model_dump()
    data["auto_merge"] = True
    data["match"] = MatchConfig(auto_merge_threshold=threshold).model_dump()
    return DataStandard.model_validate(data)


def test_merges_need_review_unless_the_standard_enables_auto_merge() -> None:
    assert {p.band for p in _proposals(default_standard())} == {"review"}
    assert {p.band for p in _proposals(None)} == {"review"}


def test_auto_merge_only_without_protected_conflicts() -> None:
    by_members = {frozenset(p.members): p for p in _proposals(_auto_merge())}
    assert by_members[frozenset({"r1", "r2"})].band == "auto"
    conflicted = by_members[frozenset({"r3", "r4"})]  # owners Ann and Tom differ
    assert conflicted.band == "review" and "owner" in conflicted.band_reason
    assert conflicted.protected_conflicts[0].values == {"r3": "Ann", "r4": "Tom"}


def test_a_merge_below_the_auto_merge_band_is_reviewed() -> None:
    standard = _auto_merge(threshold=0.999)
    proposal = MergeProposal(
        object_type="contact", members=("a", "b"), match_probability=0.99, suggested_primary="a"
    )
    band, reason = band_of(proposal, standard, True, standard.match, None)
    assert band == "review" and "auto-merge band" in reason
    sure = proposal.model_copy(update={"match_probability": 0.9995})
    assert band_of(sure, standard, True, standard.match, None)[0] == "auto"
    assert band_of(sure, standard, False, standard.match, None)[0] == "review"  # an invalid standard


def test_a_rejected_merge_is_not_proposed_again() -> None:
    first = _proposals(default_standard())
    memory = InMemoryDecisionMemory()
    target = first[0]
    others = [m for m in target.members if m != target.suggested_primary]
    change = ProposedChange(
        record_id=target.suggested_primary, object_type="contact", field="", old_value=", ".join(target.members),
        new_value=f"merge {', '.join(others)} into {target.suggested_primary}", kind="merge", source="dedup",
        evidence="", confidence=0.5,
    )  # fmt: skip
    memory.remember_rejection(change.change_id, "different people", "reviewer")
    again = _proposals(default_standard(), memory)
    assert target.proposal_id not in {p.proposal_id for p in again}
    assert len(again) == len(first) - 1


def test_the_merge_workflow_reads_a_proposal() -> None:
    proposal = _proposals(default_standard())[0]
    task = MergeTask.model_validate({"review_id": "merge-1", "proposal": proposal.model_dump(mode="json")})
    assert task.proposal == proposal and task.primary == proposal.suggested_primary
    # the suggested primary survives: the proposal's own winners, the CRM is not read again
    winners = winners_for(task, InMemoryCrmStore(), default_standard())
    assert winners["email"] == proposal.field_winners["email"].value
    assert proposal.evidence and proposal.evidence_summary.startswith("p=")
    assert len(proposal.pair_keys()) == 1


def test_survivorship_around_a_primary_a_person_chose() -> None:
    # Given the rules would keep 1 (an owner, the latest activity)
    suggested = member("1", JUN, owner="Jane", email="jane@acme.com", phone="", lifecycle_stage="Customer")
    chosen = member("2", JAN, owner="Bob", email="", phone="+14155552671", lifecycle_stage="Lead")
    protected = ("owner", "lifecycle_stage")
    assert survive([suggested, chosen], SurvivorshipConfig(), lambda n: n in protected).primary is suggested
    # When a reviewer fixes 2 as the primary
    outcome = survive([suggested, chosen], SurvivorshipConfig(), lambda n: n in protected, primary_id="2")
    # Then the protected fields keep 2's values, the rules fill what 2 lacks, the conflicts are the same
    assert outcome.primary is chosen and outcome.reason == "chosen by a reviewer"
    assert {n: w.value for n, w in outcome.winners.items()} == {
        "owner": "Bob", "lifecycle_stage": "Lead", "phone": "+14155552671", "email": "jane@acme.com"
    }  # fmt: skip
    assert {c.field for c in outcome.conflicts} == set(protected)
    with pytest.raises(ValueError, match="not a member"):
        survive([suggested, chosen], SurvivorshipConfig(), lambda n: n in protected, primary_id="3")
