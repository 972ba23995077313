"""Test helpers for enrichment: a stub provider with canned answers, records, and an enricher builder."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from crm_hygiene.enrich.config import ProvidersConfig
from crm_hygiene.enrich.directory import CrmDirectory
from crm_hygiene.enrich.engine import Enricher, Limits
from crm_hygiene.enrich.fields import ENRICHABLE, FieldMap
from crm_hygiene.enrich.provider import FieldCandidate, Provider, ProviderFault, ProviderKind
from crm_hygiene.enrich.quality import QualityStore
from crm_hygiene.models.fields import CANONICAL_FIELDS
from crm_hygiene.models.record import Record
from crm_hygiene.ports import DecisionMemory
from crm_hygiene.standard.loader import default_standard
from crm_hygiene.standard.model import DataStandard
from crm_hygiene.types import FieldName, ObjectType
from crm_hygiene.validate.context import CheckContext

AS_OF = datetime(2026, 11, 23, tzinfo=UTC)
Answer = Callable[[Record, frozenset[FieldName]], list[FieldCandidate]]


@dataclass
class StubProvider:
    """A provider that answers from a table (field -> value) or a function, and counts its lookups."""

    name: str
    values: Mapping[FieldName, str] = field(default_factory=dict)
    kind: ProviderKind = "file"
    remote: bool = False
    cost_per_call: float = 0.0
    priority: int = 50
    match: str = "exact email"
    match_quality: float = 0.95
    fetched_at: datetime | None = None
    answer: Answer | None = None
    fault: str | None = None
    gives: frozenset[FieldName] | None = None
    calls: list[tuple[str, frozenset[FieldName]]] = field(default_factory=list)
    cache: set[str] = field(default_factory=set)

    def fields_for(self, object_type: ObjectType) -> frozenset[FieldName]:
        if self.gives is not None:
            return self.gives
        return frozenset(self.values) if self.answer is None else frozenset(ENRICHABLE[object_type])

    def can_lookup(self, record: Record) -> bool:
        return True

    def cached(self, record: Record) -> bool:
        return not self.remote or record.record_id in self.cache

    def lookup(self, record: Record, wanted: frozenset[FieldName]) -> list[FieldCandidate]:
        self.calls.append((record.record_id, wanted))
        if self.fault is not None:
            raise ProviderFault(self.fault, f"{self.name}: injected {self.fault}")  # type: ignore[arg-type]
        if self.answer is not None:
            return self.answer(record, wanted)
        return [
            FieldCandidate(name, value, self.name, self.match, self.match_quality, fetched_at=self.fetched_at)
            for name, value in self.values.items()
            if name in wanted
        ]

    def close(self) -> None:
        pass


def contact(record_id: str = "1", **fields: str) -> Record:
    """A contact with every canonical field present (blank unless given)."""
    values = dict.fromkeys(CANONICAL_FIELDS["contact"], "")
    values.update(fields)
    values["record_id"] = record_id
    return Record(object_type="contact", record_id=record_id, fields=values)


def company(record_id: str = "500", **fields: str) -> Record:
    values = dict.fromkeys(CANONICAL_FIELDS["company"], "")
    values.update(fields)
    values["record_id"] = record_id
    return Record(object_type="company", record_id=record_id, fields=values)


def enricher(
    providers: Sequence[Provider],
    *,
    object_type: ObjectType = "contact",
    standard: DataStandard | None = None,
    config: ProvidersConfig | None = None,
    store: QualityStore | None = None,
    memory: DecisionMemory | None = None,
    directory: CrmDirectory | None = None,
    extra_columns: Iterable[str] = (),
    limits: Limits | None = None,
) -> Enricher:
    ctx = CheckContext(standard=standard or default_standard(), object_type=object_type, as_of=AS_OF)
    field_map = FieldMap.build(object_type, None, extra_columns)
    return Enricher(
        providers, ctx=ctx, field_map=field_map, config=config, store=store, memory=memory,
        directory=directory, limits=limits,
    )  # fmt: skip
