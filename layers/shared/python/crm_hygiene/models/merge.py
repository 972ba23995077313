"""Merge proposals: which records are one, why (field by field), which record survives, which value
each field keeps, and whether the merge may happen by itself.

A ``MergeProposal`` is what the review queue shows and what the merge workflow
(``services/merge/core.py``) carries from its start to its Merge step, as JSON: executions may wait a
week for a reviewer across a deploy, so a proposal written by the previous version must still parse
(``tests/data/compat/``). ``MergeApproval`` is the decision that reaches the Merge step.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

from crm_hygiene.types import Confidence, FieldName, FieldRule, ObjectType, RecordId

_VALUE = ConfigDict(frozen=True, extra="forbid")

MergeBand = Literal["auto", "review", "accept_as_new"]
"""``auto``: the standard enables auto-merge, the match is in the auto-merge band and no protected
field differs. ``review``: a person decides. ``accept_as_new``: an incoming record matched nothing
well enough; it is kept as a new record (and the decision is logged)."""

WinnerRule = FieldRule


def pair_key(object_type: ObjectType, a: RecordId, b: RecordId) -> str:
    """The decision-memory key of a pair: the same for (a, b) and (b, a)."""
    low, high = sorted((a, b))
    return f"merge-pair:{object_type}:{low}:{high}"


class Contribution(BaseModel):
    """One comparison's part in a match: its level and its weight in bits (log2 of m / u).

    Attributes:
        comparison: "name", "email", "phone", ...
        level: The level the pair reached ("exact", "nickname", "other address same domain", ...).
        weight: Bits of evidence: positive for a match, negative against.
    """

    model_config = _VALUE

    comparison: str
    level: str
    weight: float


class PairEvidence(BaseModel):
    """Why two records are thought to be one.

    Attributes:
        id_l, id_r: The two records.
        match_probability: The probability reported for the pair (for a pair joined through the
            cluster, the weakest link on the strongest path between them).
        direct_probability: The pair's own score.
        contributions: Each comparison's level and weight, strongest first.
    """

    model_config = _VALUE

    id_l: RecordId
    id_r: RecordId
    match_probability: Confidence
    direct_probability: Confidence
    contributions: tuple[Contribution, ...] = ()


class MatchCandidate(BaseModel):
    """An existing record that an incoming one may duplicate (entry-time matching)."""

    model_config = _VALUE

    record_id: RecordId
    match_probability: Confidence
    contributions: tuple[Contribution, ...] = ()


class FieldWinner(BaseModel):
    """The value a field keeps after the merge, the rule that chose it and the record it comes from."""

    model_config = _VALUE

    value: str
    rule: WinnerRule
    source_record: RecordId
    alternatives: tuple[str, ...] = ()


class ProtectedConflict(BaseModel):
    """A protected field (owner, lifecycle stage, consent, ...) whose members disagree."""

    model_config = _VALUE

    field: FieldName
    values: dict[RecordId, str]


class MergeProposal(BaseModel):
    """A proposed merge of two or more records (see the module docstring).

    Attributes:
        object_type: contact, company or deal.
        members: The records, the suggested primary first.
        match_probability: The weakest link that holds the members together.
        suggested_primary: The record the others merge into.
        primary_reason: Why that one (the survivorship rule that decided).
        field_winners: Field -> the value it keeps.
        protected_conflicts: Protected fields whose values differ (never merged by itself).
        evidence: Per pair of members, the comparisons behind the match.
        evidence_summary: One line for the queue ("email exact +15.1, name typo +13.8, ...").
        band: auto, review or accept_as_new.
        band_reason: Why (the policy's reason).
    """

    model_config = _VALUE

    object_type: ObjectType
    members: tuple[RecordId, ...] = Field(min_length=2)
    match_probability: Confidence
    suggested_primary: RecordId
    primary_reason: str = ""
    field_winners: dict[FieldName, FieldWinner] = Field(default_factory=dict)
    protected_conflicts: tuple[ProtectedConflict, ...] = ()
    evidence: tuple[PairEvidence, ...] = ()
    evidence_summary: str = ""
    band: MergeBand = "review"
    band_reason: str = ""

    @model_validator(mode="before")
    @classmethod
    def _derived_id(cls, data: Any) -> Any:
        # ``proposal_id`` is derived from the members: accepted when reading JSON back, never trusted.
        if isinstance(data, dict) and "proposal_id" in data:
            data = {k: v for k, v in data.items() if k != "proposal_id"}
        return data

    @computed_field  # type: ignore[prop-decorator]
    @property
    def proposal_id(self) -> str:
        """Stable id: the same members give the same id, whatever their order."""
        key = "\x1f".join((self.object_type, *sorted(self.members)))
        return hashlib.sha256(key.encode()).hexdigest()[:24]

    def pair_keys(self) -> list[str]:
        """Decision-memory keys of every pair of members."""
        return pair_keys_of(self.object_type, self.members)


class MergeApproval(BaseModel):
    """The decision the merge workflow hands its Merge step (the task's ``$.decision``).

    A reviewer's approval arrives through SendTaskSuccess from the review API; an auto merge gets the
    workflow's own (``AutoApprove``: reviewer ``policy:auto_merge``, no primary). A rejection never
    reaches the Merge step: it fails the waiting task and ends the workflow, so approval is the only
    decision this payload carries.

    Attributes:
        reviewer: Who approved (``policy:auto_merge`` for the auto band).
        primary_id: The record the reviewer chose to keep instead of the suggested primary, if any;
            the review API accepts only a member of the proposal.
    """

    model_config = _VALUE

    decision: Literal["approve"]
    reviewer: str = ""
    primary_id: RecordId | None = None


def merge_text(members: Sequence[RecordId], primary: RecordId) -> str:
    """What a merge does, in one line: "merge 2, 3 into 1"."""
    others = [m for m in members if m != primary]
    return f"merge {', '.join(others)} into {primary}"


def pair_keys_of(object_type: ObjectType, members: Iterable[RecordId]) -> list[str]:
    """Decision-memory keys of every pair among ``members`` (what a rejected merge is remembered by)."""
    return list(_pairs(object_type, members))


def _pairs(object_type: ObjectType, members: Iterable[RecordId]) -> Iterable[str]:
    ordered = sorted(members)
    for i, a in enumerate(ordered):
        for b in ordered[i + 1 :]:
            yield pair_key(object_type, a, b)
