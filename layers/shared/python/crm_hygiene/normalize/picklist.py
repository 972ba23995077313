"""Picklists: map case, spacing and spelling variants onto the standard's allowed values.

An option's output form is valid as typed; another of its spellings (label, alias) or a
case/spacing/punctuation variant is fixed with high confidence; a fuzzy match (rapidfuzz, at least
four letters) with lower confidence; placeholders ("TBD") count as missing unless the picklist
has them as an option; anything else is invalid.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from crm_hygiene.normalize.base import EMPTY, Normalized, fixed, invalid, placeholder, valid
from crm_hygiene.normalize.country import fold
from crm_hygiene.normalize.placeholder import is_placeholder


@dataclass(frozen=True, eq=False)  # hashed by identity: one index per picklist, cached results per index
class PicklistIndex:
    """Lookup tables for one picklist, built once from its options.

    Attributes:
        exact: Every accepted spelling (value, label, alias) -> the output form.
        folded: Folded spelling -> the output form.
        outputs: The output forms (what a conforming value looks like).
    """

    exact: dict[str, str] = field(default_factory=dict)
    folded: dict[str, str] = field(default_factory=dict)
    outputs: frozenset[str] = frozenset()

    @classmethod
    def build(cls, options: Iterable[tuple[str, Iterable[str]]]) -> PicklistIndex:
        """``options``: (output form, other accepted spellings) pairs."""
        exact: dict[str, str] = {}
        folded: dict[str, str] = {}
        outputs = []
        for output, spellings in options:
            outputs.append(output)
            for spelling in (output, *spellings):
                exact.setdefault(spelling, output)
                folded.setdefault(fold(spelling).replace(" ", ""), output)
        return cls(exact=exact, folded=folded, outputs=frozenset(outputs))


@lru_cache(maxsize=65536)
def normalize_picklist(raw: str, index: PicklistIndex) -> Normalized:
    """Maps ``raw`` onto one of the picklist's options."""
    text = raw.strip()
    if not text:
        return EMPTY
    if text in index.outputs:
        return valid(text) if text == raw else fixed(text, 0.99, "trimmed")
    hit = index.exact.get(text)
    if hit is not None:
        return fixed(hit, 0.99, f"{text!r} is the option {hit!r}")
    key = fold(text).replace(" ", "")
    hit = index.folded.get(key) if key else None
    if hit is not None:  # before the placeholder check: "n/a" is a real answer where "N/A" is an option
        return fixed(hit, 0.97, f"{text!r} is a spelling of the option {hit!r}")
    if is_placeholder(text, "picklist"):
        return placeholder("placeholder picklist value")
    return _fuzzy(text, key, index)


def _fuzzy(text: str, key: str, index: PicklistIndex) -> Normalized:
    from rapidfuzz import fuzz, process

    if len(key) >= 4:
        match = process.extractOne(key, index.folded.keys(), scorer=fuzz.ratio, score_cutoff=85)
        if match is not None:
            hit = index.folded[match[0]]
            return fixed(hit, 0.75, f"{text!r} looks like the option {hit!r} (similarity {match[1]:.0f}%)")
    allowed = ", ".join(sorted(index.outputs)[:12])
    return invalid(f"{text!r} is not an allowed value ({allowed})")
