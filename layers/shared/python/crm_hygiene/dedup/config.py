"""``MatchConfig``: how duplicates are found, as data. Everything has a default: ``{}`` is a valid config.

It lives under ``match:`` in the clean-record standard, or in its own YAML/JSON file for
``crm-hygiene dedupe --config``. This module imports nothing from ``crm_hygiene.standard`` (the
standard imports it).
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crm_hygiene.types import FieldRule, PrimaryRule

FieldKind = Literal[
    "record_id", "first_name", "last_name", "full_name", "email", "phone", "company", "domain", "address",
    "street_number", "postcode", "city", "state", "country", "date", "identifier", "reference", "amount",
    "text", "ignore",
]  # fmt: skip
"""What a column holds, as far as matching is concerned (``ignore``: not used). An ``identifier`` is
the record's own (a national id: the same one is the same person); a ``reference`` points at another
record (a deal's company id: many deals share it)."""
FIELD_KINDS: tuple[FieldKind, ...] = FieldKind.__args__  # type: ignore[attr-defined]

ComparatorKind = Literal[
    "person_name", "email", "phone", "company", "string", "address", "date", "number", "identifier",
    "postcode", "exact", "domain", "location",
]  # fmt: skip
"""The comparator families of ``dedup/comparators.py``."""

_STRICT = ConfigDict(extra="forbid", frozen=True)


class ComparisonSpec(BaseModel):
    """One comparison: a comparator over one or more fields, producing ordered levels.

    Attributes:
        name: Shown in the evidence ("name", "email", ...).
        comparator: The comparator family.
        fields: The columns (CLI) or canonical fields (scan) it reads, in the comparator's order
            (``person_name``: first, last; ``address``: street number, street).
        thresholds: Similarity thresholds of the fuzzy levels, strictest first (family defaults if empty).
        term_frequency: Weigh an exact agreement by how rare the value is.
    """

    model_config = _STRICT

    name: str = Field(min_length=1)
    comparator: ComparatorKind
    fields: tuple[str, ...] = Field(min_length=1)
    thresholds: tuple[float, ...] = ()
    term_frequency: bool = True


class SurvivorshipConfig(BaseModel):
    """How the suggested primary record and each field's winning value are chosen.

    Attributes:
        primary: Rules in order; the first that separates the members decides, the lowest id breaks ties.
        default_field_rule: How a field's value is chosen when ``fields`` does not say.
        fields: Field -> rule ("union" joins distinct values with "; ", for multi-value fields).
        source_priority: Sources from most to least trusted (for ``most_trusted_source``).
    """

    model_config = _STRICT

    primary: tuple[PrimaryRule, ...] = ("has_owner", "most_recent_activity", "most_complete", "oldest")
    default_field_rule: FieldRule = "primary"
    fields: dict[str, FieldRule] = Field(default_factory=dict)
    source_priority: tuple[str, ...] = ()


class MatchConfig(BaseModel):
    """The matching configuration (all optional; see the module docstring).

    Attributes:
        fields: Column -> kind, overriding what is inferred from headers and values.
        comparisons: The comparisons to use; empty means "inferred from the field kinds".
        blocking: Names of the blocking rules to use; empty means "every rule whose fields exist".
        threshold: Pairs at or above this match probability are proposed (review band).
        auto_merge_threshold: The auto-merge band starts here (and only if the standard enables
            auto-merge and no protected field differs).
        max_block_size: Larger blocks are split by a second key, then compared by sorted neighbourhood.
        window: Neighbours each record is compared with inside an oversized block.
        max_cluster_size: No cluster grows beyond this many records.
        conflict_disagreements: Records whose identity fields (email, phone, company) disagree on
            this many never share a cluster.
        random_pairs: Random pairs sampled to estimate u (how often non-matches agree by chance).
        em_iterations: Expectation-maximisation rounds for m (how often matches agree).
        seed: Seed of the random pair sample, so runs are reproducible.
        survivorship: Primary record and field winner rules.
    """

    model_config = _STRICT

    fields: dict[str, FieldKind] = Field(default_factory=dict)
    comparisons: tuple[ComparisonSpec, ...] = ()
    blocking: tuple[str, ...] = ()
    threshold: float = Field(default=0.5, gt=0.0, lt=1.0)
    auto_merge_threshold: float = Field(default=0.999, gt=0.0, le=1.0)
    max_block_size: int = Field(default=50, ge=2)
    window: int = Field(default=12, ge=1)
    max_cluster_size: int = Field(default=25, ge=2)
    conflict_disagreements: int = Field(default=3, ge=1)
    random_pairs: int = Field(default=1_000_000, ge=1000)
    em_iterations: int = Field(default=30, ge=0)
    seed: int = 42
    survivorship: SurvivorshipConfig = Field(default_factory=SurvivorshipConfig)

    @model_validator(mode="after")
    def _bands(self) -> Self:
        if self.auto_merge_threshold < self.threshold:
            raise ValueError("auto_merge_threshold must be at or above threshold")
        names = [c.name for c in self.comparisons]
        if len(names) != len(set(names)):
            raise ValueError("comparison names must be unique")
        return self
