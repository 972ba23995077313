"""policy.decide(): the only place that says what may change by itself."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_hygiene.models.change import ProposedChange
from crm_hygiene.policy import decide
from crm_hygiene.standard import default_standard, parse_standard
from crm_hygiene.standard.model import DataStandard
from crm_hygiene.types import OBJECT_TYPES, ChangeKind, ObjectType


class Memory:
    def __init__(self, rejected: set[str]) -> None:
        self.rejected = rejected

    def was_rejected(self, key: str) -> bool:
        return key in self.rejected

    def remember_rejection(self, key: str, reason: str, reviewer: str) -> None:
        self.rejected.add(key)


def change(field: str = "phone", old: str = "(415) 867-2671", new: str = "+14158672671", confidence: float = 0.99,
           kind: ChangeKind = "normalize", object_type: ObjectType = "contact", conflict: str | None = None,
           ) -> ProposedChange:  # fmt: skip
    return ProposedChange(
        record_id="1", object_type=object_type, field=field, old_value=old, new_value=new, kind=kind,
        source="test", evidence="test", confidence=confidence, conflict=conflict,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("description", "proposal", "expected"),
    [
        ("a confident format fix applies", change(), "auto"),
        ("below the threshold goes to review", change(confidence=0.9), "review"),
        ("exactly at the threshold applies", change(confidence=0.95), "auto"),
        ("owner is protected", change(field="owner", old="A", new="B"), "review"),
        ("lifecycle stage is protected", change(field="lifecycle_stage", old="lead", new="Lead"), "review"),
        ("deal amount is protected", change(field="amount", old="$1", new="1", object_type="deal"), "review"),
        (
            "consent columns are protected",
            change(field="Marketing contact status", old="a", new="b"),
            "review",
        ),
        ("emptying a field is a delete", change(new=""), "blocked"),
        ("white space only is empty too", change(new="  "), "blocked"),
        ("conflicting evidence is blocked", change(conflict="phone says GB, state says US"), "blocked"),
        ("merges need a reviewer", change(kind="merge"), "review"),
        (
            "enrichment does not overwrite by default",
            change(kind="enrich", old="Acme", new="Acme Corp"),
            "review",
        ),
        (
            "enrichment fills an empty field",
            change(kind="enrich", old="", new="Engineer", field="job_title"),
            "auto",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_decide(description: str, proposal: ProposedChange, expected: str) -> None:
    assert decide(proposal, default_standard()).decision == expected


def test_without_a_valid_standard_nothing_is_auto() -> None:
    assert decide(change(), None).decision == "review"
    assert decide(change(), default_standard(), standard_valid=False).decision == "review"
    off = parse_standard("auto_apply: false\n")
    assert decide(change(), off).decision == "review"


def test_a_rejected_change_is_suppressed() -> None:
    proposal = change()
    assert decide(proposal, default_standard(), memory=Memory({proposal.change_id})).decision == "suppressed"
    assert decide(proposal, default_standard(), memory=Memory(set())).decision == "auto"


def test_field_rules_can_turn_auto_apply_off_and_allow_overwrite() -> None:
    std = parse_standard(
        "objects:\n  contact:\n    fields:\n"
        "      phone: {format: phone_e164, auto_apply: false}\n"
        "      job_title: {format: text, overwrite: true}\n"
    )
    assert decide(change(), std).decision == "review"
    assert decide(change(kind="enrich", field="job_title", old="Eng", new="Engineer"), std).decision == "auto"


def test_auto_merge_only_when_the_standard_enables_it() -> None:
    std = parse_standard("auto_merge: true\n")
    assert decide(change(kind="merge", field="email"), std).decision == "auto"


@given(
    field=st.sampled_from(
        ["owner", "lifecycle_stage", "lead_status", "amount", "stage", "close_date", "consent_x"]
    ),
    object_type=st.sampled_from(OBJECT_TYPES),
    confidence=st.floats(0.0, 1.0),
    kind=st.sampled_from(["normalize", "enrich", "fill_derived", "merge"]),
    old=st.text(max_size=5),
    new=st.text(min_size=1, max_size=5),
)
def test_property_protected_fields_are_never_auto(field: str, object_type: ObjectType, confidence: float,
                                                  kind: ChangeKind, old: str, new: str) -> None:  # fmt: skip
    std: DataStandard = default_standard()
    if not std.for_object(object_type).is_protected(field):
        return
    verdict = decide(change(field, old, new, confidence, kind, object_type), std)
    assert verdict.decision != "auto" and verdict.protected


@given(
    old=st.text(max_size=8), confidence=st.floats(0.0, 1.0), field=st.sampled_from(["phone", "email", "city"])
)
def test_property_nothing_is_ever_emptied(old: str, confidence: float, field: str) -> None:
    for new in ("", " ", "\t"):
        assert decide(change(field, old, new, confidence), default_standard()).decision == "blocked"
