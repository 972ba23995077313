"""Invariants, checked with hypothesis on generated contact lists."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_hygiene.dedup.config import FieldKind, MatchConfig
from crm_hygiene.dedup.engine import DedupResult, find_duplicates, prepare
from crm_hygiene.dedup.scoring import compare_all
from crm_hygiene.memory import InMemoryDecisionMemory
from crm_hygiene.models.merge import pair_key

KINDS: dict[str, FieldKind] = {"first": "first_name", "last": "last_name", "email": "email", "phone": "phone", "company": "company",
         "city": "city"}  # fmt: skip
FIRST = ["John", "Jon", "Jane", "Bob", "Robert", "Mary", "Maria", "Liz", "Elizabeth", "J.", "", "Ann"]
LAST = ["Smith", "Smyth", "Jones", "Brown", "Lee", "van Dyke", "O'Brien", ""]
COMPANY = ["Acme Inc.", "ACME", "Globex LLC", "Initech", ""]
CITY = ["Boston", "Austin", "", "boston"]

record = st.fixed_dictionaries(
    {
        "first": st.sampled_from(FIRST),
        "last": st.sampled_from(LAST),
        "email": st.sampled_from(["", "a@acme.com", "b@acme.com", "john.smith@gmail.com", "x@globex.com"]),
        "phone": st.sampled_from(["", "+1 617 555 0134", "617-555-0134", "+1 512 555 0172"]),
        "company": st.sampled_from(COMPANY),
        "city": st.sampled_from(CITY),
    }
)
records = st.lists(record, min_size=2, max_size=30)
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CONFIG = MatchConfig(random_pairs=1000, em_iterations=5)


def _columns(rows: list[dict[str, str]]) -> dict[str, list[str]]:
    return {name: [r[name] for r in rows] for name in KINDS}


def _run(rows: list[dict[str, str]], **options: object) -> DedupResult:
    return find_duplicates(_columns(rows), KINDS, CONFIG, **options)  # type: ignore[arg-type]


@FAST
@given(records, st.data())
def test_comparison_is_symmetric(rows: list[dict[str, str]], data: st.DataObject) -> None:
    result = _run(rows)
    i = data.draw(st.integers(0, len(rows) - 1))
    j = data.draw(st.integers(0, len(rows) - 1).filter(lambda x: x != i))
    table, comparators = prepare(_columns(rows), KINDS, CONFIG, len(rows))
    forward = compare_all(table, comparators, np.array([i]), np.array([j]))
    backward = compare_all(table, comparators, np.array([j]), np.array([i]))
    assert (forward.levels == backward.levels).all()
    model = result.model
    if model.m:  # score(a, b) == score(b, a)
        a = model.contributions(forward.levels, forward.frequencies(np.array([0])), len(rows)).sum()
        b = model.contributions(backward.levels, backward.frequencies(np.array([0])), len(rows)).sum()
        assert abs(a - b) < 1e-9


@FAST
@given(records)
def test_no_self_pairs_and_clusters_partition_the_input(rows: list[dict[str, str]]) -> None:
    result = _run(rows)
    assert (result.left != result.right).all()
    assert (result.left < result.right).all()
    labels = result.labels
    assert len(labels) == len(rows)  # every record has exactly one cluster
    for a, b in zip(result.left.tolist(), result.right.tolist(), strict=True):
        assert labels[a] == labels[b]
    for label in set(labels.tolist()):
        members = np.flatnonzero(labels == label)
        assert label == members.min()
        pairs_in = {(a, b) for a, b in zip(result.left.tolist(), result.right.tolist(), strict=True)
                    if labels[a] == label}  # fmt: skip
        assert len(pairs_in) == len(members) * (len(members) - 1) // 2


@FAST
@given(records)
def test_a_rejected_pair_is_never_proposed_again(rows: list[dict[str, str]]) -> None:
    first = _run(rows)
    if len(first.left) == 0:
        return
    a, b = int(first.left[0]), int(first.right[0])
    memory = InMemoryDecisionMemory()
    memory.remember_rejection(pair_key("contact", str(a), str(b)), "not the same person", "tester")
    again = _run(rows, rejected=lambda x, y: memory.was_rejected(pair_key("contact", str(x), str(y))))
    assert (a, b) not in set(zip(again.left.tolist(), again.right.tolist(), strict=True))
    assert again.labels[a] != again.labels[b]


@FAST
@given(records, st.data())
def test_an_exact_copy_always_yields_a_proposal(rows: list[dict[str, str]], data: st.DataObject) -> None:
    original = data.draw(st.integers(0, len(rows) - 1))
    copy = dict(rows[original])
    if not copy["email"] and not copy["phone"] and not (copy["first"] and copy["last"]):
        copy["email"] = "someone.unique@example.org".replace("example.org", "uniq-mail.net")
        rows[original] = dict(copy)
    result = _run([*rows, copy])
    n = len(rows)
    assert result.labels[original] == result.labels[n]
    assert (min(original, n), max(original, n)) in set(
        zip(result.left.tolist(), result.right.tolist(), strict=True)
    )
