"""``KeyedMatchIndex`` and ``InMemoryMatchIndexStore``: a stored match index held in dicts.

The same layout as the DynamoDB one (``adapters/aws/match_index.py``: key -> record ids, record ->
fields and keys, the snapshot as bytes), for tests and local runs of the services that save and
open stored indexes; lookups and scoring are ``dedup.snapshot.match``, as there.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from crm_hygiene.dedup.snapshot import MatchSnapshot, match
from crm_hygiene.models.merge import MatchCandidate
from crm_hygiene.types import ObjectType, RecordId


@dataclass
class _Stored:
    snapshot: bytes
    generation: int
    by_key: dict[str, list[RecordId]] = field(default_factory=dict)
    fields: dict[RecordId, dict[str, str]] = field(default_factory=dict)
    keys: dict[RecordId, list[str]] = field(default_factory=dict)


class KeyedMatchIndex:
    """Implements ``MatchIndex`` over one object type's dicts of an ``InMemoryMatchIndexStore``."""

    def __init__(self, stored: _Stored, snapshot: MatchSnapshot) -> None:
        self._stored = stored
        self.snapshot = snapshot

    def add(self, record_id: RecordId, record: Mapping[str, str]) -> None:
        self.remove(record_id)
        _put(self._stored, self.snapshot, record_id, record, self.snapshot.record_keys(record))

    def remove(self, record_id: RecordId) -> None:
        stored = self._stored
        for key in stored.keys.pop(record_id, []):
            stored.by_key[key] = [rid for rid in stored.by_key.get(key, []) if rid != record_id]
        stored.fields.pop(record_id, None)

    def candidates(self, record: Mapping[str, str], *, limit: int = 10) -> list[MatchCandidate]:
        stored, cap = self._stored, self.snapshot.config.max_block_size
        return match(
            self.snapshot,
            record,
            lambda keys: {k: sorted(stored.by_key.get(k, []))[:cap] for k in keys},
            lambda ids: {rid: stored.fields[rid] for rid in ids if rid in stored.fields},
            limit=limit,
        )


def _put(
    stored: _Stored,
    snapshot: MatchSnapshot,
    record_id: RecordId,
    record: Mapping[str, str],
    keys: Sequence[str],
) -> None:
    stored.fields[record_id] = {c: record[c] for c in snapshot.columns if record.get(c)}
    stored.keys[record_id] = sorted(set(keys))
    for key in stored.keys[record_id]:
        stored.by_key.setdefault(key, []).append(record_id)


@dataclass
class InMemoryMatchIndexStore:
    """Implements ``MatchIndexStore`` in memory (see the module docstring)."""

    saved: dict[ObjectType, _Stored] = field(default_factory=dict)

    def save(
        self,
        object_type: ObjectType,
        snapshot: MatchSnapshot,
        records: Iterator[tuple[RecordId, Mapping[str, str], Sequence[str]]],
    ) -> dict[str, int]:
        previous = self.saved.get(object_type)
        stored = _Stored(snapshot.to_bytes(), previous.generation + 1 if previous else 1)
        count = 0
        for record_id, fields, keys in records:
            _put(stored, snapshot, record_id, fields, keys)
            count += 1
        self.saved[object_type] = stored
        return {"records": count}

    def open(self, object_type: ObjectType) -> KeyedMatchIndex | None:
        stored = self.saved.get(object_type)
        if stored is None:
            return None
        return KeyedMatchIndex(stored, MatchSnapshot.from_bytes(stored.snapshot))

    def generation(self, object_type: ObjectType) -> str | None:
        stored = self.saved.get(object_type)
        return None if stored is None else str(stored.generation)
