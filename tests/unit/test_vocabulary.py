"""Each closed vocabulary has one table of meanings, and every consumer agrees with it.

A finding kind added to ``FindingKind`` without a row in ``FINDING_MEANINGS`` fails here; so does a
consumer that lists kinds, decisions or statuses of its own.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import get_args

import pytest

from crm_hygiene.cli.report import print_scan_summary
from crm_hygiene.dedup.config import SurvivorshipConfig
from crm_hygiene.dedup.survivorship import Member, choose_primary, field_winner
from crm_hygiene.health.score import record_health
from crm_hygiene.memory import InMemoryChangeQueue, ListWorkQueue
from crm_hygiene.models.finding import Finding
from crm_hygiene.models.queue import QueueRow
from crm_hygiene.models.record import Record
from crm_hygiene.models.review import TRANSITIONS
from crm_hygiene.services.scan.batch import queue_scanned
from crm_hygiene.services.scan.core import ScanTotals
from crm_hygiene.services.scanned import ScannedRecord
from crm_hygiene.types import (
    CHANGE_STATUSES,
    DECISIONS,
    FIELD_RULES,
    FINDING_KINDS,
    FINDING_MEANINGS,
    PRIMARY_RULES,
    QUEUE_DECISIONS,
    QUEUE_KINDS,
    QUEUE_MEANINGS,
    STATUS_LABELS,
    SUMMARY_KEYS,
    ChangeStatus,
    FieldRule,
    FindingKind,
    PrimaryRule,
    QueueDecision,
    status_of,
)
from crm_hygiene.validate.check import Issue, RecordReport


def _scanned(kind: FindingKind, decision: QueueDecision = "review") -> ScannedRecord:
    """One contact with one finding of ``kind`` on its phone, queued with ``decision``."""
    record = Record(object_type="contact", record_id="1", fields={"phone": "n/a"})
    finding = Finding(record_id="1", object_type="contact", kind=kind, field="phone", rule="test",
                      severity="error", evidence="test", current_value="n/a")  # fmt: skip
    row = QueueRow(record_id="1", object_type="contact", kind=kind, field="phone", current_value="n/a",
                   suggested_value="", evidence="test", confidence=1.0, protected=False, decision=decision,
                   status=status_of(decision))  # fmt: skip
    report = RecordReport(record, issues=[Issue(finding)])
    health = record_health(report, None)
    return ScannedRecord(report, [row], [], health, pairs=[(Issue(finding), row)])


# -- every member has its row, in the Literal's order ----------------------------------------------
def test_every_finding_kind_has_a_meaning_in_order() -> None:
    assert tuple(FINDING_MEANINGS) == FINDING_KINDS


def test_every_queue_kind_has_a_meaning_and_a_label() -> None:
    assert tuple(QUEUE_MEANINGS) == QUEUE_KINDS
    assert all(m.label.strip() for m in QUEUE_MEANINGS.values())
    assert len({m.label for m in QUEUE_MEANINGS.values()}) == len(QUEUE_KINDS)  # the console tells them apart


def test_every_status_has_a_label_and_a_lifecycle_entry() -> None:
    assert tuple(STATUS_LABELS) == CHANGE_STATUSES
    assert set(TRANSITIONS) == set(CHANGE_STATUSES)


def test_every_decision_leads_to_a_status() -> None:
    assert tuple(DECISIONS) == QUEUE_DECISIONS
    assert {d: status_of(d) for d in QUEUE_DECISIONS} == {
        "auto": "auto_applied",
        "review": "queued",
        "blocked": "blocked",
    }
    # A merge the policy lets through waits as "proposed" for its workflow, not for the apply step.
    assert status_of("auto", merge=True) == "proposed"
    assert status_of("review", merge=True) == "queued"


def test_every_status_a_decision_leads_to_may_follow_proposed() -> None:
    led_to: set[ChangeStatus] = {s for m in DECISIONS.values() for s in (m.status, m.merge_status)}
    assert led_to - {"proposed"} <= TRANSITIONS["proposed"]


def test_every_survivorship_rule_has_a_meaning() -> None:
    assert tuple(PRIMARY_RULES) == get_args(PrimaryRule)
    assert tuple(FIELD_RULES) == get_args(FieldRule)


def test_the_summary_figures_keep_their_names() -> None:
    # summary.json and the pipeline's measurement signal publish these names: renaming one breaks
    # every dashboard built on them.
    assert dict(SUMMARY_KEYS) == {
        "routing_blocker": "routing_exceptions",
        "stale": "stale_records",
        "misowned": "misowned_records",
    }


# -- every consumer follows the table --------------------------------------------------------------
@pytest.mark.parametrize("kind", FINDING_KINDS)
def test_health_trust_follows_the_table(kind: FindingKind) -> None:
    trust = _scanned(kind).health.trust
    assert trust == (0.75 if FINDING_MEANINGS[kind].trust else 1.0)


@pytest.mark.parametrize("kind", FINDING_KINDS)
def test_enqueue_asks_for_enrichment_exactly_for_enrichable_kinds(kind: FindingKind) -> None:
    enrich = ListWorkQueue()
    out = queue_scanned([_scanned(kind)], "run", queue=InMemoryChangeQueue(), apply_queue=ListWorkQueue(),
                        enrich_queue=enrich)  # fmt: skip
    assert [m.wanted_fields for m in out.enrich] == ([["phone"]] if FINDING_MEANINGS[kind].enrichable else [])


@pytest.mark.parametrize("decision", QUEUE_DECISIONS)
def test_enqueue_gives_each_decision_its_status(decision: QueueDecision) -> None:
    out = queue_scanned([_scanned("malformed", decision)], "run", queue=InMemoryChangeQueue(),
                        apply_queue=ListWorkQueue(), enrich_queue=None)  # fmt: skip
    assert [i.status for i in out.added] == [DECISIONS[decision].status]


@pytest.mark.parametrize("kind", FINDING_KINDS)
def test_measurement_counts_records_of_each_kind_under_its_summary_key(kind: FindingKind) -> None:
    totals = ScanTotals()
    totals.add(_scanned(kind), ())
    figures = totals.measurement()
    counted = {key for key in SUMMARY_KEYS.values() if figures[key] == 1}
    expected = {FINDING_MEANINGS[kind].summary_key} - {None}
    assert counted == expected
    assert figures["queue_by_kind"] == {kind: 1}


def test_the_cli_report_labels_every_summary_figure(capsys: pytest.CaptureFixture[str]) -> None:
    totals = ScanTotals()
    for kind in FINDING_KINDS:
        totals.add(_scanned(kind), ())
    summary = {
        "input": {"object_type": "contact", "path": "contacts.csv", "source": "hubspot",
                  "missing_critical_columns": []},
        "measurement": totals.measurement(),
        "performance": {"seconds": 1.0, "records_per_second": 7.0},
        "health": totals.health.summary(),
        "standard": {"valid": True, "source": "default", "errors": []},
        "cleaned": {"cells_changed": 0},
    }  # fmt: skip
    print_scan_summary(summary, Path("out"))
    out = capsys.readouterr().out
    queue_line = next(line for line in out.splitlines() if line.startswith("  "))
    records_line = next(line for line in out.splitlines() if line.startswith("Records by kind: "))
    assert all(f"{FINDING_MEANINGS[kind].label} 1" in queue_line for kind in FINDING_KINDS)
    assert all(f"{FINDING_MEANINGS[kind].label} 1" in records_line for kind in SUMMARY_KEYS)
    assert "7 review" in out and "0 auto" in out and "0 blocked" in out


@pytest.mark.parametrize("rule", get_args(PrimaryRule))
def test_every_primary_rule_can_choose(rule: PrimaryRule) -> None:
    # Given two members that differ on every rule's criterion, "2" winning each
    old, new = datetime(2020, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
    one = Member("1", {"owner": "", "email": "a@x.io"}, created=new, active=old)
    two = Member("2", {"owner": "o", "email": "a@x.io", "phone": "1"}, created=old, active=new)
    primary, reason = choose_primary([one, two], SurvivorshipConfig(primary=(rule,)))
    assert primary.record_id == "2" and reason == rule.replace("_", " ")


@pytest.mark.parametrize("rule", get_args(FieldRule))
def test_every_field_rule_keeps_a_value(rule: FieldRule) -> None:
    one = Member("1", {"city": "Paris"}, source="crm")
    two = Member("2", {"city": "Lyon"}, source="import")
    winner = field_winner("city", rule, one, [one, two], ("crm",))
    assert winner is not None and winner.rule == rule and winner.value
