"""Enrichment in the pipeline: records announced on the enrich queue, enriched against the CRM's
own data (derived providers) and whatever providers the configuration adds; proposals join the
review queue, auto ones go to the apply queue, job changes emit relationship signals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice

from crm_hygiene.enrich.config import ProvidersConfig
from crm_hygiene.enrich.directory import CrmDirectory
from crm_hygiene.enrich.engine import Enricher
from crm_hygiene.enrich.fields import FieldMap
from crm_hygiene.enrich.provider import HttpProviderFactory, Provider
from crm_hygiene.enrich.providers.derived import DerivedProvider
from crm_hygiene.enrich.quality import QualityStore
from crm_hygiene.enrich.setup import build_setup
from crm_hygiene.models.fields import CANONICAL_FIELDS
from crm_hygiene.ports import ChangeQueue, CrmStore, SecretStore, SignalBus, WorkQueue, every_record
from crm_hygiene.services.enrich.core import build_enricher, review_items
from crm_hygiene.services.review.queue import enqueue
from crm_hygiene.standard.model import DataStandard
from crm_hygiene.types import ObjectType, RecordId
from crm_hygiene.validate.context import CheckContext

DIRECTORY_PAGE = 500


def crm_directory(crm: CrmStore, limit: int = 200_000) -> CrmDirectory:
    """The CRM's own companies and contacts, read once (the derived provider's reference data)."""
    directory = CrmDirectory()
    for object_type in ("company", "contact"):
        for record in islice(every_record(crm, object_type, DIRECTORY_PAGE), limit):
            directory.add(record)
    return directory


@dataclass
class EnrichDeps:
    crm: CrmStore
    queue: ChangeQueue
    apply_queue: WorkQueue
    signals: SignalBus
    standard: DataStandard
    standard_valid: bool = True
    config: ProvidersConfig = field(default_factory=ProvidersConfig)
    directory: CrmDirectory | None = None
    quality: QualityStore | None = None  # provider quality; also where rejected proposals are remembered
    secrets: Mapping[str, SecretStore] = field(default_factory=dict)  # API keys of HTTP providers, by store
    http: HttpProviderFactory | None = None  # builds HTTP providers (the wiring gives the adapter)


def _enricher(deps: EnrichDeps, object_type: ObjectType, run_id: str) -> Enricher:
    directory = deps.directory if deps.directory is not None else crm_directory(deps.crm)
    setup = build_setup(deps.config, standard=deps.standard, secrets=deps.secrets, http=deps.http)
    setup.directory = directory
    fields = CANONICAL_FIELDS[object_type]
    ctx = CheckContext(
        standard=deps.standard, object_type=object_type, as_of=datetime.now(UTC), present=frozenset(fields)
    )
    setup.providers = [_with_directory(p, directory) for p in setup.providers]
    field_map = FieldMap.build(object_type, fields, [], deps.config.fields)
    return build_enricher(
        setup, ctx, field_map, standard_valid=deps.standard_valid, store=deps.quality, run_id=run_id
    )


def _with_directory(provider: Provider, directory: CrmDirectory) -> Provider:
    if isinstance(provider, DerivedProvider):
        provider.directory = directory  # the derived provider learns companies from the live CRM
    return provider


def enrich_records(
    deps: EnrichDeps, object_type: ObjectType, record_ids: Sequence[RecordId], run_id: str = "enrich"
) -> dict[str, int]:
    """Enriches the records that still exist; returns counts of what it queued and emitted."""
    records = deps.crm.get_records(object_type, list(record_ids))
    if not records:
        return {"records": 0, "queued": 0, "auto": 0, "signals": 0}
    enricher = _enricher(deps, object_type, run_id)
    results = enricher.enrich(records)
    enricher.finish()  # this batch's lookups, fills and proposals into provider quality
    items = [item for result in results for item in review_items(result, run_id)]
    queued = enqueue(items, run_id, queue=deps.queue, apply_queue=deps.apply_queue)
    signals = [s for result in results for s in result.signals]
    if signals:
        deps.signals.publish(signals)
    return {
        "records": len(records),
        "queued": len(queued.added),
        "auto": len(queued.apply),
        "signals": len(signals),
    }
