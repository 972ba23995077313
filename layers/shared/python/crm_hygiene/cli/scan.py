"""``crm-hygiene scan``: the weekly cleanup queue from a CRM export."""

from __future__ import annotations

import argparse
from pathlib import Path

from crm_hygiene.cli.options import as_of
from crm_hygiene.cli.progress import Progress
from crm_hygiene.types import OBJECT_TYPES


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", required=True, type=Path, help="the CRM export (CSV)")
    parser.add_argument("--object", choices=OBJECT_TYPES, help="object type (default: from the headers)")
    parser.add_argument("--standard", type=Path, help="the clean-record standard (default: the shipped one)")
    parser.add_argument("--out", required=True, type=Path, help="output directory")
    parser.add_argument("--as-of", type=as_of, help="'now' for staleness, ISO date (default: today)")
    parser.add_argument("--enrich", action="store_true", help="also enrich (see crm-hygiene enrich)")
    parser.add_argument("--providers", type=Path, help="with --enrich: providers.yaml (implies --enrich)")
    parser.add_argument("--activity", type=Path, help="with --enrich: an activity log (implies --enrich)")
    parser.add_argument(
        "--no-dedupe", action="store_true", help="skip duplicate detection (contacts, companies)"
    )


def run(options: argparse.Namespace) -> int:
    from crm_hygiene.cli.report import print_scan_summary
    from crm_hygiene.services.scan.export import scan_export

    extensions = []
    if options.enrich or options.providers or options.activity:
        from crm_hygiene.cli.enrich import scan_extension

        extensions.append(scan_extension(options))
    if not options.no_dedupe:
        extensions.append(_dedupe_extension(options))
    progress = Progress()
    result = scan_export(
        options.input,
        options.out,
        object_type=options.object,
        standard_path=options.standard,
        as_of=options.as_of,
        progress=progress,
        extensions=extensions,
    )
    progress.done()
    print_scan_summary(result.summary, result.out_dir)
    if "enrichment" in result.summary:
        from crm_hygiene.cli.enrich import print_scan_enrichment

        print_scan_enrichment(result.summary["enrichment"])
    if "duplicates" in result.summary:
        _print_duplicates(result.summary["duplicates"])
    return 0


def _dedupe_extension(options: argparse.Namespace) -> object:
    """Duplicate detection for contacts and companies, under the scan's standard."""
    from crm_hygiene.services.dedup.core import ScanDuplicates
    from crm_hygiene.services.scan.export import choose_standard

    choice = choose_standard(options.standard)
    return ScanDuplicates(standard=choice.standard, standard_valid=choice.valid)


def _print_duplicates(figures: object) -> None:
    if isinstance(figures, dict) and figures.get("records"):
        bands = figures["merges_by_band"]
        print(
            f"Duplicates: {figures['proposed_merges']:,} proposed merges ({bands['auto']:,} auto, "
            f"{bands['review']:,} review); {figures['duplicate_risk']:,} records would merge away"
        )
