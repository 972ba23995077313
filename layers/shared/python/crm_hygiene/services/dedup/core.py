"""Duplicate detection riding along a scan: ``duplicate`` queue rows and ``duplicate_risk`` figures.

As the scan reads each record, this keeps a compact projection of it (the matching fields, the
owner and the protected fields as strings, repeated values shared; dates as integers), never
the ``Record``. When the scan ends it finds the duplicates among them, builds one merge proposal
per group (survivorship, evidence, a decision band from the policy) and adds one queue row per
proposal, whose evidence is the proposal as compact JSON.
"""

from __future__ import annotations

import time
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from crm_hygiene.dedup.config import FieldKind, MatchConfig
from crm_hygiene.dedup.survivorship import Member
from crm_hygiene.models.merge import MergeProposal, pair_key
from crm_hygiene.models.queue import QueueRow
from crm_hygiene.models.record import Record
from crm_hygiene.ports import DecisionMemory
from crm_hygiene.services.members import member_of, survivorship_fields
from crm_hygiene.services.merge.core import merge_row
from crm_hygiene.services.scanned import ExtensionResult, ScannedRecord
from crm_hygiene.standard.model import DataStandard
from crm_hygiene.types import FieldName, ObjectType

if TYPE_CHECKING:
    from crm_hygiene.dedup.engine import DedupResult

# Columns whose values repeat a lot: one string object per distinct value.
_SHARED: frozenset[str] = frozenset(
    {"first_name", "last_name", "company", "name", "city", "state", "country", "postal_code", "owner",
     "lifecycle_stage", "lead_status", "stage", "pipeline", "website", "domain", "company_id"}
)  # fmt: skip
_UNKNOWN = -(2**63)  # no such moment (int64 microseconds since the epoch)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _micros(moment: datetime | None) -> int:
    return _UNKNOWN if moment is None else (moment - _EPOCH) // timedelta(microseconds=1)


def _from_micros(value: int) -> datetime | None:
    return None if value == _UNKNOWN else _EPOCH + timedelta(microseconds=value)


@dataclass
class _Projection:
    """The kept columns of the records of one object type (``member_of`` stored compactly)."""

    object_type: ObjectType
    kinds: dict[FieldName, FieldKind]
    kept: tuple[FieldName, ...]
    custom: tuple[str, ...]
    columns: dict[str, list[str]] = field(default_factory=dict)
    ids: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    created: array[int] = field(default_factory=lambda: array("q"))
    active: array[int] = field(default_factory=lambda: array("q"))
    filled: array[int] = field(default_factory=lambda: array("h"))
    _shared: dict[str, dict[str, str]] = field(default_factory=dict)

    def add(self, record: Record) -> None:
        member = member_of(record, self.kept, self.custom)
        for name, value in member.fields.items():
            self._put(name, value)
        self.ids.append(member.record_id)
        self.sources.append(self._share("<source>", member.source))
        self.created.append(_micros(member.created))
        self.active.append(_micros(member.active))
        self.filled.append(member.filled)

    def _put(self, name: str, value: str) -> None:
        column = self.columns.setdefault(name, [])
        column.append(self._share(name, value) if name in _SHARED or name in self.custom else value)

    def _share(self, name: str, value: str) -> str:
        pool = self._shared.setdefault(name, {})
        return pool.setdefault(value, value)

    def member(self, row: int) -> Member:
        return Member(
            record_id=self.ids[row],
            fields={name: values[row] for name, values in self.columns.items()},
            source=self.sources[row],
            created=_from_micros(self.created[row]),
            active=_from_micros(self.active[row]),
            filled=self.filled[row],
        )


class ScanDuplicates:
    """A ``ScanExtension`` that proposes merges (see the module docstring).

    Args:
        standard: The clean-record standard (protected fields, auto-merge, its ``match`` config).
        standard_valid: Whether it is valid (an invalid standard makes every merge a review).
        memory: Reviewers' rejections: a rejected pair or merge is not proposed again.
        objects: Object types to deduplicate (contacts and companies by default).
    """

    name = "duplicates"

    def __init__(
        self,
        *,
        standard: DataStandard | None = None,
        standard_valid: bool = True,
        memory: DecisionMemory | None = None,
        objects: Iterable[ObjectType] = ("contact", "company"),
    ) -> None:
        self.standard = standard
        self.standard_valid = standard_valid
        self.memory = memory
        self.objects = frozenset(objects)
        self.projection: _Projection | None = None
        self.result: DedupResult | None = None  # the last ``proposals``' (its model and features)
        self.skipped = 0

    def on_record(self, record: Record, scanned: ScannedRecord) -> None:
        self.add(record)

    def add(self, record: Record) -> None:
        """Keeps the record's projection (the pipeline feeds records read from the CRM this way)."""
        if record.object_type not in self.objects:
            self.skipped += 1
            return
        if self.projection is None:
            self.projection = self._projection_for(record)
        self.projection.add(record)

    def _projection_for(self, record: Record) -> _Projection:
        kinds, kept, custom = survivorship_fields(record, self.standard)
        return _Projection(record.object_type, kinds, kept, custom)

    def finish(self) -> ExtensionResult:
        started = time.perf_counter()
        proposals, stats = self.proposals()
        rows = [queue_row(p) for p in proposals]
        seconds = time.perf_counter() - started
        records = len(self.projection.ids) if self.projection is not None else 0
        return ExtensionResult(rows=rows, summary=_summary(proposals, records, stats, seconds))

    def proposals(self) -> tuple[list[MergeProposal], dict[str, Any]]:
        """The merge proposals among the records seen so far, and the engine's figures."""
        projection = self.projection
        if projection is None or len(projection.ids) < 2:
            return [], {}
        from crm_hygiene.dedup.engine import find_duplicates
        from crm_hygiene.services.dedup.proposals import build_proposals

        config = self.standard.match if self.standard is not None else MatchConfig()
        columns = {name: projection.columns[name] for name in projection.kinds}
        result = find_duplicates(columns, projection.kinds, config, rejected=self._rejected(projection))
        self.result = result
        proposals = build_proposals(
            result,
            projection.ids,
            projection.object_type,
            projection.member,
            standard=self.standard,
            standard_valid=self.standard_valid,
            memory=self.memory,
        )
        return proposals, dict(result.stats)

    def _rejected(self, projection: _Projection) -> Callable[[int, int], bool] | None:
        memory = self.memory
        if memory is None:
            return None
        ids, object_type = projection.ids, projection.object_type
        return lambda a, b: memory.was_rejected(pair_key(object_type, ids[a], ids[b]))


def queue_row(proposal: MergeProposal) -> QueueRow:
    """The queue row of a merge proposal: on the suggested primary, the proposal as its evidence."""
    return merge_row(proposal, "auto" if proposal.band == "auto" else "review")


def _summary(
    proposals: list[MergeProposal], records: int, stats: dict[str, Any], seconds: float
) -> dict[str, object]:
    grouped = sum(len(p.members) for p in proposals)
    bands = {band: sum(1 for p in proposals if p.band == band) for band in ("auto", "review")}
    return {
        "records": records,
        "duplicate_risk": grouped - len(proposals),
        "records_in_duplicate_groups": grouped,
        "duplicate_risk_rate": round((grouped - len(proposals)) / records, 4) if records else 0.0,
        "proposed_merges": len(proposals),
        "merges_by_band": bands,
        "merges_with_protected_conflicts": sum(1 for p in proposals if p.protected_conflicts),
        "candidate_pairs": stats.get("candidate_pairs", 0),
        "seconds": round(seconds, 3),
    }
