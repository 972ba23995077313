"""The validation seam: check_record runs RULES in order, a rule needs only the public Check API, and
the rule modules share no private names."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

import pytest

import crm_hygiene.validate as validate_pkg
from crm_hygiene.models.record import Record
from crm_hygiene.standard import default_standard
from crm_hygiene.validate import RULES, Check, CheckContext, RecordReport, Rule, check_record
from crm_hygiene.validate import record as record_module

AS_OF = datetime(2026, 11, 23, tzinfo=UTC)
FIELDS = {
    "record_id": "1", "first_name": "JANE", "last_name": "Doe", "email": "jane.doe@acme.com",
    "phone": "+442071838750", "company": "TBD", "country": "USA", "owner": "",
    "created_at": "2020-01-17 14:55", "last_activity_at": "",
}  # fmt: skip


def _check(
    rules: tuple[Rule, ...] | None = None, monkeypatch: pytest.MonkeyPatch | None = None
) -> RecordReport:
    if rules is not None and monkeypatch is not None:
        monkeypatch.setattr(record_module, "RULES", rules)
    ctx = CheckContext(
        standard=default_standard(), object_type="contact", as_of=AS_OF, present=frozenset(FIELDS)
    )
    return check_record(Record(object_type="contact", record_id="1", fields=FIELDS), ctx)


def test_check_record_is_its_rules_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """Running RULES by hand over a Check gives the very report check_record gives."""
    expected = _check()
    ctx = CheckContext(
        standard=default_standard(), object_type="contact", as_of=AS_OF, present=frozenset(FIELDS)
    )
    check = Check(Record(object_type="contact", record_id="1", fields=FIELDS), ctx)
    for rule in RULES:
        rule(check)
    assert check.report == expected
    assert {"malformed", "placeholder", "inconsistent", "misowned", "stale"} <= expected.kinds()


def test_a_new_rule_is_one_entry_in_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    """A rule written against the public Check alone runs after the others and sees their verdicts."""
    seen: list[str] = []

    def vip_without_phone(check: Check) -> None:
        verdict = check.report.verdicts.get("phone")
        seen.append(verdict.status if verdict is not None else "none")
        check.add(check.finding("inconsistent", "phone", "contact.vip", "warning", "a VIP needs a phone"))

    before = _check()
    after = _check((*RULES, vip_without_phone), monkeypatch)
    assert seen == ["valid"]
    assert after.issues[: len(before.issues)] == before.issues
    assert [(i.finding.rule, i.finding.field) for i in after.issues[len(before.issues) :]] == [
        ("contact.vip", "phone")
    ]


def test_dropping_a_rule_drops_only_its_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    from crm_hygiene.validate.rules import misowned

    without = _check(tuple(r for r in RULES if r is not misowned), monkeypatch)
    assert "misowned" not in without.kinds()
    assert without.issues == [i for i in _check().issues if i.finding.kind != "misowned"]


def test_rule_modules_import_no_private_names() -> None:
    """Rules share what they need through the public seam (check.py), never another module's _name."""
    offenders = []
    for path in Path(validate_pkg.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("crm_hygiene.validate"):
                offenders += [
                    f"{path.name}: {node.module}.{a.name}" for a in node.names if a.name.startswith("_")
                ]
    assert offenders == []
