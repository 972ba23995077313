"""Scanning a live CRM in the pipeline: plan partitions, scan pages within a time budget, finalize.

``scan_partition`` is called repeatedly by the scan workflow with the cursor it returned, so one
Lambda invocation never runs out of time, and a partition of any size completes.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from crm_hygiene.health.score import HealthAggregate
from crm_hygiene.models.health import HealthPoint
from crm_hygiene.models.messages import Partition, ScanPlan
from crm_hygiene.models.record import Record
from crm_hygiene.models.signals import HealthScoreSignal, MeasurementSignal, Signal
from crm_hygiene.ports import (
    CrmStore,
    PartitionedCrmStore,
    PartitionManifest,
)
from crm_hygiene.services.review.metrics import measurement as decision_measurement
from crm_hygiene.services.scan.batch import PipelineDeps, scan_batch
from crm_hygiene.services.scan.core import ScanTotals, combine
from crm_hygiene.types import SUMMARY_KEYS, ObjectType
from crm_hygiene.validate.context import CheckContext

if TYPE_CHECKING:
    pass

PAGE_SIZE = 100
HEALTH_CHANGE_TO_SIGNAL = 1.0  # points: smaller moves of a record's health are not worth a message


def new_run_id(now: datetime | None = None) -> str:
    moment = now or datetime.now(UTC)
    return f"{moment:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"


def plan(
    crm: CrmStore, object_types: Sequence[ObjectType], wanted: int, run_id: str | None = None
) -> list[Partition]:
    """Partitions of a full scan: ``wanted`` slices per object type where the CRM can slice, else one."""
    run = run_id or new_run_id()
    total = wanted if isinstance(crm, PartitionedCrmStore) and wanted > 1 else 1
    return [
        Partition(run_id=run, object_type=t, segment=s, total=total)
        for t in object_types
        for s in range(total)
    ]


def plan_run(
    crm: CrmStore,
    object_types: Sequence[ObjectType],
    wanted: int,
    run_id: str | None = None,
    manifest: PartitionManifest | None = None,
) -> ScanPlan:
    """The scan workflow's ``Plan``: the partitions inline, or written to ``manifest`` (Distributed
    Map), in which case the plan carries only the key the map reads them from."""
    parts = plan(crm, object_types, wanted, run_id)
    run = parts[0].run_id if parts else run_id or new_run_id()
    if manifest is None:
        return ScanPlan(run_id=run, partitions=parts)
    return ScanPlan(run_id=run, manifest_key=manifest.write(run, parts))


def _page(crm: CrmStore, p: Partition) -> tuple[list[Record], str | None]:
    if p.total > 1 and isinstance(crm, PartitionedCrmStore):
        page = crm.list_partition(p.object_type, p.segment, p.total, cursor=p.cursor, limit=PAGE_SIZE)
    else:
        page = crm.list_records(p.object_type, cursor=p.cursor, limit=PAGE_SIZE)
    return page.records, page.next_cursor


def scan_partition(deps: PipelineDeps, partition: Partition, time_left: Callable[[], float]) -> Partition:
    """Scans pages of one partition until it is done or ``time_left()`` (seconds) runs low."""
    ctx = CheckContext(standard=deps.standard, object_type=partition.object_type)
    totals = ScanTotals()
    critical = tuple(ctx.rules.critical)
    p = partition.model_copy()
    while not p.done and time_left() > 30:
        records, p.cursor = _page(deps.crm, p)
        scanned, _ = scan_batch(deps, ctx, records, p.run_id)
        for result in scanned:
            totals.add(result, critical)
        p.scanned += len(records)
        p.done = p.cursor is None
    deps.health.put_partition_totals(
        p.run_id, f"{p.object_type}#{p.segment}#{partition.scanned}", _figures(totals, p)
    )
    return p


def _figures(totals: ScanTotals, p: Partition) -> dict[str, Any]:
    return {"object_type": p.object_type, "totals": totals.dump()}


def _part_totals(part: dict[str, Any]) -> ScanTotals:
    if "totals" in part:
        return ScanTotals.load(part["totals"])
    # Stored by the version before the combiner (a run that spans a deploy): its measurement holds
    # every count but the missing-critical ones, which come back from their rates (4 dp).
    n = int(part.get("records", 0))
    return ScanTotals(
        records=n,
        records_with_issues=int(part.get("records_with_issues", 0)),
        rows=int(part.get("queue_volume", 0)),
        by_kind=Counter(part.get("queue_by_kind", {})),
        by_decision=Counter(part.get("queue_by_decision", {})),
        by_field=Counter(part.get("queue_by_field", {})),
        missing_by_field=Counter(
            {k: round(v * n) for k, v in part.get("missing_critical_by_field", {}).items()}
        ),
        records_missing_critical=round(part.get("missing_critical_rate", 0.0) * n),
        records_by_kind=Counter({kind: int(part.get(key, 0)) for kind, key in SUMMARY_KEYS.items()}),
        auto_applied=int(part.get("changes_auto_applied", 0)),
        suppressed=int(part.get("changes_suppressed", 0)),
        health=HealthAggregate.model_validate(part["health"]),
    )


def finalize(deps: PipelineDeps, run_id: str, started_at: datetime | None = None) -> dict[str, Any]:
    """Adds up the run's partitions, stores and emits aggregate health and measurement per object type,
    and adds the run to the health trend (dated ``started_at``, the run's start: a retried finalize
    rewrites the same point)."""
    at = started_at or datetime.now(UTC)
    by_type: dict[ObjectType, list[dict[str, Any]]] = {}
    for part in deps.health.partition_totals(run_id):
        by_type.setdefault(part["object_type"], []).append(part)
    out: dict[str, Any] = {"run_id": run_id, "objects": {}}
    signals: list[Signal] = []
    for object_type, parts in by_type.items():
        figures = _combine(parts)
        if deps.workflow is not None and object_type in deps.dedup_objects:
            from crm_hygiene.services.dedup.pipeline import propose_merges

            figures.update(propose_merges(deps, run_id, object_type))
        out["objects"][object_type] = figures
        deps.health.put_aggregate(object_type, figures)
        if figures["health"].get("mean") is not None:  # a type with no record scored has no point
            deps.health.put_history(
                HealthPoint(run_id=run_id, at=at, object_type=object_type, health=figures["health"]["mean"],
                            records=figures["records"], queue_volume=figures["queue_volume"])
            )  # fmt: skip
        signals.extend(_run_signals(run_id, object_type, figures))
    if deps.quality is not None:
        from crm_hygiene.enrich.config import ProvidersConfig
        from crm_hygiene.enrich.quality import quality_signals

        signals.extend(quality_signals(deps.quality, ProvidersConfig(), run_id))
    # A run's own items hold no human decision yet: the whole queue's decision figures go out instead.
    signals.extend(decision_measurement(deps.queue, [None]))
    deps.signals.publish(signals)
    oldest = deps.queue.oldest("queued")
    out["queue_oldest_age_seconds"] = (
        round((datetime.now(UTC) - oldest.created_at).total_seconds()) if oldest is not None else 0
    )
    return out


def _run_signals(run_id: str, object_type: ObjectType, figures: dict[str, Any]) -> list[Signal]:
    numbers = {k: v for k, v in figures.items() if isinstance(v, int | float)}
    signals: list[Signal] = [MeasurementSignal(run_id=run_id, object_type=object_type, figures=numbers)]
    health = figures["health"]
    if health.get("mean") is not None:
        signals.append(
            HealthScoreSignal(
                run_id=run_id,
                object_type=object_type,
                score=health["mean"],
                components=health["components"],
                records=health["records"],
            )
        )
    return signals


def _combine(parts: list[dict[str, Any]]) -> dict[str, Any]:
    totals = combine(_part_totals(p) for p in parts)
    figures: dict[str, Any] = totals.measurement()
    figures["health"] = totals.health.summary()
    figures.setdefault("duplicate_risk", 0)
    return figures
