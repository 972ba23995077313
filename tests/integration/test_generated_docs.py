"""The committed JSON Schemas and OpenAPI document are exactly what the code generates (make docs)."""

from __future__ import annotations

from pathlib import Path

from crm_hygiene.local.docs import generated

ROOT = Path(__file__).resolve().parents[2]


def test_docs_are_up_to_date() -> None:
    files = generated(ROOT)
    stale = [
        str(p.relative_to(ROOT))
        for p, text in files.items()
        if not p.exists() or p.read_text("utf-8") != text
    ]
    assert stale == [], f"run `make docs` and commit: {stale}"
