"""A CRM export file read as canonical records (the scan, the local demo's seeding, tests)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from crm_hygiene.csvio import CsvReader, Row
from crm_hygiene.models.fields import HeaderMap, detect_object_type, map_headers
from crm_hygiene.models.record import Record
from crm_hygiene.types import ObjectType


def record_of(row: Row, header: HeaderMap) -> Record:
    """One export row as a Record: canonical fields by name, other columns as custom fields."""
    cells = row.cells
    width = len(cells)
    fields = {name: (cells[pos] if pos < width else "") for pos, name in header.canonical.items()}
    custom = {header.columns[pos]: (cells[pos] if pos < width else "") for pos in header.custom}
    record_id = fields.get("record_id", "").strip() or f"row-{row.line}"
    return Record.model_construct(
        object_type=header.object_type,
        record_id=record_id,
        fields=fields,
        custom=custom,
        source="csv",
        line=row.line,
    )


def read_records(path: str | Path, object_type: ObjectType | None = None) -> Iterator[Record]:
    """Streams the records of an export file (object type from the headers unless given)."""
    with CsvReader(path) as reader:
        kind = object_type or detect_object_type(reader.columns, Path(path).name)
        header = map_headers(reader.columns, kind)
        for row in reader:
            yield record_of(row, header)
