"""Deduplicating a CSV file: read the columns that matter, find duplicates, write pairs and clusters.

This is what ``crm-hygiene dedupe`` runs. The export is streamed once; only the columns used for
matching (and the id column) are kept, as lists of strings. Outputs are written atomically.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from crm_hygiene.csvio import CsvReader, ReportWriter, Row, atomic_text
from crm_hygiene.dedup.config import FieldKind, MatchConfig
from crm_hygiene.dedup.engine import DedupResult, find_duplicates
from crm_hygiene.dedup.kinds import infer_kinds
from crm_hygiene.errors import InputError
from crm_hygiene.models.fields import detect_object_type
from crm_hygiene.types import ObjectType

PAIR_COLUMNS = ("id_l", "id_r", "match_probability", "evidence")
CLUSTER_COLUMNS = ("id", "cluster_id")
_SNIFF_ROWS = 500


@dataclass
class LoadedExport:
    """The columns of an export that matching uses.

    Attributes:
        path: The file.
        object_type: contact, company or deal.
        ids: One id per row (the id column's value, or ``row-<line>``).
        columns: Column -> values, for the columns of a kind other than ``ignore``.
        kinds: Column -> kind, for every column of the file.
        id_column: The column the ids come from, if any.
    """

    path: Path
    object_type: ObjectType
    ids: list[str]
    columns: dict[str, list[str]]
    kinds: dict[str, FieldKind]
    id_column: str | None = None


def load_export(
    path: str | Path,
    *,
    id_column: str | None = None,
    object_type: ObjectType | None = None,
    overrides: Mapping[str, FieldKind] | None = None,
) -> LoadedExport:
    """Reads an export (any CSV dialect and encoding the scan reads), keeping the matching columns.

    Raises:
        InputError: Unreadable CSV, or ``id_column`` is not a column of the file.
    """
    with CsvReader(path) as reader:
        header = list(reader.columns)
        if id_column is not None and id_column not in header:
            raise InputError(f"no column {id_column!r} (columns: {', '.join(header)})", path=str(path))
        rows = iter(reader)
        head = []
        for row in rows:
            head.append(row)
            if len(head) >= _SNIFF_ROWS:
                break
        kind = object_type or detect_object_type(header, Path(path).name)
        given = dict(overrides or {})
        if id_column is not None:
            given[id_column] = "record_id"
        kinds = infer_kinds(header, [r.cells for r in head], kind, given)
        id_col = id_column or next((c for c, k in kinds.items() if k == "record_id"), None)
        keep = [i for i, c in enumerate(header) if kinds[c] not in ("ignore", "record_id")]
        id_pos = header.index(id_col) if id_col is not None else -1
        columns: list[list[str]] = [[] for _ in keep]
        ids: list[str] = []
        for row in _chain(head, rows):
            cells = row.cells
            width = len(cells)
            for out, pos in zip(columns, keep, strict=True):
                out.append(cells[pos] if pos < width else "")
            rid = cells[id_pos].strip() if 0 <= id_pos < width else ""
            ids.append(rid or f"row-{row.line}")
    if len(set(ids)) != len(ids):
        ids = _unique_ids(ids)
    return LoadedExport(
        Path(path), kind, ids, {header[p]: col for p, col in zip(keep, columns, strict=True)}, kinds, id_col
    )


def _chain(head: list[Row], rows: Iterator[Row]) -> Iterator[Row]:
    yield from head
    yield from rows


def _unique_ids(ids: list[str]) -> list[str]:
    """Ids made unique: a repeated id gets "#2", "#3" (an export with duplicate ids stays usable)."""
    seen: dict[str, int] = {}
    out = []
    for rid in ids:
        count = seen.get(rid, 0) + 1
        seen[rid] = count
        out.append(rid if count == 1 else f"{rid}#{count}")
    return out


@dataclass
class DedupeRun:
    """The outcome of ``dedupe_file``."""

    export: LoadedExport
    result: DedupResult
    pairs_written: int
    clusters: int
    stats: dict[str, object] = field(default_factory=dict)


def evidence_json(result: DedupResult, i: int) -> str:
    """The evidence of proposed pair ``i`` as compact JSON: each comparison's level and weight."""
    payload: dict[str, object] = {
        "direct": round(float(result.direct[i]), 4),
        "comparisons": {name: [level, bits] for name, level, bits in result.evidence(i)},
    }
    if result.direct[i] < result.probability[i] - 1e-9:
        payload["linked_through_cluster"] = True
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def write_pairs(path: str | Path, result: DedupResult, ids: Sequence[str]) -> int:
    """Writes pairs.csv (``id_l, id_r, match_probability, evidence``), strongest first."""
    with atomic_text(path) as fh:
        out = ReportWriter(fh)
        out.writerow(PAIR_COLUMNS)
        for i, (a, b) in enumerate(zip(result.left.tolist(), result.right.tolist(), strict=True)):
            out.writerow((ids[a], ids[b], f"{result.probability[i]:.6f}", evidence_json(result, i)))
    return len(result.left)


def write_clusters(path: str | Path, result: DedupResult, ids: Sequence[str]) -> int:
    """Writes clusters.csv (``id, cluster_id``) for every row; the cluster id is its first member's id."""
    labels = result.labels.tolist()
    with atomic_text(path) as fh:
        out = ReportWriter(fh)
        out.writerow(CLUSTER_COLUMNS)
        for rid, label in zip(ids, labels, strict=True):
            out.writerow((rid, ids[label]))
    return len(set(labels))


def dedupe_file(
    input_path: str | Path,
    pairs_path: str | Path,
    clusters_path: str | Path | None = None,
    *,
    id_column: str | None = None,
    object_type: ObjectType | None = None,
    config: MatchConfig | None = None,
) -> DedupeRun:
    """Finds the duplicates in a CSV export and writes pairs.csv (and clusters.csv)."""
    config = config or MatchConfig()
    export = load_export(input_path, id_column=id_column, object_type=object_type, overrides=config.fields)
    result = find_duplicates(export.columns, export.kinds, config, release=export.columns.clear)
    written = write_pairs(pairs_path, result, export.ids)
    clusters = write_clusters(clusters_path, result, export.ids) if clusters_path is not None else 0
    return DedupeRun(export, result, written, clusters, dict(result.stats))
