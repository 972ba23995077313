"""Review outcomes fed back into provider quality.

A reviewed queue (``queue.csv`` with its ``status`` column set to approved, rejected or edited, and
``suggested_value`` holding the value the reviewer kept) is joined to the run's
``proposals.jsonl`` by (record, field). Each provider that gave a value is credited or debited:

* approved: providers that gave the proposed value are approved; those that gave another rejected;
* edited: providers of the proposed value are edited (close, not right); a dissenting provider
  whose value is the one the reviewer kept is approved, other dissenters rejected;
* rejected: providers of the proposed value are rejected, and the change is remembered so it is
  never proposed again (``DecisionMemory``).

Each change counts once, however often the same file is fed back.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from crm_hygiene.csvio.formula import restore
from crm_hygiene.enrich.fields import Values
from crm_hygiene.enrich.outputs import LedgerEntry, SourceValue
from crm_hygiene.enrich.quality import FieldQuality, QualityKey, QualityStore
from crm_hygiene.errors import InputError
from crm_hygiene.standard.loader import default_standard
from crm_hygiene.types import OBJECT_TYPES, ObjectType
from crm_hygiene.validate.context import CheckContext

OUTCOMES = ("approved", "rejected", "edited")
LedgerIndex = dict[tuple[str, str], LedgerEntry]


@dataclass
class FeedbackResult:
    """What one feedback pass counted.

    Attributes:
        outcomes: (provider, field, outcome) -> values counted.
        counted: Reviewed enrichment rows counted now.
        already_counted: Rows whose change was counted by an earlier feedback pass.
        unmatched: Reviewed enrichment rows with no entry in the proposals ledger.
        not_reviewed: Rows without a review outcome, or not about enrichment.
    """

    outcomes: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    counted: int = 0
    already_counted: int = 0
    unmatched: int = 0
    not_reviewed: int = 0
    deltas: dict[QualityKey, FieldQuality] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    """Provider name -> type (derived, activity, file, http), as the ledger recorded it."""


def read_ledger(paths: Iterable[str | Path]) -> LedgerIndex:
    """Reads proposals ledgers into (record_id, field) -> entry (a later run's entry wins)."""
    index: LedgerIndex = {}
    for path in paths:
        with Path(path).open(encoding="utf-8") as fh:
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    entry = LedgerEntry.model_validate_json(line)
                except ValidationError as exc:
                    raise InputError(
                        f"not a proposals ledger line: {exc.errors()[0]['msg']}", path=str(path), line=number
                    ) from None
                index[(entry.record_id, entry.field)] = entry
    return index


def read_reviewed(path: str | Path) -> Iterator[dict[str, str]]:
    """Reviewed queue rows from a queue CSV (or queue.jsonl) with a ``status`` column."""
    file = Path(path)
    if file.suffix.lower() == ".jsonl":
        with file.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    yield {k: "" if v is None else str(v) for k, v in json.loads(line).items()}
        return
    with file.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or "status" not in reader.fieldnames:
            raise InputError("a reviewed queue needs a 'status' column", path=str(path), line=1)
        for row in reader:  # our queue.csv wrote formula-like cells as text: read them back as they were
            yield {k: restore(v or "") for k, v in row.items() if k is not None}


class _Judge:
    def __init__(self) -> None:
        self._values: dict[ObjectType, Values] = {}

    def same(self, entry: LedgerEntry, a: str, b: str) -> bool:
        values = self._values.get(entry.object_type)
        if values is None:
            values = Values(CheckContext(standard=default_standard(), object_type=entry.object_type))
            self._values[entry.object_type] = values
        clean_b = values.clean(entry.logical_field, b) or b.strip()
        return values.same(entry.logical_field, a, clean_b)


def _verdicts(
    entry: LedgerEntry, status: str, final: str, judge: _Judge
) -> Iterator[tuple[SourceValue, str]]:
    changed = bool(final) and not judge.same(entry, entry.new_value, final)
    edited = status == "edited" or (status == "approved" and changed)  # approved with a new value: an edit
    if status == "rejected":
        yield from ((s, "rejected") for s in entry.sources)
        return
    for s in entry.sources:
        yield s, "edited" if edited else "approved"
    for s in entry.dissent:
        yield s, "approved" if (edited and judge.same(entry, s.value, final)) else "rejected"


def apply_feedback(
    rows: Iterable[Mapping[str, str]], ledger: LedgerIndex, store: QualityStore
) -> FeedbackResult:
    """Counts review outcomes into ``store`` (see the module docstring); returns what was counted."""
    result = FeedbackResult()
    judge = _Judge()
    keys: list[str] = []
    for row in rows:
        status = row.get("status", "").strip().lower()
        if status not in OUTCOMES or row.get("kind") not in ("enrich", "job_change"):
            result.not_reviewed += 1
            continue
        entry = ledger.get((row.get("record_id", ""), row.get("field", "")))
        if entry is None or entry.object_type not in OBJECT_TYPES:
            result.unmatched += 1
            continue
        if store.seen_feedback(entry.change_id) or entry.change_id in keys:
            result.already_counted += 1
            continue
        keys.append(entry.change_id)
        result.counted += 1
        final = row.get("suggested_value", "").strip()
        for source, outcome in _verdicts(entry, status, final, judge):
            q = result.deltas.setdefault((source.provider, entry.logical_field), FieldQuality())
            setattr(q, outcome, getattr(q, outcome) + 1)
            result.outcomes[(source.provider, entry.logical_field, outcome)] += 1
            if source.provider_kind:
                result.kinds[source.provider] = source.provider_kind
        if status == "rejected":
            store.remember_rejection(
                entry.change_id, "rejected in review", row.get("reviewer", "") or "review"
            )
    store.add(result.deltas, keys)
    return result
