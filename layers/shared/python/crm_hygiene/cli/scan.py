"""``crm-hygiene scan``: the weekly cleanup queue from a CRM export."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from crm_hygiene.cli.progress import Progress
from crm_hygiene.types import OBJECT_TYPES


def _as_of(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", required=True, type=Path, help="the CRM export (CSV)")
    parser.add_argument("--object", choices=OBJECT_TYPES, help="object type (default: from the headers)")
    parser.add_argument("--standard", type=Path, help="the clean-record standard (default: the shipped one)")
    parser.add_argument("--out", required=True, type=Path, help="output directory")
    parser.add_argument("--as-of", type=_as_of, help="'now' for staleness, ISO date (default: today)")


def run(options: argparse.Namespace) -> int:
    from crm_hygiene.cli.report import print_scan_summary
    from crm_hygiene.services.scan_export import scan_export

    progress = Progress()
    result = scan_export(
        options.input,
        options.out,
        object_type=options.object,
        standard_path=options.standard,
        as_of=options.as_of,
        progress=progress,
    )
    progress.done()
    print_scan_summary(result.summary, result.out_dir)
    return 0
