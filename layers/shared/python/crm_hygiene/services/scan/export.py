"""``scan_export``: scan a CRM export file and write the queue, the cleaned file, health and summary.

Streams the input (constant memory), writes every output under a temporary name and renames it
when complete, applies only ``auto`` changes to ``cleaned.csv`` and never a protected field.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from crm_hygiene.csvio import CsvReader, CsvWriter, ReportWriter, Row, atomic_text, encodable, starts_formula
from crm_hygiene.csvio.records import record_of
from crm_hygiene.errors import HygieneError, StandardError
from crm_hygiene.models.change import ProposedChange
from crm_hygiene.models.fields import HeaderMap, detect_object_type, header_key, map_headers
from crm_hygiene.models.finding import Finding
from crm_hygiene.models.queue import QUEUE_COLUMNS
from crm_hygiene.models.record import Record
from crm_hygiene.services.scan.core import ScanTotals, scan_record
from crm_hygiene.services.scanned import ScanExtension, ScannedRecord
from crm_hygiene.standard.loader import default_standard, load_standard
from crm_hygiene.standard.model import DataStandard
from crm_hygiene.types import ObjectType
from crm_hygiene.validate.check import Issue
from crm_hygiene.validate.context import CheckContext

Progress = Callable[[int], None]
HEALTH_COLUMNS = ("record_id", "object_type", "score", "completeness", "validity", "freshness", "trust")


@dataclass
class StandardChoice:
    """The standard a run uses, and whether it is valid (an invalid one makes the run report-only)."""

    standard: DataStandard
    valid: bool
    source: str
    errors: list[str] = field(default_factory=list)


def choose_standard(path: str | Path | None) -> StandardChoice:
    """Loads ``path`` or the default. An invalid file is reported, the default is used to check
    records, and nothing may be applied by itself."""
    if path is None:
        return StandardChoice(default_standard(), True, "default")
    try:
        return StandardChoice(load_standard(path), True, str(path))
    except StandardError as exc:
        errors = [f"{exc.path}:{line or '?'}: {key}: {msg}" for key, line, msg in exc.errors]
        return StandardChoice(default_standard(), False, str(path), errors)


@dataclass
class ScanResult:
    out_dir: Path
    summary: dict[str, object]


class _Outputs:
    """The open output files of one run."""

    def __init__(self, queue_csv: TextIO, queue_jsonl: TextIO, cleaned: CsvWriter, health: TextIO) -> None:
        self.queue = ReportWriter(queue_csv)
        self.queue.writerow(QUEUE_COLUMNS)
        self.jsonl = queue_jsonl
        self.cleaned = cleaned
        self.health = ReportWriter(health)
        self.health.writerow(HEALTH_COLUMNS)


def _ragged(row: Row, record: Record, columns: int) -> list[Issue]:
    if len(row.cells) == columns:
        return []
    extra = len(row.cells) - columns
    what = f"{extra} cells more" if extra > 0 else f"{-extra} cells fewer"
    note = "extra cells are kept as they are" if extra > 0 else "missing cells are read as empty"
    finding = Finding(
        record_id=record.record_id,
        object_type=record.object_type,
        kind="malformed",
        field="",
        rule="csv.ragged_row",
        severity="warning",
        evidence=f"line {row.line} has {what} than the header ({columns}); {note}",
    )
    return [Issue(finding)]


def _apply(
    cells: list[str], changes: Sequence[ProposedChange], header: HeaderMap, ctx: CheckContext, encoding: str
) -> int:
    """Writes auto changes into the row's cells; never a protected field, never a value that would start
    a spreadsheet formula. Returns cells changed."""
    changed = 0
    for change in changes:
        pos = header.position.get(change.field)
        if pos is None or pos >= len(cells) or ctx.rules.is_protected(change.field):
            continue  # belt and braces: the policy never lets a protected field through
        if starts_formula(change.new_value):
            continue  # nor a formula (policy rule 2): cleaned.csv keeps the input's cells, adds none
        if cells[pos] != change.old_value or not encodable(change.new_value, encoding):
            continue
        cells[pos] = change.new_value
        changed += 1
    return changed


def check_context(header: HeaderMap, standard: DataStandard, as_of: datetime) -> CheckContext:
    """What checking the records of an export under ``standard`` needs: which fields it has at all."""
    extra = frozenset(header_key(header.columns[pos]) for pos in header.custom)
    return CheckContext(
        standard=standard,
        object_type=header.object_type,
        as_of=as_of,
        present=frozenset(header.position),
        extra_columns=extra,
    )


def scan_export(
    input_path: str | Path,
    out_dir: str | Path,
    *,
    object_type: ObjectType | None = None,
    standard_path: str | Path | None = None,
    as_of: datetime | None = None,
    progress: Progress | None = None,
    extensions: Sequence[ScanExtension] = (),
) -> ScanResult:
    """Scans one export file (see the module docstring); raises ``InputError`` for unusable input.

    ``extensions`` (duplicate detection, enrichment) see every record and add their own rows.
    """
    started = time.perf_counter()
    choice = choose_standard(standard_path)
    as_of = as_of or datetime.now(UTC)
    out = Path(out_dir)
    with CsvReader(input_path) as reader:
        kind = object_type or detect_object_type(reader.columns, Path(input_path).name)
        header = map_headers(reader.columns, kind)
        ctx = check_context(header, choice.standard, as_of)
        totals, cells_changed, extra = _run(reader, header, ctx, choice, out, progress, extensions)
        summary = _summary(input_path, reader, header, ctx, choice, totals, cells_changed, started)
        summary.update(extra)
    with atomic_text(out / "summary.json") as fh:
        json.dump(summary, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    return ScanResult(out, summary)


def _run(
    reader: CsvReader,
    header: HeaderMap,
    ctx: CheckContext,
    choice: StandardChoice,
    out: Path,
    progress: Progress | None,
    extensions: Sequence[ScanExtension],
) -> tuple[ScanTotals, int, dict[str, object]]:
    totals = ScanTotals()
    cells_changed = 0
    dialect = reader.dialect
    critical = tuple(n for n in ctx.rules.critical if ctx.has(n))
    with (
        atomic_text(out / "queue.csv") as queue_csv,
        atomic_text(out / "queue.jsonl") as queue_jsonl,
        atomic_text(out / "cleaned.csv", encoding=dialect.encoding, newline="") as cleaned_fh,
        atomic_text(out / "health.csv") as health_fh,
    ):
        outputs = _Outputs(queue_csv, queue_jsonl, CsvWriter(cleaned_fh, dialect), health_fh)
        outputs.cleaned.writerow(reader.header)
        for row in reader:
            scanned = _scan_row(row, header, ctx, choice, len(reader.columns))
            for extension in extensions:
                extension.on_record(scanned.report.record, scanned)
            _write(outputs, scanned)
            cells = list(row.cells)
            cells_changed += _apply(cells, scanned.auto_changes, header, ctx, dialect.encoding)
            outputs.cleaned.writerow(cells)
            totals.add(scanned, critical)
            if progress is not None and totals.records % 1000 == 0:
                progress(totals.records)
        extra: dict[str, object] = {}
        for extension in extensions:
            result = extension.finish()
            for qrow in result.rows:
                outputs.queue.writerow(qrow.csv_cells())
                outputs.jsonl.write(qrow.model_dump_json() + "\n")
            totals.add_rows(result.rows)
            extra[extension.name] = result.summary
    return totals, cells_changed, extra


def _scan_row(
    row: Row, header: HeaderMap, ctx: CheckContext, choice: StandardChoice, columns: int
) -> ScannedRecord:
    record = record_of(row, header)
    try:
        return scan_record(
            record, ctx, standard_valid=choice.valid, extra_issues=_ragged(row, record, columns)
        )
    except HygieneError:
        raise
    except Exception as exc:  # an internal bug must still say where it happened
        raise HygieneError(f"line {row.line} (record {record.record_id}): internal error: {exc!r}") from exc


def _write(outputs: _Outputs, scanned: ScannedRecord) -> None:
    for qrow in scanned.rows:
        outputs.queue.writerow(qrow.csv_cells())
        outputs.jsonl.write(qrow.model_dump_json())
        outputs.jsonl.write("\n")
    h = scanned.health
    outputs.health.writerow(
        [h.record_id, h.object_type, h.score, h.completeness, h.validity, h.freshness, h.trust]
    )


def _summary(
    input_path: str | Path,
    reader: CsvReader,
    header: HeaderMap,
    ctx: CheckContext,
    choice: StandardChoice,
    totals: ScanTotals,
    cells_changed: int,
    started: float,
) -> dict[str, object]:
    elapsed = time.perf_counter() - started
    rules = ctx.rules
    return {
        "input": {
            "path": str(input_path),
            "object_type": header.object_type,
            "source": header.source,
            "encoding": reader.dialect.encoding,
            "delimiter": reader.dialect.delimiter,
            "columns": len(reader.columns),
            "mapped_columns": {name: header.columns[pos] for name, pos in header.position.items()},
            "custom_columns": [header.columns[pos] for pos in header.custom],
            "duplicate_columns": reader.duplicate_columns,
            "missing_critical_columns": [n for n in rules.critical if not ctx.has(n)],
            "lines_decoded_with_fallback": reader.decode_fallbacks,
        },
        "standard": {
            "source": choice.source,
            "valid": choice.valid,
            "errors": choice.errors,
            "auto_apply_allowed": choice.valid and choice.standard.auto_apply,
        },
        "as_of": ctx.as_of.isoformat(timespec="seconds"),
        "measurement": totals.measurement(),
        "cleaned": {"rows": totals.records, "cells_changed": cells_changed},
        "health": totals.health.summary(),
        "performance": {
            "seconds": round(elapsed, 3),
            "records_per_second": round(totals.records / elapsed, 1) if elapsed else None,
        },
    }
