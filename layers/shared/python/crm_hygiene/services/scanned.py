"""What a scan yields per record, and the seam other use cases plug into it (duplicates, enrichment).

Its own module below ``services/scan`` so that dedup, enrich and review build on it while the
scan's drivers call them (scan.pipeline's finalize proposes merges) without an import cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from crm_hygiene.models.change import ProposedChange
from crm_hygiene.models.health import HealthScore
from crm_hygiene.models.queue import QueueRow
from crm_hygiene.models.record import Record
from crm_hygiene.validate.check import Issue, RecordReport


@dataclass(slots=True)
class ScannedRecord:
    """The outcome for one record: its queue rows, the changes that apply by themselves, its health."""

    report: RecordReport
    rows: list[QueueRow]
    auto_changes: list[ProposedChange]
    health: HealthScore
    suppressed: int = 0
    pairs: list[tuple[Issue, QueueRow]] = field(default_factory=list)


@dataclass(slots=True)
class ExtensionResult:
    """What a scan extension adds when the pass is over: queue rows and figures for summary.json."""

    rows: list[QueueRow] = field(default_factory=list)
    summary: dict[str, object] = field(default_factory=dict)


class ScanExtension(Protocol):
    """A step that rides along a scan (duplicate detection, enrichment).

    ``on_record`` sees every record once, in order, after its checks, and may append queue rows and
    ``auto`` changes to ``scanned`` (they go through the same outputs, including cleaned.csv).
    ``finish`` runs once after the last record; its rows are appended to the queue.
    """

    name: str

    def on_record(self, record: Record, scanned: ScannedRecord) -> None: ...

    def finish(self) -> ExtensionResult: ...
