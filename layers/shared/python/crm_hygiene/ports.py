"""Ports: what the domain needs from the outside world, as ``typing.Protocol``s.

Adapters in ``crm_hygiene/adapters`` implement them (DynamoDB, S3, SNS, Step Functions, HubSpot,
CSV); in-memory implementations for tests and local runs live in ``crm_hygiene/memory.py``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Protocol

from crm_hygiene.models.crm import FieldInfo, FieldWrite, MergeResult, RecordPage, WriteResult
from crm_hygiene.models.record import Record
from crm_hygiene.types import FieldName, ObjectType, RecordId


class DecisionMemory(Protocol):
    """Remembers what reviewers rejected, so the same proposal is not raised again."""

    def was_rejected(self, key: str) -> bool:
        """Whether a change (by ``change_id``) or a pair (by its pair key) was rejected."""
        ...

    def remember_rejection(self, key: str, reason: str, reviewer: str) -> None:
        """Records a rejection."""
        ...


class CrmStore(Protocol):
    """A CRM seen through canonical field names (HubSpot, Salesforce, the internal table, an export).

    Writes are optimistic: each ``FieldWrite`` names the value it expects; a record that no longer
    holds it is a ``conflict``, never overwritten. Nothing here deletes.
    """

    def list_records(
        self, object_type: ObjectType, *, cursor: str | None = None, limit: int = 100
    ) -> RecordPage:
        """One page of records in a stable order; pass ``next_cursor`` back for the next page."""
        ...

    def changed_since(self, object_type: ObjectType, since: datetime) -> Iterator[Record]:
        """Records modified at or after ``since`` (incremental scans)."""
        ...

    def get_records(self, object_type: ObjectType, record_ids: Sequence[RecordId]) -> list[Record]:
        """The records that exist among ``record_ids`` (missing ones are left out)."""
        ...

    def write_fields(self, object_type: ObjectType, writes: Sequence[FieldWrite]) -> list[WriteResult]:
        """Applies writes whose expected old value still holds; one result per write, same order."""
        ...

    def merge(self, object_type: ObjectType, primary_id: RecordId, secondary_id: RecordId) -> MergeResult:
        """Merges ``secondary_id`` into ``primary_id`` through the CRM's own merge."""
        ...

    def field_info(self, object_type: ObjectType) -> dict[FieldName, FieldInfo]:
        """Which canonical fields exist and can be written (read-only/calculated are never proposed)."""
        ...


class SecretStore(Protocol):
    """Where tokens and API keys come from (environment, AWS Secrets Manager)."""

    def get(self, name: str) -> str:
        """The secret's value; raises ``NotFound`` when there is none."""
        ...


class IdempotencyStore(Protocol):
    """Remembers which deliveries (webhook events, queue messages) were already taken, by key.

    ``claim`` must be atomic (a DynamoDB conditional put, a lock-guarded set): of two concurrent
    claims of one key exactly one wins. ``release`` undoes a claim whose work could not be handed on,
    so the sender's retry is processed instead of dropped as a duplicate.
    """

    def claim(self, key: str, *, ttl_seconds: int = 172_800) -> bool:
        """True the first time ``key`` is claimed (within ``ttl_seconds``), False for a repeat."""
        ...

    def release(self, key: str) -> None:
        """Forgets a claim (no error when there is none)."""
        ...
