"""``enrich_export``: enrich a CRM export file; write the queue, the proposals ledger, signals and figures.

Streams the input in batches (remote lookups of a batch run concurrently), writes every output
under a temporary name and renames it when complete. A dry run writes only ``plan.json``: local
providers run (they cost nothing), remote ones are counted, never called.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from crm_hygiene.csvio import CsvReader, ReportWriter, atomic_text
from crm_hygiene.enrich.config import HttpConfig, ProvidersConfig, load_providers
from crm_hygiene.enrich.directory import iter_records
from crm_hygiene.enrich.engine import Enricher, RecordResult
from crm_hygiene.enrich.fields import FieldMap
from crm_hygiene.enrich.provider import HttpProviderFactory
from crm_hygiene.enrich.quality import JsonQualityStore, QualityStore
from crm_hygiene.enrich.setup import EnrichSetup, build_setup, with_activity
from crm_hygiene.models.fields import HeaderMap, detect_object_type, header_key, map_headers
from crm_hygiene.models.queue import QUEUE_COLUMNS
from crm_hygiene.models.record import Record
from crm_hygiene.ports import SecretStore
from crm_hygiene.services.enrich.core import build_enricher
from crm_hygiene.services.scan.export import choose_standard
from crm_hygiene.types import ObjectType
from crm_hygiene.validate.context import CheckContext

Progress = Callable[[int], None]
BATCH = 256


@dataclass
class EnrichRunResult:
    out_dir: Path
    summary: dict[str, object]


@dataclass
class EnrichRun:
    """One prepared enrichment run: its enricher, providers, the export's columns, provider quality."""

    enricher: Enricher
    setup: EnrichSetup
    header: HeaderMap
    store: QualityStore | None


def _header(input_path: Path, object_type: ObjectType | None) -> HeaderMap:
    with CsvReader(input_path) as reader:
        kind = object_type or detect_object_type(reader.columns, input_path.name)
        return map_headers(reader.columns, kind)


def prepare(
    input_path: str | Path,
    *,
    providers: ProvidersConfig | str | Path | None = None,
    activity: str | Path | None = None,
    crm: Sequence[str | Path] = (),
    standard_path: str | Path | None = None,
    object_type: ObjectType | None = None,
    as_of: datetime | None = None,
    state: str | Path | None = None,
    secrets: Mapping[str, SecretStore] | None = None,
    http: HttpProviderFactory | None = None,
    run_id: str = "",
) -> EnrichRun:
    """Loads the config and the standard, builds the providers and the enricher for one export.

    ``crm`` lists other exports of the same CRM (companies, contacts) the derived provider learns
    from, besides the input itself and the config's ``crm:`` files.
    """
    path = Path(input_path)
    config = (
        providers
        if isinstance(providers, ProvidersConfig)
        else (load_providers(providers) if providers is not None else ProvidersConfig())
    )
    config = with_activity(config, Path(activity) if activity else None)
    choice = choose_standard(standard_path)
    header = _header(path, object_type)
    kind = header.object_type
    field_map = FieldMap.build(
        kind, header.position, [header.columns[p] for p in header.custom], config.fields
    )
    people = any(isinstance(p, HttpConfig) and "reports_to" in p.mapping for p in config.providers)
    setup = build_setup(
        config,
        standard=choice.standard,
        directory_files=[*(Path(f) for f in crm), path],
        secrets=secrets,
        index_people=people,
        http=http,
    )
    state_path = state or setup.config.state
    store = JsonQualityStore(state_path) if state_path else None
    ctx = CheckContext(
        standard=choice.standard,
        object_type=kind,
        as_of=as_of or datetime.now(UTC),
        present=frozenset(header.position),
        extra_columns=frozenset(header_key(header.columns[p]) for p in header.custom),
    )
    enricher = build_enricher(setup, ctx, field_map, standard_valid=choice.valid, store=store, run_id=run_id)
    return EnrichRun(enricher, setup, header, store)


def _batches(records: Iterator[Record], size: int) -> Iterator[list[Record]]:
    while batch := list(itertools.islice(records, size)):
        yield batch


