"""Person names: proper case with Mc/Mac/O'/hyphen rules, particles, salutations and suffixes.

Names typed in mixed case ("DeShawn", "de la Cruz", "McDonald") are respected; only all-upper,
all-lower or inverted-caps names are re-cased. Scripts without letter case (CJK, Arabic, ...) are
left alone. Full names are split with nameparser; salutations ("Dr.") and suffixes ("Jr.") are
returned separately so they can go to their own fields. A full name typed "Last, First" is
reordered; a comma in a first or last name is reported, not guessed at.

Particles ("van", "de la") are lower case inside a name and capitalized when they open the field
("VAN DER BERG" in a last-name field becomes "Van der Berg", as Dutch writes a surname alone), at a
lower confidence. The Mac rule (MacDonald) is applied to surnames only: "MACKENZIE" as a first name
is "Mackenzie".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from crm_hygiene.normalize.base import EMPTY, Normalized, fixed, invalid, placeholder, valid
from crm_hygiene.normalize.placeholder import is_placeholder

NamePart = Literal["first", "last", "full"]

_SIMPLE = re.compile(r"[A-Z][a-z]+")
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
# Values that are only a salutation ("Mr.") are not names; "Sir" or "Dame" alone might be.
_SALUTATION_ONLY = frozenset({"mr", "mrs", "ms", "mx", "dr", "prof"})
_NO_MAC = 1_000_000  # "apply the Mac rule from word N on": never


@dataclass(frozen=True, slots=True)
class NameParts:
    salutation: str = ""
    first: str = ""
    middle: str = ""
    last: str = ""
    suffix: str = ""


def _needs_recase(text: str) -> bool:
    # Only letters with case count ("ß" has no capital in common use; CJK has no case at all).
    letters = [c for c in text if c.isupper() or (c.islower() and c != "ß")]
    if len(letters) < 2:
        return False
    upper = sum(c.isupper() for c in letters)
    if upper == 0 or upper == len(letters):
        return True
    # caps-lock inverted: "jOHN"
    return letters[0].islower() and upper == len(letters) - 1 and len(letters) > 2


def _case_word(word: str, first_word: bool, last_word: bool, mac: bool) -> tuple[str, bool]:
    """Proper case of one word; second item is True when a special rule (less certain) applied."""
    low = word.lower()
    if low in PARTICLES and not last_word:  # "John Le" keeps its capital: Le is a surname there
        return (low.capitalize(), True) if first_word else (low, True)
    if not first_word and low in _ROMAN:
        return low.upper(), True
    if low.startswith("mc") and len(low) > 3:
        return "Mc" + low[2:].capitalize(), True
    if mac and low in MAC_NAMES:
        return "Mac" + low[3:].capitalize(), True
    return low.capitalize(), False


def proper_case(text: str) -> tuple[str, bool]:
    """Re-cases a name; the flag says whether a less certain rule (particles, Mc/Mac, O') was used."""
    return _proper_case(text, 0)


def _proper_case(text: str, mac_from: int) -> tuple[str, bool]:
    """``proper_case`` with the Mac rule applied from word ``mac_from`` on (given names never get it)."""
    pieces = [p for p in _WORD_SPLIT.split(text) if p]
    word_count = sum(1 for p in pieces if not _WORD_SPLIT.fullmatch(p))
    out: list[str] = []
    special = False
    previous_sep = ""
    index = 0  # of the word
    for piece in pieces:
        if _WORD_SPLIT.fullmatch(piece):
            out.append(piece)
            previous_sep = piece
            continue
        if previous_sep in ("'", "’") and len(out) >= 2 and len(out[-2]) == 1:
            cased, rule = piece.lower().capitalize(), True  # O'Brien, D'Angelo
        elif previous_sep in ("'", "’"):
            cased, rule = piece.lower(), True  # "Ma'am"-like: no capital after the apostrophe
        else:
            first = index == 0 or previous_sep == "-"
            cased, rule = _case_word(piece, first, index == word_count - 1, index >= mac_from)
        out.append(cased)
        special = special or rule
        index += 1
    return "".join(out), special


def _tokens_of(text: str) -> list[str]:
    return [t for t in _SPACES.split(text) if t]


def _affix_key(token: str) -> str:
    return token.strip(",.").lower()


def _strip_affixes(text: str) -> tuple[str, str, str]:
    """(salutations, rest, suffixes) for one name field such as "Prof. Dr. John" or "Smith, Jr."."""
    tokens = _tokens_of(text)
    salutations: list[str] = []
    suffixes: list[str] = []
    while len(tokens) > 1 and _affix_key(tokens[0]) in SALUTATIONS:
        salutations.append(tokens.pop(0).rstrip(","))
    while len(tokens) > 1 and _affix_key(tokens[-1]) in SUFFIXES:
        suffixes.insert(0, tokens.pop().rstrip(","))
    return " ".join(salutations), " ".join(tokens).strip(" ,"), " ".join(suffixes)


def _split(text: str, part: NamePart) -> tuple[str, str, str, bool] | None:
    """(salutation, name, suffix, reordered) with "Last, First" put in order; None for other commas."""
    salutation, core, suffix = _strip_affixes(text)
    reordered = _reorder(core, part)
    if reordered is None:
        return None
    if reordered == core:
        return salutation, core, suffix, False
    # "Smith Jr., John" -> "John Smith Jr.": the suffix surfaces only once reordered.
    more_salutation, core, more_suffix = _strip_affixes(reordered)
    join = " ".join
    return (
        join(filter(None, (salutation, more_salutation))),
        core,
        join(filter(None, (more_suffix, suffix))),
        True,
    )


def _reorder(core: str, part: NamePart) -> str | None:
    """ "Smith, John" -> "John Smith" for a full name; None when a comma makes the value unreadable."""
    if "," not in core:
        return core
    pieces = [p.strip() for p in core.split(",")]
    if part != "full" or len(pieces) != 2 or not all(pieces):
        return None
    return f"{pieces[1]} {pieces[0]}"


def _reject(text: str) -> Normalized | None:
    """The verdict on a value that is not a name at all, or None."""
    if not text:
        return EMPTY
    if is_placeholder(text, "name"):
        return placeholder("placeholder name")
    if _HAS_DIGIT.search(text) or _BAD_CHARS.search(text):
        return invalid("contains digits or symbols that do not belong in a name")
    if not any(c.isalpha() for c in text):
        return invalid("no letters in the name")
    if _affix_key(text) in _SALUTATION_ONLY:
        return invalid(f"{text!r} is a salutation, not a name")
    return None


@lru_cache(maxsize=65536)
def normalize_person_name(raw: str, part: NamePart = "first") -> Normalized:
    """Normalizes a first name, last name or full name.

    ``extra`` carries ``salutation`` / ``suffix`` when one was split off the value.
    """
    if _SIMPLE.fullmatch(raw) and not is_placeholder(raw, "name"):  # the common case, quickly
        return valid(raw)
    text = _SPACES.sub(" ", raw.strip())
    rejected = _reject(text)
    if rejected is not None:
        return rejected
    split = _split(text, part)
    if split is None:
        return invalid("a comma in the name: more than one name, or last and first name together")
    salutation, core, suffix, reordered = split
    extra = {k: v for k, v in (("salutation", salutation), ("suffix", suffix)) if v}
    confidence, reasons = 0.97, []
    if extra:
        reasons.append("split off " + " and ".join(f"{k} {v!r}" for k, v in extra.items()))
        confidence = 0.9
    if reordered:
        reasons.append("reordered 'Last, First'")
        confidence = min(confidence, 0.85)
    core, recase_confidence = _recase(core, part)
    if recase_confidence < 1.0:
        reasons.append("proper case")
        confidence = min(confidence, recase_confidence)
    return _verdict(raw, core, confidence, reasons, extra)


def _recase(core: str, part: NamePart) -> tuple[str, float]:
    """``core`` in proper case with the confidence of the re-casing (1.0: nothing to re-case)."""
    if not _needs_recase(core):
        return core, 1.0
    mac_from = {"first": _NO_MAC, "last": 0, "full": 1}[part]
    cased, special = _proper_case(core, mac_from)
    if _proper_case(cased, mac_from)[0] != cased:
        return core, 1.0  # letters whose case does not round-trip ("ŉ" -> "ʼN"): leave the name alone
    short = len(cased.replace(" ", "")) <= 2
    return cased, 0.7 if short else (0.88 if special else 0.97)


def _verdict(raw: str, core: str, confidence: float, reasons: list[str], extra: dict[str, str]) -> Normalized:
    # What is left once a salutation or suffix is gone, or once re-cased, must still be a name.
    rejected = _reject(core)
    if rejected is not None:
        empty = rejected.status == "empty"
        return invalid("no name left once salutation and suffix are removed") if empty else rejected
    if core == raw:
        return valid(core)
    if not reasons:
        return fixed(core, 0.99, "tidied white space and punctuation")
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
            parts[key] = _proper_case(value, 0 if key == "last" else _NO_MAC)[0]
    return NameParts(**parts)
