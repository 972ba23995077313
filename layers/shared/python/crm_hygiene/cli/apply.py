"""``crm-hygiene apply``: what a review decided, written as an updated export and CRM import files.

From a review session (``--from .review``) or from a queue.csv edited in a spreadsheet
(``--queue queue.csv --input contacts.csv``). Outputs: docs/writeback.md.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from crm_hygiene.cli.options import as_of
from crm_hygiene.types import OBJECT_TYPES


def register(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--from",
        dest="from_dir",
        metavar="DIR",
        type=Path,
        help="a review session folder (crm-hygiene review --dir)",
    )
    source.add_argument(
        "--queue", type=Path, help="a scan's queue.csv with your decision (and value) columns"
    )
    parser.add_argument("--input", type=Path, help="with --queue: the export the queue.csv was scanned from")
    parser.add_argument("--out", required=True, type=Path, help="output folder (must be empty, or --force)")
    parser.add_argument("--force", action="store_true", help="replace the files of a non-empty --out")
    parser.add_argument(
        "--object", choices=OBJECT_TYPES, help="with --queue: object type (default: from the headers)"
    )
    parser.add_argument(
        "--standard", type=Path, help="with --queue: the standard the scan used (default: shipped)"
    )
    parser.add_argument("--as-of", type=as_of, help="with --queue: the scan's --as-of, if it had one")
    parser.add_argument("--reviewer", help="with --queue: who decided (default: your login name)")
    parser.add_argument(
        "--apply-good-rows",
        action="store_true",
        help="with --queue: write the good rows' outputs even when some rows are bad (exit code stays 1)",
    )


def run(options: argparse.Namespace) -> int:
    from crm_hygiene.errors import InputError
    from crm_hygiene.services.writeback.core import check_out_dir

    check_out_dir(options.out, force=options.force)
    if options.from_dir is not None:
        return _from_session(options)
    if options.input is None:
        raise InputError("--queue needs --input: the export the queue.csv was scanned from")
    return _from_queue(options)


def _from_session(options: argparse.Namespace) -> int:
    from crm_hygiene.services.writeback.core import write_back
    from crm_hygiene.services.writeback.session import EXPORT, load_reviewed, running_review

    session, reviewed = load_reviewed(options.from_dir)
    saved = f"{session.saved_at:%Y-%m-%d %H:%M:%S} UTC" if session.saved_at else "never"
    print(f"Review of {session.input} ({session.object_type}s), last saved {saved}")
    running = running_review(options.from_dir)
    if running is not None:
        print(f"  the review is still running (process {running}): these are its decisions as last saved")
    result = write_back(options.from_dir / EXPORT, reviewed, options.out, force=options.force)
    _print_outputs(result.summary, options.out)
    return 0


def _from_queue(options: argparse.Namespace) -> int:
    from crm_hygiene.csvio.records import read_records
    from crm_hygiene.services.writeback.core import write_back

    deps, ctx, object_type = _memory_deps(options)
    records = list(read_records(options.input, object_type))
    deps.crm.add(records)
    from crm_hygiene.services.writeback.queue_file import decide_queue_file

    result = decide_queue_file(
        options.queue, records, pipeline=deps.pipeline, review=deps.review, ctx=ctx,
        reviewer=options.reviewer or getpass.getuser(), apply_bad=options.apply_good_rows,
    )  # fmt: skip
    for bad in result.bad + result.not_applied:
        print(f"crm-hygiene: bad row: {bad}", file=sys.stderr)
    decided = ", ".join(f"{v} {k}" for k, v in sorted(result.decided.items())) or "none"
    print(
        f"{options.queue.name}: {result.rows:,} rows, {result.undecided:,} without a decision, "
        f"{len(result.bad):,} bad; decided: {decided}; {result.applied:,} applied, "
        f"{result.auto_applied:,} fixes applied by themselves (as in cleaned.csv)"
    )
    if result.bad and not options.apply_good_rows:
        print(
            f"Nothing written: fix the {len(result.bad)} bad row(s) above and run again, "
            "or pass --apply-good-rows to write the good ones",
            file=sys.stderr,
        )
        return 1
    written = write_back(options.input, deps.reviewed(object_type), options.out, force=options.force)
    if result.bad or result.not_applied:
        _write_bad_rows(options.out, result.bad + result.not_applied)
    _print_outputs(written.summary, options.out)
    return 1 if result.bad or result.not_applied else 0


class _MemoryDeps:
    """Every port in memory around one CRM: a queue.csv's decisions are taken in this process."""

    def __init__(self, standard: Any, valid: bool) -> None:
        from crm_hygiene import memory
        from crm_hygiene.services.review.core import ReviewDeps
        from crm_hygiene.services.writeback.queue_file import ApplyCollector
        from crm_hygiene.wiring.memory import in_memory_deps

        self.crm = memory.InMemoryCrmStore()
        self.audit = memory.InMemoryAuditLog()
        self.pipeline = in_memory_deps(self.crm, standard=standard, standard_valid=valid)
        self.review = ReviewDeps(
            queue=self.pipeline.queue, audit=self.audit, memory=memory.InMemoryDecisionMemory(),
            apply_queue=ApplyCollector(), workflow=memory.InMemoryWorkflow(), crm=self.crm,
            health=self.pipeline.health, standard=standard,
        )  # fmt: skip

    def reviewed(self, object_type: Any) -> Any:
        from crm_hygiene.services.writeback.core import Reviewed

        items, cursor = [], None
        while True:
            page, cursor = self.pipeline.queue.list(limit=500, cursor=cursor)
            items.extend(page)
            if cursor is None:
                break
        live = self.crm.get_records(object_type, [r.record_id for r in self.crm.records.values()])
        return Reviewed(
            object_type=object_type,
            records={r.record_id: r for r in live},
            items=items,
            audit=list(self.audit.all_entries()),
        )


