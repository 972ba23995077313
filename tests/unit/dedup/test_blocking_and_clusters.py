"""Blocking never goes quadratic; clusters never chain different people together."""

from __future__ import annotations

import numpy as np

from crm_hygiene.dedup.blocking import RULES, candidate_pairs
from crm_hygiene.dedup.cluster import cluster, components
from crm_hygiene.dedup.config import FieldKind, MatchConfig
from crm_hygiene.dedup.engine import find_duplicates, prepare
from crm_hygiene.dedup.features import Table

KINDS: dict[str, FieldKind] = {
    "first": "first_name",
    "last": "last_name",
    "email": "email",
    "phone": "phone",
    "company": "company",
}


def _table(columns: dict[str, list[str]]) -> Table:
    used = {c: KINDS[c] for c in columns}
    return prepare(columns, used, MatchConfig(), len(next(iter(columns.values()))))[0]


def test_a_shared_switchboard_number_is_split_not_compared_quadratically() -> None:
    # Given 3,000 contacts of one company behind one main line, 300 surnames
    n = 3000
    columns = {
        "first": [f"first{i % 37}" for i in range(n)],
        "last": [f"surname{i % 300}" for i in range(n)],
        "phone": ["+1 415 555 2671"] * n,
    }
    table = _table(columns)
    # When the phone rule blocks them
    left, right, stats = candidate_pairs(table, [r for r in RULES if r.name == "phone"], 50, 12)
    # Then the block is split by surname (every pair of namesakes) and walked by sorted
    # neighbourhood: linear in n, far below n^2 / 2 = 4.5 million pairs
    assert stats.oversized_blocks["phone"] == 1
    assert len(left) < 20 * n
    assert (left < right).all()
    same_surname = np.asarray(columns["last"])[left] == np.asarray(columns["last"])[right]
    assert same_surname.sum() == 300 * (10 * 9 // 2)


def test_candidate_pairs_are_distinct_and_never_self_pairs() -> None:
    columns = {
        "first": ["John", "John", "Jon", "Jane"],
        "last": ["Smith", "Smith", "Smith", "Doe"],
        "email": ["j@acme.com", "j@acme.com", "", "jane@acme.com"],
    }
    left, right, _ = candidate_pairs(_table(columns), RULES, 50, 12)
    codes = left * 4 + right
    assert len(set(codes.tolist())) == len(codes)
    assert (left < right).all()


def test_components_label_by_the_smallest_member() -> None:
    labels = components(6, np.array([0, 2, 4]), np.array([1, 3, 5]))
    assert labels.tolist() == [0, 0, 2, 2, 4, 4]
    assert components(4, np.array([3, 2, 1]), np.array([2, 1, 0])).tolist() == [0, 0, 0, 0]


def test_clustering_refuses_a_chain_through_an_initial() -> None:
    # Given "J. Smith" (0) close to both "John Smith" (1) and "Jane Smith" (2), who conflict
    left, right = np.array([0, 0, 1]), np.array([1, 2, 2])
    probability = np.array([0.99, 0.98, 0.2])

    def conflicts(a: list[int], b: list[int], x: int, y: int) -> bool:
        return any({p, q} == {1, 2} for p in a for q in b)

    # When clustering
    out = cluster(3, left, right, probability, threshold=0.5, max_size=10, conflicts=conflicts)
    # Then J. Smith joins the stronger match only
    assert out.labels.tolist() == [0, 0, 2]
    assert out.refused_conflict == 1


def test_clusters_never_exceed_the_maximum_size() -> None:
    n = 10
    left, right = np.arange(n - 1), np.arange(1, n)
    out = cluster(n, left, right, np.full(n - 1, 0.99), threshold=0.5, max_size=3, conflicts=lambda *_: False)
    assert np.bincount(out.labels).max() <= 3
    assert out.refused_size > 0


def test_colleagues_sharing_a_line_and_company_are_not_merged() -> None:
    # Given colleagues with one main line, one company and one surname, and a real duplicate
    columns = {
        "first": ["Jane", "John", "Jane", "Ann"],
        "last": ["Smith", "Smith", "Smith", "Lee"],
        "email": ["jane.smith@acme.com", "john.smith@acme.com", "jane.smith+crm@acme.com", "ann@acme.com"],
        "phone": ["+14155552671"] * 4,
        "company": ["Acme Inc.", "Acme", "ACME, Inc.", "Acme"],
    }
    result = find_duplicates(columns, {c: KINDS[c] for c in columns})
    # Then only the two Jane Smith records are proposed
    assert list(zip(result.left.tolist(), result.right.tolist(), strict=True)) == [(0, 2)]
