"""``write_back``: what a review decided, written as files a person imports into their CRM.

The input is the export as it was scanned and the local copy it was loaded into (the internal CRM
table of ``crm-hygiene review``, or the in-memory CRM of ``crm-hygiene apply --queue``), after the
reviewer's decisions went through the one apply path. Nothing here decides or validates again: the
audit trail says which fields were written (``applied`` and ``rolled_back`` entries, merges' winners
included) and the local copy says what they hold now, so a change rolled back is no change.

Outputs (docs/writeback.md):

* ``updated.csv``: the export byte for byte (encoding, delimiter, line ends, quoting where needed)
  but for the changed cells, like ``cleaned.csv``; a value that would start a spreadsheet formula or
  that the file's encoding cannot hold is never written (counted as refused).
* ``hubspot.csv``: ``Record ID`` and the changed columns under the export's own header names, one row
  per changed record; a cell left empty is a property not changed (no change ever empties a field:
  deletes are never applied).
* ``salesforce.csv``: ``Id`` and the changed fields under Salesforce API names (``salesforce.py``).
* ``merges.csv``: one row per merge and field winner: survivor, merged ids, field, value kept, rule.
* ``audit.csv``: every change made to the local copy: when, who, record, field, old, new, source.
* ``summary.json``: the figures.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crm_hygiene.csvio import (
    CsvReader,
    CsvWriter,
    Dialect,
    ReportWriter,
    atomic_text,
    encodable,
    starts_formula,
)
from crm_hygiene.csvio.records import record_of
from crm_hygiene.errors import InputError
from crm_hygiene.models.audit import AuditEntry
from crm_hygiene.models.fields import HeaderMap, map_headers
from crm_hygiene.models.record import Record
from crm_hygiene.models.review import ReviewItem
from crm_hygiene.services.writeback.salesforce import SALESFORCE_FIELDS, SALESFORCE_ID
from crm_hygiene.types import FieldName, ObjectType, RecordId

HUBSPOT_ID = "Record ID"
EFFECTS = frozenset({"applied", "rolled_back", "merged", "unmerged"})
"""Audit actions that changed the local copy (intents and decisions did not, by themselves; an
``unmerged`` entry is a member reinstated or a survivor field put back)."""
AUDIT_COLUMNS = (
    "at", "object_type", "record_id", "field", "old_value", "new_value", "action", "who", "source",
    "actor", "review_id", "run_id", "reason",
)  # fmt: skip
"""``who``: the person who decided the change, or ``policy`` for a fix that applied by itself;
``actor``: the step that wrote it (``system:apply``, ``user:<reviewer>`` for a rollback)."""
MERGE_COLUMNS = (
    "survivor_id", "merged_ids", "field", "value", "from_record", "rule", "decided_by", "review_id",
)  # fmt: skip
IMPORT_DIALECT = Dialect(encoding="utf-8", delimiter=",", lineterminator="\n")
OUTPUTS = ("updated.csv", "hubspot.csv", "salesforce.csv", "merges.csv", "audit.csv", "summary.json")


@dataclass(frozen=True)
class Reviewed:
    """What a review decided, as the local copy holds it.

    Attributes:
        object_type: The export's object type.
        records: The local copy's live records by id, at least every one the audit names (merged-away
            records are absent).
        items: Every review item (for the merge list).
        audit: Every audit entry (what changed, by whom, when, from which source).
        merged_away: Records merged into another (id -> the survivor's id).
    """

    object_type: ObjectType
    records: Mapping[RecordId, Record]
    items: Sequence[ReviewItem]
    audit: Sequence[AuditEntry]
    merged_away: Mapping[RecordId, RecordId] = field(default_factory=dict)


@dataclass(frozen=True)
class CellChange:
    record_id: RecordId
    line: int
    field: FieldName
    column: str
    old: str
    new: str


@dataclass
class WritebackResult:
    out_dir: Path
    changes: list[CellChange] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


def check_out_dir(out: Path, *, force: bool) -> None:
    """Refuses an output folder that holds files unless ``force`` (outputs are then replaced)."""
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} is a file, not a folder")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise InputError(f"{out} is not empty: choose another --out, or pass --force to replace its files")


def write_back(export: Path, reviewed: Reviewed, out: Path, *, force: bool = False) -> WritebackResult:
    """Writes the outputs (see the module docstring) into ``out``, each file atomically.

    Raises:
        InputError: ``out`` is not empty and ``force`` is not set; the export cannot be read.
    """
    check_out_dir(out, force=force)
    touched = _touched(reviewed)
    result = WritebackResult(out_dir=out)
    refused: list[dict[str, Any]] = []
    no_column: set[FieldName] = set()
    with CsvReader(export) as reader:
        header = map_headers(reader.columns, reviewed.object_type)
        no_column = {f for fields in touched.values() for f in fields if f not in header.position}
        with atomic_text(out / "updated.csv", encoding=reader.dialect.encoding, newline="") as fh:
            writer = CsvWriter(fh, reader.dialect)
            writer.writerow(reader.header)
            for row in reader:
                cells = list(row.cells)
                record = record_of(row, header)
                for name in sorted(touched.get(record.record_id, ())):
                    change = _change(record, name, header, cells, reviewed.records, row.line)
                    if change is None:
                        continue
                    if starts_formula(change.new) or not encodable(change.new, reader.dialect.encoding):
                        refused.append({"line": row.line, "record_id": record.record_id, "field": name})
                        continue
                    cells[header.position[name]] = change.new
                    result.changes.append(change)
                writer.writerow(cells)
    by_record = _by_record(result.changes)
    salesforce_left_out = _write_imports(out, header, by_record, reviewed.object_type)
    merges = _write_merges(out, reviewed)
    audited = _write_audit(out, reviewed)
    result.summary = {
        "export": str(export),
        "object_type": reviewed.object_type,
        "records_changed": len(by_record),
        "cells_changed": len(result.changes),
        "changes_by_field": dict(sorted(_count(c.field for c in result.changes).items())),
        "refused_cells": refused,
        "fields_without_column": sorted(no_column),
        "salesforce_fields_left_out": sorted(salesforce_left_out),
        "hubspot_rows": sum(1 for rid in by_record if not _generated_id(rid)),
        "rows_without_record_id": sorted(rid for rid in by_record if _generated_id(rid)),
        "merges": merges,
        "merged_away_rows_kept": len(reviewed.merged_away),
        "audit_entries": audited,
        "decided_not_applied": _not_applied(reviewed),
    }
    with atomic_text(out / "summary.json") as fh:
        json.dump(result.summary, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    return result


PENDING = frozenset({"approved", "edited", "conflict", "failed"})
"""A person decided it and it is not in the copy: still on its way, or the write did not take."""


def _not_applied(reviewed: Reviewed) -> list[dict[str, str]]:
    """Decisions the outputs do not carry (a change still applying when the session was saved, a
    conflict, a failed write, a merge not carried out): said, never silently left out."""
    return [
        {"review_id": i.review_id, "record_id": i.record_id, "field": i.field, "status": i.status}
        for i in reviewed.items
        if i.status in PENDING and i.is_change and i.object_type == reviewed.object_type
    ]


def _touched(reviewed: Reviewed) -> dict[RecordId, set[FieldName]]:
    """Record -> fields the audit names (a change, a rollback, a merge's winner, a restore): only
    those may differ from the export; the local copy says whether they do."""
    touched: dict[RecordId, set[FieldName]] = defaultdict(set)
    for entry in reviewed.audit:
        if entry.object_type == reviewed.object_type and entry.field:
            touched[entry.record_id].add(entry.field)
    return touched


def _change(
    record: Record,
    name: FieldName,
    header: HeaderMap,
    cells: list[str],
    current: Mapping[RecordId, Record],
    line: int,
) -> CellChange | None:
    pos = header.position.get(name)
    now = current.get(record.record_id)
    if pos is None or now is None or pos >= len(cells):
        return None  # no column for it, or the record merged away (its row stays as it was)
    new = now.get(name)
    if new == cells[pos]:
        return None  # written and rolled back, or written back to what it was
    return CellChange(record.record_id, line, name, header.columns[pos], cells[pos], new)


def _by_record(changes: Iterable[CellChange]) -> dict[RecordId, dict[FieldName, CellChange]]:
    grouped: dict[RecordId, dict[FieldName, CellChange]] = {}
    for change in changes:
        grouped.setdefault(change.record_id, {})[change.field] = change
    return grouped


def _generated_id(record_id: RecordId) -> bool:
    """An id the reader made up for a row without one (``row-<line>``): no CRM knows it."""
    return record_id.startswith("row-")


def _write_imports(
    out: Path,
    header: HeaderMap,
    by_record: dict[RecordId, dict[FieldName, CellChange]],
    object_type: ObjectType,
) -> set[FieldName]:
    """hubspot.csv and salesforce.csv; returns the changed fields Salesforce has no field for."""
    changed = sorted({f for fields in by_record.values() for f in fields}, key=lambda f: header.position[f])
    sf_names = SALESFORCE_FIELDS[object_type]
    sf_fields = [f for f in changed if f in sf_names]
    rows = [(rid, fields) for rid, fields in by_record.items() if not _generated_id(rid)]
    with atomic_text(out / "hubspot.csv", newline="") as fh:
        writer = CsvWriter(fh, IMPORT_DIALECT)
        writer.writerow([HUBSPOT_ID, *(header.columns[header.position[f]] for f in changed)])
        for rid, fields in rows:
            writer.writerow([rid, *(fields[f].new if f in fields else "" for f in changed)])
    with atomic_text(out / "salesforce.csv", newline="") as fh:
        writer = CsvWriter(fh, IMPORT_DIALECT)
        writer.writerow([SALESFORCE_ID, *(sf_names[f] for f in sf_fields)])
        for rid, fields in rows:
            if any(f in fields for f in sf_fields):
                writer.writerow([rid, *(fields[f].new if f in fields else "" for f in sf_fields)])
    return {f for f in changed if f not in sf_names}


def _write_merges(out: Path, reviewed: Reviewed) -> int:
    """One row per applied merge and field the survivor kept (a merge keeping no value: one row)."""
    merges = [
        i
        for i in reviewed.items
        if i.change_kind == "merge" and i.status == "applied" and i.object_type == reviewed.object_type
    ]
    written = _winner_entries(reviewed.audit)
    with atomic_text(out / "merges.csv") as fh:
        writer = ReportWriter(fh)
        writer.writerow(MERGE_COLUMNS)
        for item in sorted(merges, key=lambda i: i.updated_at):
            survivor = item.final_value or (
                item.proposal.suggested_primary if item.proposal else item.record_id
            )
            members = item.proposal.members if item.proposal else ()
            merged = ";".join(m for m in members if m != survivor)
            # the proposal's winners say where each value came from when its primary survived; with a
            # reviewer's primary, survivorship ran again in the merge (services/merge/core.py)
            suggested = item.proposal is not None and survivor == item.proposal.suggested_primary
            proposed = item.proposal.field_winners if item.proposal is not None and suggested else {}
            rows = 0
            for name, value in sorted(written.get(item.review_id, {}).items()):
                winner = proposed.get(name)
                known = winner is not None and winner.value == value
                writer.writerow(
                    [survivor, merged, name, value, winner.source_record if known and winner else "",
                     winner.rule if known and winner else "survivorship with the reviewer's primary",
                     item.decided_by, item.review_id]
                )  # fmt: skip
                rows += 1
            if not rows:
                writer.writerow([survivor, merged, "", "", "", "", item.decided_by, item.review_id])
    return len(merges)


def _winner_entries(audit: Sequence[AuditEntry]) -> dict[str, dict[FieldName, str]]:
    """Merge review id -> field -> the value written on the survivor (the merge's ``applied`` entries)."""
    merged_changes = {e.change_id for e in audit if e.action == "merged"}
    winners: dict[str, dict[FieldName, str]] = defaultdict(dict)
    for entry in audit:
        if entry.change_id in merged_changes and entry.action == "applied" and entry.field:
            winners[entry.change_id][entry.field] = entry.after or ""
    return winners


def _write_audit(out: Path, reviewed: Reviewed) -> int:
    entries = sorted(
        (e for e in reviewed.audit if e.action in EFFECTS and e.object_type == reviewed.object_type),
        key=lambda e: (e.at, e.record_key, e.seq),
    )
    with atomic_text(out / "audit.csv") as fh:
        writer = ReportWriter(fh)
        writer.writerow(AUDIT_COLUMNS)
        for e in entries:
            source = f"{e.source.kind}:{e.source.name}" if e.source else ""
            writer.writerow(
                [e.at.isoformat(timespec="seconds"), e.object_type, e.record_id, e.field, e.before, e.after,
                 e.action, e.reviewer or "policy", source, e.actor, e.review_id, e.run_id, e.reason]
            )  # fmt: skip
    return len(entries)


def _count(values: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for value in values:
        counts[value] += 1
    return counts