def enrich_export(
    input_path: str | Path,
    out_dir: str | Path,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    batch_size: int = BATCH,
    **options: object,
) -> EnrichRunResult:
    """Enriches one export (options as for :func:`prepare`); raises ``InputError`` for unusable input."""
    started = time.perf_counter()
    run_id = str(options.pop("run_id", "")) or datetime.now(UTC).strftime("enrich-%Y%m%dT%H%M%SZ")
    run = prepare(input_path, run_id=run_id, **options)  # type: ignore[arg-type]
    out = Path(out_dir)
    records = iter_records(input_path, run.header.object_type)
    if dry_run:
        summary = _dry_run(run, records, out, progress, batch_size)
    else:
        summary = _enrich(run, records, out, progress, batch_size)
    summary["input"] = {
        "path": str(input_path),
        "object_type": run.header.object_type,
        "source": run.header.source,
    }
    summary["run_id"] = run_id
    summary["state"] = str(getattr(run.store, "path", "")) or None
    elapsed = time.perf_counter() - started
    records_done = run.enricher.stats.records
    summary["performance"] = {
        "seconds": round(elapsed, 3),
        "records_per_second": round(records_done / elapsed, 1) if elapsed else None,
    }
    name = "plan.json" if dry_run else "summary.json"
    with atomic_text(out / name) as fh:
        json.dump(summary, fh, indent=2, ensure_ascii=False, default=str)
        fh.write("\n")
    return EnrichRunResult(out, summary)


def _dry_run(
    run: EnrichRun, records: Iterator[Record], out: Path, progress: Progress | None, size: int
) -> dict[str, object]:
    done = 0
    for batch in _batches(records, size):
        run.enricher.plan(batch)
        done += len(batch)
        if progress is not None:
            progress(done)
    run.enricher.finish(dry_run=True)
    summary = run.enricher.summary()
    summary["dry_run"] = True
    summary["plan"] = plan_of(run.enricher)
    return summary


def plan_of(enricher: Enricher) -> dict[str, dict[str, object]]:
    """Calls and cost each remote provider would get: at most (nothing filled along the way) and
    expected (each earlier provider fills at its learned fill rate)."""
    plan: dict[str, dict[str, object]] = {}
    for name, provider in enricher.providers.items():
        if not provider.remote:
            continue
        run = enricher.waterfall.runs[name]
        plan[name] = {
            "calls_at_most": run.calls,
            "calls_expected": round(run.expected_calls, 1),
            "cost_at_most": round(run.calls * provider.cost_per_call, 4),
            "cost_expected": round(run.expected_calls * provider.cost_per_call, 4),
            "cache_hits": run.cache_hits,
            "skipped_by_budget": run.skipped_budget,
        }
    return plan


class _Writers:
    def __init__(self, files: Sequence[TextIO]) -> None:
        queue_csv, self.queue_jsonl, self.ledger, self.signals, self.associations = files
        self.queue = ReportWriter(queue_csv)
        self.queue.writerow(QUEUE_COLUMNS)

    def write(self, result: RecordResult) -> None:
        for row in result.rows:
            self.queue.writerow(row.csv_cells())
            self.queue_jsonl.write(row.model_dump_json() + "\n")
        for entry in result.ledger:
            self.ledger.write(entry.model_dump_json() + "\n")
        for signal in result.signals:
            self.signals.write(signal.model_dump_json(by_alias=True) + "\n")
        for association in result.associations:
            self.associations.write(association.model_dump_json(exclude_none=True) + "\n")


def _enrich(
    run: EnrichRun, records: Iterator[Record], out: Path, progress: Progress | None, size: int
) -> dict[str, object]:
    names = ("queue.csv", "queue.jsonl", "proposals.jsonl", "signals.jsonl", "associations.jsonl")
    done = 0
    with (
        atomic_text(out / names[0]) as a,
        atomic_text(out / names[1]) as b,
        atomic_text(out / names[2]) as c,
        atomic_text(out / names[3]) as d,
        atomic_text(out / names[4]) as e,
    ):
        writers = _Writers((a, b, c, d, e))
        try:
            for results in run.enricher.enrich_batches(_batches(records, size)):
                for result in results:
                    writers.write(result)
                done += len(results)
                if progress is not None:
                    progress(done)
        except BaseException:
            run.enricher.finish(dry_run=True)  # closes the providers; a failed run teaches the store nothing
            raise
        quality = run.enricher.finish()
        for signal in quality:
            writers.signals.write(signal.model_dump_json(by_alias=True) + "\n")
    summary = run.enricher.summary()
    summary["provider_quality"] = [
        {k: v for k, v in s.model_dump(mode="json", by_alias=True).items() if k not in ("version", "run_id")}
        for s in quality
    ]
    return summary
