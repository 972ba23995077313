"""GET /vocabulary: the console's filters and labels come from the one definition in types.py."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from review_api_handler import lambda_handler, openapi_schema

from crm_hygiene import memory
from crm_hygiene.models.review import TRANSITIONS
from crm_hygiene.services.review.core import DECIDABLE, ReviewDeps
from crm_hygiene.types import (
    DECISIONS,
    OBJECT_TYPES,
    QUEUE_KINDS,
    QUEUE_MEANINGS,
    STATUS_LABELS,
)
from tests.events.factory import FakeContext, api_event

PAGE = Path(__file__).parents[2] / "functions/review_api/static/index.html"


def _get(path: str) -> tuple[int, Any]:
    deps = ReviewDeps(
        queue=memory.InMemoryChangeQueue(), audit=memory.InMemoryAuditLog(),
        memory=memory.InMemoryDecisionMemory(), apply_queue=memory.ListWorkQueue(),
        workflow=memory.InMemoryWorkflow(), crm=memory.InMemoryCrmStore(), health=memory.InMemoryHealthStore(),
    )  # fmt: skip
    response = lambda_handler(api_event("GET", path), FakeContext(), deps=deps)
    return response["statusCode"], json.loads(response["body"])


def test_vocabulary_lists_every_member_with_its_meaning() -> None:
    status, body = _get("/vocabulary")
    assert status == 200
    assert [k["kind"] for k in body["kinds"]] == list(QUEUE_KINDS)
    assert all(k["label"] == QUEUE_MEANINGS[k["kind"]].label for k in body["kinds"])
    assert [s["status"] for s in body["statuses"]] == list(STATUS_LABELS)
    assert {s["status"] for s in body["statuses"] if s["decidable"]} == DECIDABLE
    assert {s["status"] for s in body["statuses"] if s["terminal"]} == {
        s for s, nxt in TRANSITIONS.items() if not nxt
    }
    assert [(d["decision"], d["status"]) for d in body["decisions"]] == [
        (d, m.status) for d, m in DECISIONS.items()
    ]
    assert body["object_types"] == list(OBJECT_TYPES)


def test_vocabulary_is_declared_in_the_openapi_document() -> None:
    schema = json.loads(openapi_schema())
    route = schema["paths"]["/vocabulary"]["get"]
    assert "200" in route["responses"]
    assert "Vocabulary" in schema["components"]["schemas"]


def test_the_page_lists_no_vocabulary_of_its_own() -> None:
    # The console fills its filters from GET /vocabulary: no kind or status is written in its page or
    # modules.
    html = "\n".join(p.read_text(encoding="utf-8") for p in sorted(PAGE.parent.iterdir()))
    assert 'api("/vocabulary")' in html
    options = re.findall(r"<option[^>]*>([^<]*)</option>", html)
    written = set(options) & (set(QUEUE_KINDS) | set(STATUS_LABELS))
    assert written == set()
    assert not re.search(r"\[\s*\"queued\"\s*,\s*\"blocked\"", html)  # no hard-coded decidable list
