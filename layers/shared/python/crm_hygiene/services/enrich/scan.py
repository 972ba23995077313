"""Enrichment riding along a scan (``crm-hygiene scan --enrich``).

Each record is enriched as the scan reads it; its enrichment rows join the scan's queue and its
``auto`` changes go into cleaned.csv with the scan's own. The proposals ledger, the signals and the
associations are written next to the scan's outputs when the scan finishes.
"""

from __future__ import annotations

from pathlib import Path

from crm_hygiene.csvio import atomic_text
from crm_hygiene.models.record import Record
from crm_hygiene.services.enrich.export import EnrichRun
from crm_hygiene.services.scanned import ExtensionResult, ScannedRecord


class EnrichExtension:
    """A ``ScanExtension`` that enriches every record (one at a time: a scan is sequential)."""

    name = "enrichment"

    def __init__(self, run: EnrichRun, out_dir: str | Path) -> None:
        """Args: run: the prepared run (``services.enrich.export.prepare``, the options of
        ``crm-hygiene enrich``); out_dir: where its JSON-lines outputs go."""
        self.run = run
        self.out = Path(out_dir)
        self._lines: dict[str, list[str]] = {
            "proposals.jsonl": [],
            "signals.jsonl": [],
            "associations.jsonl": [],
        }

    def on_record(self, record: Record, scanned: ScannedRecord) -> None:
        result = self.run.enricher.enrich([record])[0]
        scanned.rows.extend(result.rows)
        scanned.auto_changes.extend(result.auto)
        lines = self._lines
        lines["proposals.jsonl"].extend(e.model_dump_json() for e in result.ledger)
        lines["signals.jsonl"].extend(s.model_dump_json(by_alias=True) for s in result.signals)
        lines["associations.jsonl"].extend(a.model_dump_json(exclude_none=True) for a in result.associations)

    def finish(self) -> ExtensionResult:
        quality = self.run.enricher.finish()
        self._lines["signals.jsonl"].extend(s.model_dump_json(by_alias=True) for s in quality)
        for name, lines in self._lines.items():
            with atomic_text(self.out / name) as fh:
                fh.writelines(line + "\n" for line in lines)
        return ExtensionResult(rows=[], summary=self.run.enricher.summary())