def _memory_deps(options: argparse.Namespace) -> tuple[_MemoryDeps, Any, Any]:
    from datetime import UTC, datetime

    from crm_hygiene.csvio import CsvReader
    from crm_hygiene.models.fields import detect_object_type, map_headers
    from crm_hygiene.services.scan.export import check_context, choose_standard

    choice = choose_standard(options.standard)
    with CsvReader(options.input) as reader:
        object_type = options.object or detect_object_type(reader.columns, options.input.name)
        header = map_headers(reader.columns, object_type)
    ctx = check_context(header, choice.standard, options.as_of or datetime.now(UTC))
    return _MemoryDeps(choice.standard, choice.valid), ctx, object_type


def _write_bad_rows(out: Path, rows: list[Any]) -> None:
    from crm_hygiene.csvio import ReportWriter, atomic_text

    with atomic_text(out / "bad_rows.csv") as fh:
        writer = ReportWriter(fh)
        writer.writerow(["file", "line", "record_id", "column", "problem"])
        for row in rows:
            writer.writerow([row.file, row.line, row.record_id, row.column, row.message])


def _print_outputs(summary: dict[str, Any], out: Path) -> None:
    print(
        f"{summary['cells_changed']:,} cells changed on {summary['records_changed']:,} records; "
        f"{summary['merges']:,} merges; {summary['audit_entries']:,} audit entries"
    )
    pending = summary["decided_not_applied"]
    if pending:
        statuses = ", ".join(sorted({d["status"] for d in pending}))
        print(
            f"  {len(pending)} decision(s) not in these files ({statuses}): see summary.json; "
            "run review again to settle them"
        )
    if summary["refused_cells"]:
        print(f"  {len(summary['refused_cells'])} value(s) not written (a formula, or not encodable)")
    if summary["salesforce_fields_left_out"]:
        print(
            f"  not in salesforce.csv (no standard field): {', '.join(summary['salesforce_fields_left_out'])}"
        )
    if summary["rows_without_record_id"]:
        print(
            f"  {len(summary['rows_without_record_id'])} changed row(s) have no record id: updated.csv only"
        )
    print(f"Outputs: {out}/updated.csv hubspot.csv salesforce.csv merges.csv audit.csv summary.json")
