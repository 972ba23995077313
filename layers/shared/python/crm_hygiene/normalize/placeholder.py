"""Placeholder values: stand-ins people type when they have nothing. They count as missing."""

from __future__ import annotations

import re
from functools import lru_cache

# Compared after lower-casing and collapsing white space and dots ("N.A." -> "na").
_GENERIC = frozenset(
    {
        "tbd", "tba", "tbc", "n/a", "na", "n.a", "none", "null", "nil", "nan", "-", "--", "---", "_", ".",
        "?", "??", "???", "unknown", "unkown", "unk", "not known", "not available", "not provided",
        "not applicable", "no name", "noname", "xxx", "xx", "xxxx", "x", "test", "testing", "asdf",
        "asd", "qwerty", "dummy", "placeholder", "sample", "blank", "empty", "missing", "no data",
        "undefined", "#n/a", "#value!", "#ref!", "0", "00", "000", "...", "*", "**", "no", "nope",
        "to be determined", "to be confirmed", "various", "self", "fake", "abc", "aaa", "–", "—",
        "(blank)", "(none)", "<none>", "[blank]", "[none]", "unspecified", "not specified", "not set",
        "not given", "none given", "n/d",
    }
)  # fmt: skip
# Two-letter codes that are real values for some kinds (Namibia is "NA", "No" is a Norwegian county).
_NOT_PLACEHOLDER_FOR: dict[str, frozenset[str]] = {
    "country": frozenset({"na", "no"}),
    "state": frozenset({"na", "no", "x", "0"}),
    "postal_code": frozenset({"0", "00", "000"}),
    "number": frozenset({"0", "00", "000"}),
    # Real companies are called "X", "ABC" or "Self" (and "TBD" is still a placeholder).
    "company": frozenset({"x", "abc", "self", "various", "sample", "aaa"}),
    "name": frozenset({"abc"}),
}
_SPACES_DOTS = re.compile(r"[\s.]+")
_REPEATED = re.compile(r"^(.)\1{2,}$")  # "aaaa", "----", "0000"


def placeholder_key(raw: str) -> str:
    return _SPACES_DOTS.sub(" ", raw.strip().lower()).strip()


@lru_cache(maxsize=65536)
def is_placeholder(raw: str, kind: str = "text") -> bool:
    """True when ``raw`` is a stand-in ("TBD", "n/a", "-", "unknown", "xxx", ...) for a value of ``kind``."""
    key = placeholder_key(raw)
    if not key:
        return bool(raw.strip())  # only dots: ".", "..."
    if key in _NOT_PLACEHOLDER_FOR.get(kind, ()):
        return False
    if kind == "number" and key.replace(" ", "").isdigit():
        return False  # "0", "0.00", "000": zero is an amount
    if key in _GENERIC or key.replace(" ", "") in _GENERIC:
        return True
    return kind != "number" and bool(_REPEATED.match(key.replace(" ", "")))
