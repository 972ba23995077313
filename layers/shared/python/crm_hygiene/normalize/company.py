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
_TRAILING_PUNCT = re.compile(r"[\s,;]+$")
# Keyed by the suffix in lower case without dots ("S.p.A." -> "spa", "Pty. Ltd." -> "pty ltd").
_CANONICAL_SUFFIX: dict[str, str] = {
    "inc": "Inc.", "incorporated": "Inc.", "llc": "LLC", "ltd": "Ltd", "limited": "Ltd",
    "corp": "Corp.", "corporation": "Corp.", "co": "Co.", "company": "Co.", "plc": "PLC", "gmbh": "GmbH",
    "ag": "AG", "sa": "SA", "sas": "SAS", "sarl": "SARL", "bv": "B.V.", "nv": "N.V.", "srl": "S.r.l.",
    "spa": "S.p.A.", "pty ltd": "Pty Ltd", "pvt ltd": "Pvt Ltd", "private limited": "Pvt Ltd",
    "pte ltd": "Pte. Ltd.", "sdn bhd": "Sdn. Bhd.", "oy": "Oy", "ab": "AB", "as": "AS", "aps": "ApS",
    "kg": "KG", "lp": "LP", "llp": "LLP", "pllc": "PLLC", "kk": "K.K.", "ltda": "Ltda.", "na": "N.A.",
    "gmbh & co kg": "GmbH & Co. KG", "sa de cv": "S.A. de C.V.", "sp z oo": "Sp. z o.o.",
}  # fmt: skip


def _word_pattern(word: str) -> str:
    # Short abbreviations may carry a dot after each letter: "llc", "L.L.C.", "s.p.a".
    if word.isalpha() and len(word) <= 4:
        return r"\.?".join(re.escape(c) for c in word)
    return re.escape(word)


_SUFFIX_RE = re.compile(
    r"[,\s]+("
    + "|".join(
        r"\.?\s+".join(_word_pattern(w) for w in key.split())
        for key in sorted(_CANONICAL_SUFFIX, key=len, reverse=True)
    )
    + r")\.?$",
    re.IGNORECASE,
)
_NON_WORD = re.compile(r"[^\w]+")
_AND_AT_END = re.compile(r"(?:\s*&|\s+and)$", re.IGNORECASE)


def _suffix_key(suffix: str) -> str:
    return _SPACES.sub(" ", suffix.lower().replace(".", "")).strip()


def _split_suffix(text: str) -> tuple[str, str]:
    """(name, legal suffix) when ``text`` ends with one; "Acme & Co" has none (the "Co" is the name's)."""
    match = _SUFFIX_RE.search(text)
    if not match or match.start() == 0:
        return text, ""
    base = text[: match.start()]
    if _AND_AT_END.search(base) or not any(c.isalnum() for c in base):
        return text, ""
    return base, match.group(1)


def _split_suffixes(text: str) -> tuple[str, str]:
    """Like ``_split_suffix`` but removes every trailing suffix ("Acme Inc. Ltd" -> "Acme")."""
    base, suffix = _split_suffix(text)
    while suffix:
        stripped, more = _split_suffix(base.rstrip(" ,"))
        if not more:
            break
        base, suffix = stripped, more
    return base.rstrip(" ,"), suffix


def _tidy(raw: str) -> str:
    return _TRAILING_PUNCT.sub("", _SPACE_BEFORE_PUNCT.sub(r"\1", _SPACES.sub(" ", raw.strip())))


@lru_cache(maxsize=65536)
def normalize_company_name(raw: str, policy: SuffixPolicy = "keep") -> Normalized:
    """Normalizes a company name under a legal-suffix policy.

    Args:
        raw: The value as found.
        policy: ``keep`` (white space only), ``normalize`` (one spelling per suffix) or ``strip``.

    Returns:
        The tidied name; ``extra["legal_suffix"]`` holds the suffix as typed when there is one.
        A placeholder with a suffix ("TBD Inc.", "Test Company") is still a placeholder.
    """
    if not raw.strip():
        return EMPTY
    text = _tidy(raw)
    if is_placeholder(text, "company"):
        return placeholder("placeholder company name")
    if not any(c.isalnum() for c in text):
        return invalid("no letters or digits in the company name")
    base, suffix = _split_suffix(text)
    bare = _split_suffixes(text)[0] if suffix else text
    if suffix and is_placeholder(bare, "company"):
        return placeholder("placeholder company name with a legal suffix")
    extra = {"legal_suffix": suffix} if suffix else {}
    if policy == "strip" and suffix:
        return result(raw, bare, 0.95, f"removed legal suffix {suffix!r}", extra=extra)
    if policy == "normalize" and suffix:
        canonical = _CANONICAL_SUFFIX.get(_suffix_key(suffix), suffix)
        value = f"{base.rstrip(' ,')} {canonical}"
        return result(raw, value, 0.95, f"legal suffix spelled {canonical!r}", extra=extra)
    return result(raw, text, 0.99, "tidied white space and punctuation", extra=extra)


@lru_cache(maxsize=131072)
def company_key(raw: str) -> str:
    """A matching key: lower case, no legal suffix, no punctuation, "&" read as "and"."""
    text = _tidy(raw).lower()
    from cleanco import basename

    base: str = basename(text) or text
    base, _ = _split_suffixes(base)
    base = _AND_AT_END.sub("", base).replace("&", " and ")
    return _SPACES.sub(" ", _NON_WORD.sub(" ", base)).strip()
