"""Provider quality (Beta reliability, stores, signals), review feedback, and the providers file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crm_hygiene.enrich.config import DerivedConfig, load_providers, parse_providers
from crm_hygiene.enrich.feedback import apply_feedback, read_ledger, read_reviewed
from crm_hygiene.enrich.outputs import LedgerEntry, SourceValue
from crm_hygiene.enrich.quality import (
    FieldQuality,
    InMemoryQualityStore,
    JsonQualityStore,
    fill_rate,
    quality_signal,
    reliability,
)
from crm_hygiene.errors import InputError
from crm_hygiene.models.signals import ProviderQualitySignal


def test_reliability_is_a_beta_posterior_from_the_prior_and_review_outcomes() -> None:
    assert reliability(None, (8, 2)).mean == pytest.approx(0.8)
    post = reliability(FieldQuality(approved=10, rejected=2, edited=2), (8, 2))
    assert (post.alpha, post.beta) == (18, 5) and post.mean == pytest.approx(18 / 23)
    assert fill_rate(None) == 0.5 and fill_rate(FieldQuality(lookups=8, filled=8)) == pytest.approx(0.9)


def test_quality_signal_figures() -> None:
    q = FieldQuality(lookups=10, filled=8, proposals=6, approved=3, rejected=1, edited=1, agreements=2,
                     disagreements=2, faults=2, cost=2.0, fault_kinds={"timeout": 2})  # fmt: skip
    s = quality_signal("api", "job_title", q, (8, 2), run_id="r1")
    assert (s.approval_rate, s.rejection_rate, s.edit_rate, s.agreement_rate, s.fill_rate) == (
        0.6,
        0.2,
        0.2,
        0.5,
        0.8,
    )
    assert s.cost_per_accepted == 0.5 and s.fault_kinds == {"timeout": 2}
    dumped = json.loads(s.model_dump_json(by_alias=True))
    assert dumped["schema"] == "data_provider_quality_signal"
    assert ProviderQualitySignal.model_validate(dumped) == s


def test_json_store_round_trips_and_remembers_feedback(tmp_path: Path) -> None:
    path = tmp_path / "quality.json"
    store = JsonQualityStore(path)
    store.remember_rejection("c1", "wrong", "me")
    store.add({("api", "title"): FieldQuality(approved=2, fault_kinds={"timeout": 1}, faults=1)}, ["c1"])
    again = JsonQualityStore(path)
    assert again.snapshot()[("api", "title")].approved == 2 and again.snapshot()[("api", "title")].faults == 1
    assert again.seen_feedback("c1") and again.was_rejected("c1")
    again.add({("api", "title"): FieldQuality(approved=1)})
    assert JsonQualityStore(path).snapshot()[("api", "title")].approved == 3


def entry(
    change_id: str, field: str = "job_title", new: str = "CFO", dissent: str | None = None
) -> LedgerEntry:
    return LedgerEntry(
        change_id=change_id, record_id=change_id, object_type="contact", field=field, logical_field=field,
        kind="enrich", old_value="", new_value=new, decision="review", confidence=0.8,
        sources=[SourceValue(provider="a", value=new, confidence=0.8, match="exact email", provider_kind="http"),
                 SourceValue(provider="b", value=new, confidence=0.6, match="exact email")],
        dissent=[SourceValue(provider="c", value=dissent, confidence=0.4, match="name")] if dissent else [],
    )  # fmt: skip


def row(record_id: str, status: str, suggested: str = "CFO", field: str = "job_title") -> dict[str, str]:
    return {
        "record_id": record_id,
        "field": field,
        "kind": "enrich",
        "status": status,
        "suggested_value": suggested,
    }


def test_feedback_credits_each_provider_by_the_value_the_reviewer_kept() -> None:
    ledger = {(e.record_id, e.field): e for e in
              [entry("1"), entry("2", dissent="CEO"), entry("3", dissent="Chief Executive Officer"), entry("4")]}  # fmt: skip
    store = InMemoryQualityStore()
    rows = [row("1", "approved"), row("2", "approved"), row("3", "edited", "CEO"), row("4", "rejected"),
            row("5", "approved"), {"record_id": "1", "kind": "malformed", "status": "approved"}, row("1", "")]  # fmt: skip
    result = apply_feedback(rows, ledger, store)
    assert (result.counted, result.unmatched, result.not_reviewed) == (4, 1, 2)
    counts = store.snapshot()
    assert (counts[("a", "job_title")].approved, counts[("a", "job_title")].edited,
            counts[("a", "job_title")].rejected) == (2, 1, 1)  # fmt: skip
    assert (counts[("c", "job_title")].rejected, counts[("c", "job_title")].approved) == (
        1,
        1,
    )  # kept its CEO
    assert store.was_rejected("4") and result.kinds == {"a": "http"}
    # the same file again counts nothing
    assert apply_feedback(rows, ledger, store).already_counted == 4
    assert store.snapshot()[("a", "job_title")].approved == 2


def test_an_approval_with_a_changed_value_counts_as_an_edit() -> None:
    store = InMemoryQualityStore()
    apply_feedback([row("1", "approved", "Chief Financial Officer")], {("1", "job_title"): entry("1")}, store)
    assert store.snapshot()[("a", "job_title")].approved == 1  # the same title, written out: approved
    apply_feedback([row("2", "approved", "CTO")], {("2", "job_title"): entry("2")}, store)
    assert store.snapshot()[("a", "job_title")].edited == 1


def test_reading_reviewed_queues_and_ledgers(tmp_path: Path) -> None:
    queue = tmp_path / "reviewed.csv"
    queue.write_text("record_id,field,kind,suggested_value,status\n1,job_title,enrich,CFO,approved\n")
    assert list(read_reviewed(queue)) == [row("1", "approved") | {"kind": "enrich"}]
    bad = tmp_path / "bad.csv"
    bad.write_text("record_id,field\n1,x\n")
    with pytest.raises(InputError, match="'status' column"):
        list(read_reviewed(bad))
    ledger = tmp_path / "proposals.jsonl"
    ledger.write_text(entry("1").model_dump_json() + "\n\n")
    assert read_ledger([ledger])[("1", "job_title")].change_id == "1"
    ledger.write_text('{"nope": 1}\n')
    with pytest.raises(InputError, match="proposals.jsonl:1"):
        read_ledger([ledger])


def test_providers_file_paths_defaults_and_errors_with_lines(tmp_path: Path) -> None:
    (tmp_path / "providers.yaml").write_text(
        "providers:\n  - type: file\n    name: list\n    path: lists/people.csv\n    key_column: Email\n"
        "    columns: {job_title: Title}\n  - type: http\n    name: api\n    preset: person_by_email\n"
        "    url: https://api.test/v1/person\n    auth: {secret: API_KEY}\n    cost_per_call: 0.02\n"
        "waterfall: {stop_at: 0.9, budget: {max_cost: 5}}\nstate: quality.json\n"
    )  # fmt: skip
    config = load_providers(tmp_path / "providers.yaml")
    assert config.providers[0].path == tmp_path.resolve() / "lists/people.csv"  # type: ignore[union-attr]
    assert config.state == tmp_path.resolve() / "quality.json" and config.waterfall.budget.max_cost == 5
    assert isinstance(config.with_derived().providers[0], DerivedConfig)
    assert config.trust.rank("api", "http") == 40 and config.trust.rank("human") == 100
    with pytest.raises(InputError) as err:
        parse_providers(
            "providers:\n  - type: http\n    name: api\n    url: ftp://x\n    rate_limt: 5\n", "p.yaml"
        )
    message = str(err.value)
    assert "p.yaml:4: providers.0.url" in message and "p.yaml:5: providers.0.rate_limt" in message
    with pytest.raises(InputError, match="unique"):
        parse_providers("providers:\n  - {type: derived}\n  - {type: derived}\n")
    with pytest.raises(InputError, match="mapping"):
        parse_providers("- just a list\n")
