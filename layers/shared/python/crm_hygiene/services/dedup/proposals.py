"""Merge proposals from a deduplication result: one per cluster, with survivorship, evidence and a
decision band from the policy.

A merge is ``auto`` only when the policy allows it (a valid standard that enables ``auto_merge``),
its probability is in the auto-merge band (``MatchConfig.auto_merge_threshold``) and no protected
field differs among the members; otherwise a person reviews it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from crm_hygiene.dedup.config import MatchConfig
from crm_hygiene.dedup.engine import DedupResult
from crm_hygiene.dedup.survivorship import Member, survive
from crm_hygiene.models.change import ProposedChange
from crm_hygiene.models.merge import Contribution, MergeBand, MergeProposal, PairEvidence, merge_text
from crm_hygiene.policy.decide import decide
from crm_hygiene.ports import DecisionMemory
from crm_hygiene.services.members import protection_of
from crm_hygiene.standard.model import DataStandard
from crm_hygiene.types import ObjectType, RecordId

_EVIDENCE_PAIRS = 15  # pairs of a large cluster shown in full; the rest are summarised by the weakest link


def clusters_of(result: DedupResult) -> list[tuple[list[int], list[int]]]:
    """(member rows, proposed-pair indexes) of every cluster of two or more records."""
    if len(result.left) == 0:
        return []
    pair_label = result.labels[result.left]
    order = np.argsort(pair_label, kind="stable")
    starts = np.concatenate(([0], np.flatnonzero(np.diff(pair_label[order])) + 1, [len(order)]))
    row_order = np.argsort(result.labels, kind="stable")
    sorted_labels = result.labels[row_order]
    out = []
    for i in range(len(starts) - 1):
        pairs = order[starts[i] : starts[i + 1]].tolist()
        label = int(pair_label[pairs[0]])
        lo = int(np.searchsorted(sorted_labels, label, side="left"))
        hi = int(np.searchsorted(sorted_labels, label, side="right"))
        out.append((sorted(row_order[lo:hi].tolist()), pairs))
    return out


def pair_evidence(result: DedupResult, i: int, ids: Sequence[RecordId]) -> PairEvidence:
    """The evidence of proposed pair ``i``."""
    return PairEvidence(
        id_l=ids[int(result.left[i])],
        id_r=ids[int(result.right[i])],
        match_probability=float(result.probability[i]),
        direct_probability=float(result.direct[i]),
        contributions=tuple(
            Contribution(comparison=name, level=level, weight=weight)
            for name, level, weight in result.evidence(i)
        ),
    )


def summary_of(evidence: PairEvidence, pairs: int) -> str:
    """One line: the weakest link's probability and its comparisons ("email exact +15.1, ...")."""
    parts = ", ".join(f"{c.comparison} {c.level} {c.weight:+.1f}" for c in evidence.contributions)
    more = f" (weakest of {pairs} pairs)" if pairs > 1 else ""
    return f"p={evidence.match_probability:.4f}{more}: {parts}"


def band_of(
    proposal: MergeProposal,
    standard: DataStandard | None,
    standard_valid: bool,
    config: MatchConfig,
    memory: DecisionMemory | None,
) -> tuple[MergeBand | None, str]:
    """(band, reason); band None when a reviewer already rejected this same merge."""
    primary = proposal.suggested_primary
    change = ProposedChange(
        record_id=primary,
        object_type=proposal.object_type,
        field="",
        old_value=", ".join(proposal.members),
        new_value=merge_text(proposal.members, primary),
        kind="merge",
        source="dedup",
        evidence=proposal.evidence_summary,
        confidence=proposal.match_probability,
    )
    verdict = decide(change, standard, standard_valid=standard_valid, memory=memory)
    if verdict.decision == "suppressed":
        return None, verdict.reason
    if proposal.protected_conflicts:
        fields = ", ".join(c.field for c in proposal.protected_conflicts)
        return "review", f"protected fields differ ({fields}): a person decides"
    if verdict.decision != "auto":
        return "review", verdict.reason
    if proposal.match_probability < config.auto_merge_threshold:
        band = config.auto_merge_threshold
        return "review", f"probability {proposal.match_probability:.4f} is below the auto-merge band ({band})"
    return "auto", verdict.reason


def build_proposals(
    result: DedupResult,
    ids: Sequence[RecordId],
    object_type: ObjectType,
    member: Callable[[int], Member],
    *,
    standard: DataStandard | None,
    standard_valid: bool = True,
    memory: DecisionMemory | None = None,
) -> list[MergeProposal]:
    """A merge proposal per cluster (see the module docstring), strongest first.

    Args:
        result: What ``find_duplicates`` found.
        ids: Record id per row.
        object_type: contact, company or deal.
        member: The survivorship view of a row (its fields, source and dates).
        standard: The clean-record standard (protected fields, auto-merge); None: review everything.
        standard_valid: Whether the standard is valid (an invalid one makes everything review).
        memory: Reviewers' rejections: a rejected merge is not proposed again.
    """
    config = standard.match if standard is not None else MatchConfig()
    rules = standard.for_object(object_type) if standard is not None else None
    out = []
    for rows, pairs in clusters_of(result):
        group = [member(r) for r in rows]
        outcome = survive(group, config.survivorship, protection_of(rules, group))
        weakest = min(pairs, key=lambda i: (float(result.probability[i]), i))
        shown = sorted(pairs, key=lambda i: -float(result.probability[i]))[:_EVIDENCE_PAIRS]
        if weakest not in shown:
            shown[-1] = weakest
        evidence = tuple(pair_evidence(result, i, ids) for i in shown)
        primary = outcome.primary.record_id
        members = (primary, *(ids[r] for r in rows if ids[r] != primary))
        proposal = MergeProposal(
            object_type=object_type,
            members=members,
            match_probability=float(result.probability[weakest]),
            suggested_primary=primary,
            primary_reason=outcome.reason,
            field_winners=outcome.winners,
            protected_conflicts=outcome.conflicts,
            evidence=evidence,
            evidence_summary=summary_of(pair_evidence(result, weakest, ids), len(pairs)),
        )
        band, reason = band_of(proposal, standard, standard_valid, config, memory)
        if band is not None:
            out.append(proposal.model_copy(update={"band": band, "band_reason": reason}))
    out.sort(key=lambda p: (-p.match_probability, p.members))
    return out
