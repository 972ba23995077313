"""What the review queue is asked (a filter, a search, an order) and what its counts answer.

One meaning for every ``ChangeQueue``: ``ReviewFilter.matches`` and ``order_key`` are the reference the
in-memory queue applies and tests/contract/test_change_queue.py holds the DynamoDB queue to; the
DynamoDB queue stores ``search_key`` and the ``order_key`` strings on each item at put time and applies
the same rules in its queries (``adapters/aws/change_queue.py``).

Search is case- and accent-insensitive substring matching of every term (``q="ana acme"``: items
whose label, record id, review id or merge members contain both "ana" and "acme").
"""

from __future__ import annotations

import base64
import hashlib
import json
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from crm_hygiene.errors import InvalidRequest
from crm_hygiene.models.merge import MergeProposal
from crm_hygiene.models.record import Record
from crm_hygiene.models.review import ReviewItem
from crm_hygiene.types import ChangeStatus, FieldName, ObjectType, QueueKind, ReviewSort

SEARCH_TERMS_MAX = 8
"""Terms of a search beyond this many are ignored (each is one condition of the query)."""
LABEL_MAX = 300

# sort -> (the stored attribute that orders it, ascending?)
SORT_ATTRIBUTES: dict[ReviewSort, tuple[str, bool]] = {
    "newest": ("created_at", False),
    "oldest": ("created_at", True),
    "confidence": ("sort_confidence", False),
    "confidence_asc": ("sort_confidence", True),
    "priority": ("sort_priority", True),
}


def search_text(text: str) -> str:
    """``text`` as the search compares it: case-folded, accents removed, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def search_terms(q: str | None) -> tuple[str, ...]:
    """The distinct terms of a search, normalized (at most ``SEARCH_TERMS_MAX``)."""
    return tuple(dict.fromkeys(search_text(q or "").split()))[:SEARCH_TERMS_MAX]


def search_key(item: ReviewItem) -> str:
    """What a search looks in: the label, the record id, the review id and a merge's members."""
    members = item.proposal.members if item.proposal is not None else ()
    parts = [item.label, item.record_id, item.review_id, *members]
    return search_text(" | ".join(p for p in parts if p))


_LABEL_FIELDS: tuple[FieldName, ...] = ("first_name", "last_name", "name", "email", "company")


def label_of(fields: Mapping[FieldName, str]) -> str:
    """Who a record is, in words: its name, e-mail and company ("Ana Pérez <ana@acme.com>, Acme")."""
    name = " ".join(
        p.strip() for p in (fields.get("first_name", ""), fields.get("last_name", "")) if p.strip()
    )
    name = name or fields.get("name", "").strip()
    email, company = fields.get("email", "").strip(), fields.get("company", "").strip()
    text = " ".join(p for p in (name, f"<{email}>" if email else "") if p)
    return ", ".join(p for p in (text, company) if p)[:LABEL_MAX]


def record_label(record: Record) -> str:
    """``label_of`` a record's fields."""
    return label_of(record.fields)


def proposal_label(proposal: MergeProposal) -> str:
    """A merge's label: the merged record's (the field winners), then the members' other values of the
    same fields, so a search finds the merge by any member's name or e-mail."""
    winners = proposal.field_winners
    merged = label_of({f: w.value for f, w in winners.items() if f in _LABEL_FIELDS})
    others = [a for f in _LABEL_FIELDS if f in winners for a in winners[f].alternatives if a.strip()]
    also = f" (also: {', '.join(dict.fromkeys(others))})" if others else ""
    return f"{merged}{also}"[:LABEL_MAX]


def _instant(moment: datetime) -> str:
    # fixed width, so the strings order as the instants do (pydantic's JSON drops zero microseconds)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def order_key(item: ReviewItem, sort: ReviewSort) -> str:
    """The string ``sort`` orders items by (in the direction of ``SORT_ATTRIBUTES``); ties never occur
    because the review id ends every key."""
    created = _instant(item.created_at)
    attribute, _ = SORT_ATTRIBUTES[sort]
    if attribute == "sort_confidence":
        return f"{item.confidence:.6f}#{created}#{item.review_id}"
    if attribute == "sort_priority":
        return f"{0 if item.priority == 'high' else 1}#{created}#{item.review_id}"
    return f"{created}#{item.review_id}"


class ReviewFilter(BaseModel):
    """Which items: each given attribute must be equal, and every search term found (``q``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: ChangeStatus | None = None
    kind: QueueKind | None = None
    object_type: ObjectType | None = None
    field: FieldName | None = Field(default=None, min_length=1, max_length=128)
    run_id: str | None = Field(default=None, min_length=1, max_length=128)
    q: str | None = Field(
        default=None, min_length=1, max_length=200, description="Search: name, e-mail, company, ids"
    )

    @property
    def equalities(self) -> dict[str, str]:
        """Attribute -> the value it must have."""
        values = {"status": self.status, "kind": self.kind, "object_type": self.object_type,
                  "field": self.field, "run_id": self.run_id}  # fmt: skip
        return {k: v for k, v in values.items() if v is not None}

    @property
    def terms(self) -> tuple[str, ...]:
        return search_terms(self.q)

    def matches(self, item: ReviewItem) -> bool:
        if any(getattr(item, k) != v for k, v in self.equalities.items()):
            return False
        key = search_key(item)
        return all(t in key for t in self.terms)

    def digest(self, sort: ReviewSort) -> str:
        """Binds a cursor to the filter and order it was issued for."""
        text = json.dumps([self.model_dump(mode="json"), list(self.terms), sort], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


_BAD_CURSOR = "invalid cursor: pass back the next_cursor of a page, unchanged, with the same filters and sort"


def encode_position(digest: str, position: Any) -> str:
    """An opaque cursor: where the next page starts, bound to the filter and order (``digest``)."""
    body = json.dumps({"h": digest, "p": position}, separators=(",", ":"))
    return base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")


def decode_position(cursor: str, digest: str) -> Any:
    """The position a cursor of ours holds; ``InvalidRequest`` for one we did not issue (or issued for
    another filter or order)."""
    try:
        body = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError):
        raise InvalidRequest(_BAD_CURSOR) from None
    if not isinstance(body, dict) or body.get("h") != digest or "p" not in body:
        raise InvalidRequest(_BAD_CURSOR)
    return body["p"]


class ReviewCounts(BaseModel):
    """How many items match a filter, in all and per status, kind, field and object type (``field`` ""
    counts merges and findings about a whole record)."""

    total: int
    by_status: dict[str, int]
    by_kind: dict[str, int]
    by_field: dict[str, int]
    by_object_type: dict[str, int]


COUNTED: tuple[str, ...] = ("status", "kind", "field", "object_type")
"""The attributes ``ReviewCounts`` counts by (what a counting query reads of each item)."""


def count(rows: Iterable[dict[str, Any]]) -> ReviewCounts:
    """Counts rows holding the ``COUNTED`` attributes (items as dicts)."""
    tallies: dict[str, Counter[str]] = {a: Counter() for a in COUNTED}
    total = 0
    for row in rows:
        total += 1
        for attribute, tally in tallies.items():
            tally[str(row.get(attribute, ""))] += 1
    return ReviewCounts(
        total=total,
        by_status=dict(tallies["status"]),
        by_kind=dict(tallies["kind"]),
        by_field=dict(tallies["field"]),
        by_object_type=dict(tallies["object_type"]),
    )
