"""Clustering without chaining.

Pairs at or above the threshold are linked strongest first (Kruskal's order). Two groups are joined
only if no member of one strongly conflicts with a member of the other (different people by the
CRM's own signals: two addresses at one company domain, different given names with one surname,
or different emails and phones and companies) and the joined group stays within the maximum
size. So "J. Smith" can join "John Smith" or "Jane Smith", never both, and a chain of near
matches cannot sweep unrelated records together.

Because links are made in decreasing order of probability, the link that first joins two records'
groups is the weakest link on the strongest path between them: that is the probability reported
for pairs that are in one cluster without having been compared directly above the threshold.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from crm_hygiene.dedup.arrays import Floats, Index

ConflictCheck = Callable[[list[int], list[int], int, int], bool]


@dataclass
class Clustering:
    """The outcome.

    Attributes:
        labels: Cluster id per record (the smallest member index; a singleton is its own cluster).
        linked: (a, b) with a < b -> the probability of the link that put them in one cluster.
        refused_conflict: Links refused because the groups conflict.
        refused_size: Links refused because the group would grow past the maximum size.
    """

    labels: Index
    linked: dict[tuple[int, int], float] = field(default_factory=dict)
    refused_conflict: int = 0
    refused_size: int = 0


def components(n: int, left: Index, right: Index) -> Index:
    """Connected components (label = smallest member) by vectorized pointer jumping."""
    labels = np.arange(n, dtype=np.int64)
    if len(left) == 0:
        return labels
    while True:
        low = np.minimum(labels[left], labels[right])
        before = labels.copy()
        np.minimum.at(labels, left, low)
        np.minimum.at(labels, right, low)
        labels = labels[labels]  # jump to the root's label
        while True:
            jumped = labels[labels]
            if np.array_equal(jumped, labels):
                break
            labels = jumped
        if np.array_equal(labels, before):
            return labels


def cluster(
    n: int,
    left: Index,
    right: Index,
    probability: Floats,
    *,
    threshold: float,
    max_size: int,
    conflicts: ConflictCheck,
) -> Clustering:
    """Constrained single linkage over the pairs at or above ``threshold`` (see the module docstring).

    Args:
        n: Number of records.
        left, right: Scored pairs.
        probability: Their match probabilities.
        threshold: Links below it are never made.
        max_size: No cluster grows larger.
        conflicts: Whether any record of the first group strongly conflicts with one of the second
            (given both groups and the two records of the link, whose own score already weighed
            their differences).
    """
    keep = probability >= threshold
    order = np.argsort(-probability[keep], kind="stable")
    edges = zip(
        left[keep][order].tolist(),
        right[keep][order].tolist(),
        probability[keep][order].tolist(),
        strict=True,
    )
    groups = _Groups(n)
    out = Clustering(labels=np.arange(n, dtype=np.int64))
    for a, b, p in edges:
        ra, rb = groups.root(a), groups.root(b)
        if ra == rb:
            continue
        group_a, group_b = groups.members(ra), groups.members(rb)
        if len(group_a) + len(group_b) > max_size:
            out.refused_size += 1
        elif conflicts(group_a, group_b, a, b):
            out.refused_conflict += 1
        else:
            for x in group_a:
                for y in group_b:
                    out.linked[(x, y) if x < y else (y, x)] = p
            groups.join(ra, rb)
    for group in groups.groups():
        out.labels[group] = min(group)
    return out


class _Groups:
    """Union-find that also keeps each group's members (groups stay small: the size is capped)."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))
        self._members: dict[int, list[int]] = {}

    def root(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def members(self, root: int) -> list[int]:
        return self._members.get(root, [root])

    def join(self, ra: int, rb: int) -> None:
        group_a, group_b = self.members(ra), self.members(rb)
        if len(group_a) < len(group_b):
            ra, rb, group_a, group_b = rb, ra, group_b, group_a
        self.parent[rb] = ra
        self._members[ra] = group_a + group_b
        self._members.pop(rb, None)

    def groups(self) -> list[list[int]]:
        return list(self._members.values())
