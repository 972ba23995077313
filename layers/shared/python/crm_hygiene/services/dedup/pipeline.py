"""The weekly scan's duplicate step: propose merges among a type's records, store the match index."""

from __future__ import annotations

from typing import Any, Protocol

from crm_hygiene.ports import CrmStore, DecisionMemory, MatchIndexStore, Workflow, every_record
from crm_hygiene.standard.model import DataStandard
from crm_hygiene.types import ObjectType


class MergeProposalDeps(Protocol):
    """The ports proposing merges reads (the scan's ``PipelineDeps`` has them)."""

    @property
    def crm(self) -> CrmStore: ...
    @property
    def standard(self) -> DataStandard: ...
    @property
    def standard_valid(self) -> bool: ...
    @property
    def memory(self) -> DecisionMemory | None: ...
    @property
    def workflow(self) -> Workflow | None: ...
    @property
    def match_index(self) -> MatchIndexStore | None: ...


def propose_merges(deps: MergeProposalDeps, run_id: str, object_type: ObjectType) -> dict[str, Any]:
    """Finds the duplicates among the CRM's records of one type and starts one merge workflow per
    proposal (by itself only in the auto band, which the standard must enable); returns the figures.

    Reads every record once through the CRM port: one function's memory and time bound the size
    (the dedup benchmark's 1M contacts take ~2 GB); larger CRMs partition by blocking key.
    """
    from crm_hygiene.services.dedup.core import ScanDuplicates
    from crm_hygiene.services.merge.core import start_merge_workflow

    finder = ScanDuplicates(
        standard=deps.standard, standard_valid=deps.standard_valid, memory=deps.memory, objects=(object_type,)
    )
    for record in every_record(deps.crm, object_type):
        finder.add(record)
    proposals, _ = finder.proposals()
    assert deps.workflow is not None
    for proposal in proposals:
        start_merge_workflow(deps.workflow, proposal, run_id)
    duplicates = sum(len(p.members) - 1 for p in proposals)
    figures: dict[str, Any] = {"merge_proposals": len(proposals), "duplicate_risk": duplicates}
    if deps.match_index is not None:
        # The entry scan matches new records against this index instead of reading the CRM.
        from crm_hygiene.services.dedup.entry import save_index

        saved = save_index(deps.match_index, finder)
        figures |= {f"match_index_{name}": value for name, value in saved.items()}
    return figures
