"""The clean-record standard: the shipped default is valid; errors name the key and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm_hygiene.errors import StandardError
from crm_hygiene.standard import default_standard, load_standard, parse_standard


def test_default_standard_is_valid_and_protects_the_documented_fields() -> None:
    std = default_standard()
    contact, deal = std.for_object("contact"), std.for_object("deal")
    assert {"owner", "lifecycle_stage", "lead_status"} <= set(contact.protected)
    assert {"amount", "stage", "close_date", "owner"} <= set(deal.protected)
    assert contact.is_protected("Marketing contact status")  # consent columns, by pattern
    assert contact.is_protected("hs_email_optout") and contact.is_protected("Unsubscribed from all email")
    assert not contact.is_protected("city")
    assert contact.staleness.max_days_without_activity == 365
    assert deal.staleness.max_days_without_activity == 90 and deal.staleness.open_past_close_date
    assert std.auto_apply and not std.auto_merge


def _errors(text: str) -> list[tuple[str, int | None, str]]:
    with pytest.raises(StandardError) as caught:
        parse_standard(text, "std.yaml")
    return caught.value.errors


def test_errors_name_the_key_and_the_line() -> None:
    text = (
        "version: 1\n"  # 1
        "objects:\n"  # 2
        "  contact:\n"  # 3
        "    critical: [email, emial]\n"  # 4
        "    protected:\n"  # 5
        "      - ownr\n"  # 6
        "    fields:\n"  # 7
        "      phone: {format: phone}\n"  # 8
        "thresholds:\n"  # 9
        "  auto_apply: 1.5\n"  # 10
        "surprise: true\n"  # 11
    )
    errors = {(key, line) for key, line, _ in _errors(text)}
    assert ("objects.contact.critical.1", 4) in errors
    assert ("objects.contact.protected.0", 6) in errors
    assert ("objects.contact.fields.phone.format", 8) in errors
    assert ("thresholds.auto_apply", 10) in errors
    assert ("surprise", 11) in errors


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("- a\n- b\n", "mapping"),
        ("objects: [1, 2\n", "expected"),
        ("objects:\n  contact:\n    fields:\n      lead_status: {format: picklist}\n", "picklist"),
        ("objects:\n  account: {}\n", "objects.account"),
        ("date_order: YMD\n", "date_order"),
    ],
)
def test_invalid_standards_are_explained(text: str, fragment: str) -> None:
    errors = _errors(text)
    assert any(fragment in f"{key} {msg}" for key, _, msg in errors), errors


def test_load_standard_reports_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(StandardError, match="cannot read"):
        load_standard(tmp_path / "missing.yaml")
    binary = tmp_path / "b.yaml"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(StandardError):
        load_standard(binary)


def test_explicit_date_order_is_known() -> None:
    assert not default_standard().date_order_explicit
    assert parse_standard("date_order: DMY\n").date_order_explicit
