"""Company names: white space, legal-suffix policy, and a matching key.

The standard's ``legal_suffix`` policy decides what happens to "Inc.", "GmbH", "Ltd": ``keep``
(default: only white space is tidied, letter case is never touched because of acronyms),
``normalize`` (one spelling per suffix: "inc" -> "Inc.") or ``strip`` (remove it).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

from crm_hygiene.normalize.base import EMPTY, Normalized, invalid, placeholder, result
from crm_hygiene.normalize.placeholder import is_placeholder

SuffixPolicy = Literal["keep", "normalize", "strip"]

_SPACES = re.compile(r"\s+")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.)])")
_CANONICAL_SUFFIX: dict[str, str] = {
    "inc": "Inc.", "incorporated": "Inc.", "llc": "LLC", "l.l.c": "LLC", "ltd": "Ltd", "limited": "Ltd",
    "corp": "Corp.", "corporation": "Corp.", "co": "Co.", "company": "Co.", "plc": "PLC", "gmbh": "GmbH",
    "ag": "AG", "sa": "SA", "s.a": "SA", "sas": "SAS", "sarl": "SARL", "bv": "B.V.", "b.v": "B.V.",
    "nv": "N.V.", "n.v": "N.V.", "srl": "S.r.l.", "s.r.l": "S.r.l.", "spa": "S.p.A.", "s.p.a": "S.p.A.",
    "pty ltd": "Pty Ltd", "pty. ltd": "Pty Ltd", "pvt ltd": "Pvt Ltd", "oy": "Oy", "ab": "AB", "as": "AS",
    "aps": "ApS", "kg": "KG", "lp": "LP", "llp": "LLP", "pllc": "PLLC", "kk": "K.K.",
}  # fmt: skip
_SUFFIX_RE = re.compile(
    r"[,\s]+("
    + "|".join(sorted((re.escape(k) for k in _CANONICAL_SUFFIX), key=len, reverse=True))
    + r")\.?$",
    re.IGNORECASE,
)
_NON_WORD = re.compile(r"[^\w]+")


def _split_suffix(text: str) -> tuple[str, str]:
    match = _SUFFIX_RE.search(text)
    if not match or match.start() == 0:
        return text, ""
    return text[: match.start()], match.group(1)


@lru_cache(maxsize=65536)
def normalize_company_name(raw: str, policy: SuffixPolicy = "keep") -> Normalized:
    """Normalizes a company name under a legal-suffix policy."""
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", _SPACES.sub(" ", raw.strip()))
    if not text:
        return EMPTY
    if is_placeholder(text, "company"):
        return placeholder("placeholder company name")
    if not any(c.isalnum() for c in text):
        return invalid("no letters or digits in the company name")
    base, suffix = _split_suffix(text)
    extra = {"legal_suffix": suffix} if suffix else {}
    if policy == "strip" and suffix:
        return result(raw, base.rstrip(" ,"), 0.95, f"removed legal suffix {suffix!r}", extra=extra)
    if policy == "normalize" and suffix:
        canonical = _CANONICAL_SUFFIX[suffix.lower().rstrip(".")]
        value = f"{base.rstrip(' ,')} {canonical}"
        return result(raw, value, 0.95, f"legal suffix spelled {canonical!r}", extra=extra)
    return result(raw, text, 0.99, "tidied white space", extra=extra)


@lru_cache(maxsize=131072)
def company_key(raw: str) -> str:
    """A matching key: lower case, no legal suffix, no punctuation, "&" read as "and"."""
    text = _SPACES.sub(" ", raw.strip().lower().replace("&", " and "))
    from cleanco import basename

    base: str = basename(text) or text
    base, _ = _split_suffix(base)
    return _NON_WORD.sub(" ", base).strip()
