"""Person names: proper case with Mc/Mac/O'/hyphen rules, particles, salutations and suffixes.

Names typed in mixed case ("DeShawn", "de la Cruz", "McDonald") are respected; only all-upper,
all-lower or inverted-caps names are re-cased. Full names are split with nameparser; salutations
("Dr.") and suffixes ("Jr.") are returned separately so they can go to their own fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from crm_hygiene.normalize.base import EMPTY, Normalized, fixed, invalid, placeholder, valid
from crm_hygiene.normalize.placeholder import is_placeholder

NamePart = Literal["first", "last", "full"]

_SIMPLE = re.compile(r"^[A-Z][a-z]+$")
_SPACES = re.compile(r"\s+")
_WORD_SPLIT = re.compile(r"([\s\-'’]+)")
_HAS_DIGIT = re.compile(r"\d")
_BAD_CHARS = re.compile(r"[@#$%^*=+<>{}\[\]|\\/_~:;!?]")

PARTICLES = frozenset(
    {"von", "van", "der", "den", "de", "del", "della", "dei", "di", "da", "du", "la", "le", "dos", "das",
     "do", "bin", "ibn", "ter", "ten", "zu", "af", "y"}
)  # fmt: skip
MAC_NAMES = frozenset(
    {"macdonald", "mackenzie", "macleod", "macarthur", "macmillan", "macgregor", "macintyre", "macaulay",
     "mackay", "maclean", "macneil", "macpherson", "macrae", "macinnes", "mackinnon", "macfarlane",
     "maclachlan", "macqueen", "macdougall", "macintosh", "mackintosh", "maclaren", "macnamara",
     "macdermott", "macbride", "maccarthy", "macguire", "mackenna", "macmahon", "macnab", "macewan"}
)  # fmt: skip
SALUTATIONS = frozenset(
    {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "sir", "dame", "rev", "fr", "hon",
     "herr", "frau", "mme", "mlle", "sr", "sra", "srta", "dott", "ing"}
)  # fmt: skip
SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "v", "phd", "md", "esq", "cpa", "mba", "dds", "jd"})
_ROMAN = frozenset({"ii", "iii", "iv", "v", "vi"})


@dataclass(frozen=True, slots=True)
class NameParts:
    salutation: str = ""
    first: str = ""
    middle: str = ""
    last: str = ""
    suffix: str = ""


def _needs_recase(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 2:
        return False
    upper = sum(c.isupper() for c in letters)
    if upper == 0 or upper == len(letters):
        return True
    # caps-lock inverted: "jOHN"
    return letters[0].islower() and upper == len(letters) - 1 and len(letters) > 2


def _case_word(word: str, first_word: bool) -> tuple[str, bool]:
    """Proper case of one word; second item is True when a special rule (less certain) applied."""
    low = word.lower()
    if not first_word and low in PARTICLES:
        return low, True
    if not first_word and low in _ROMAN:
        return low.upper(), True
    if low.startswith("mc") and len(low) > 3:
        return "Mc" + low[2:].capitalize(), True
    if low in MAC_NAMES:
        return "Mac" + low[3:].capitalize(), True
    return low.capitalize(), False


def proper_case(text: str) -> tuple[str, bool]:
    """Re-cases a name; the flag says whether a less certain rule (particles, Mc/Mac, O') was used."""
    pieces = _WORD_SPLIT.split(text)
    out: list[str] = []
    special = False
    first_word = True
    previous_sep = ""
    for piece in pieces:
        if not piece:
            continue
        if _WORD_SPLIT.fullmatch(piece):
            out.append(piece)
            previous_sep = piece
            continue
        if previous_sep in ("'", "’") and out and len(out[-2]) == 1:
            cased, rule = piece.lower().capitalize(), True  # O'Brien, D'Angelo
        elif previous_sep in ("'", "’"):
            cased, rule = piece.lower(), True  # "Ma'am"-like: no capital after the apostrophe
        else:
            cased, rule = _case_word(piece, first_word or previous_sep == "-")
        out.append(cased)
        special = special or rule
        first_word = False
    return "".join(out), special


def _tokens_of(text: str) -> list[str]:
    return [t for t in _SPACES.split(text) if t]


def _strip_affixes(text: str) -> tuple[str, str, str]:
    """(salutation, rest, suffix) for one name field such as "Dr. John" or "Smith Jr."."""
    tokens = _tokens_of(text.replace(",", " "))
    salutation = suffix = ""
    if len(tokens) > 1 and tokens[0].rstrip(".").lower() in SALUTATIONS:
        salutation = tokens.pop(0)
    if len(tokens) > 1 and tokens[-1].rstrip(".").lower() in SUFFIXES:
        suffix = tokens.pop()
    return salutation, " ".join(tokens), suffix


@lru_cache(maxsize=65536)
def normalize_person_name(raw: str, part: NamePart = "first") -> Normalized:
    """Normalizes a first name, last name or full name.

    ``extra`` carries ``salutation`` / ``suffix`` when one was split off the value.
    """
    if _SIMPLE.match(raw):
        return valid(raw)
    text = _SPACES.sub(" ", raw.strip())
    if not text:
        return EMPTY
    if is_placeholder(text, "name"):
        return placeholder("placeholder name")
    if _HAS_DIGIT.search(text) or _BAD_CHARS.search(text) or "@" in text:
        return invalid("contains digits or symbols that do not belong in a name")
    salutation, core, suffix = _strip_affixes(text)
    extra = {k: v for k, v in (("salutation", salutation), ("suffix", suffix)) if v}
    confidence = 0.97
    reasons = []
    if extra:
        reasons.append("split off " + " and ".join(f"{k} {v!r}" for k, v in extra.items()))
        confidence = 0.9
    if _needs_recase(core):
        core, special = proper_case(core)
        reasons.append("proper case")
        short = len(core.replace(" ", "")) <= 2
        confidence = min(confidence, 0.7 if short else (0.88 if special else 0.97))
    if core == raw:
        return valid(core)
    if not reasons:
        reasons.append("collapsed white space")
        confidence = 0.99
    return fixed(core, confidence, "; ".join(reasons), extra=extra)


def split_full_name(raw: str) -> NameParts:
    """Splits a full name ("Dr. Jane A. van der Berg Jr.", "Smith, John") into its parts."""
    from nameparser import HumanName

    text = _SPACES.sub(" ", raw.strip())
    human = HumanName(text)
    parts = {
        "salutation": str(human.title),
        "first": str(human.first),
        "middle": str(human.middle),
        "last": str(human.last),
        "suffix": str(human.suffix),
    }
    for key in ("first", "middle", "last"):
        value = parts[key]
        if value and _needs_recase(value):
            parts[key] = proper_case(value)[0]
    return NameParts(**parts)
