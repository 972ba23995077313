"""``crm-hygiene dedupe``: duplicate pairs and clusters of a CSV of people or companies, zero-config."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from crm_hygiene.types import OBJECT_TYPES


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"a probability strictly between 0 and 1, not {value}")
    return value


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", required=True, type=Path, help="the CSV file (a CRM export or any CSV)")
    parser.add_argument("--id-column", help="the column holding record ids (default: guessed, else row-N)")
    parser.add_argument("--object", choices=OBJECT_TYPES, help="object type (default: from the headers)")
    parser.add_argument(
        "--config", type=Path, help="a MatchConfig (YAML or JSON), or a standard with 'match:'"
    )
    parser.add_argument(
        "--threshold", type=_probability, help="lowest match probability proposed (default 0.5)"
    )
    parser.add_argument(
        "--out", required=True, type=Path, help="pairs.csv: id_l, id_r, match_probability, evidence"
    )
    parser.add_argument("--clusters", type=Path, help="clusters.csv: id, cluster_id for every input row")


def load_config(path: Path | None, threshold: float | None) -> Any:
    """The MatchConfig from a YAML/JSON file (a standard's ``match:`` section works too)."""
    from crm_hygiene.dedup.config import MatchConfig
    from crm_hygiene.errors import InputError

    data: dict[str, Any] = {}
    if path is not None:
        import yaml

        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise InputError(f"not YAML or JSON: {exc}", path=str(path)) from None
        if not isinstance(loaded, dict):
            raise InputError("a match configuration is a mapping", path=str(path))
        data = loaded.get("match", loaded) if "match" in loaded else loaded
    if threshold is not None:
        data = {**data, "threshold": threshold}
        data.setdefault("auto_merge_threshold", max(threshold, 0.999))
        data["auto_merge_threshold"] = max(data["auto_merge_threshold"], threshold)
    from pydantic import ValidationError

    try:
        return MatchConfig.model_validate(data)
    except ValidationError as exc:
        where = str(path) if path is not None else "--threshold"
        raise InputError(f"invalid match configuration: {exc}", path=where) from None


def run(options: argparse.Namespace) -> int:
    from crm_hygiene.services.dedup.export import dedupe_file

    config = load_config(options.config, options.threshold)
    done = dedupe_file(
        options.input,
        options.out,
        options.clusters,
        id_column=options.id_column,
        object_type=options.object,
        config=config,
    )
    export, stats = done.export, done.stats
    used = {c: k for c, k in export.kinds.items() if k != "ignore"}
    print(f"Read {len(export.ids):,} {export.object_type} records from {export.path}")
    print("Fields: " + json.dumps(used, ensure_ascii=False))
    print(
        f"Compared {stats.get('candidate_pairs', 0):,} candidate pairs; proposed {done.pairs_written:,} "
        f"duplicate pairs -> {options.out}"
    )
    if options.clusters is not None:
        merged = len(export.ids) - done.clusters
        print(f"{done.clusters:,} clusters ({merged:,} records would merge away) -> {options.clusters}")
    return 0
