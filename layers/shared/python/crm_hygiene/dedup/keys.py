"""Matching keys of single values: person names, nicknames, emails, phones, postcodes, dates.

Pure functions of one string, cached where the same value recurs. ``features.map_distinct`` calls
them once per distinct value of a column.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from crm_hygiene.dedup.features import fold, squash
from crm_hygiene.normalize.email import (
    DISPOSABLE_DOMAINS,
    FREE_MAIL_DOMAINS,
    PLACEHOLDER_DOMAINS,
    PLACEHOLDER_LOCAL_PARTS,
    ROLE_LOCAL_PARTS,
    normalize_email,
)
from crm_hygiene.normalize.name import PARTICLES, SALUTATIONS, SUFFIXES
from crm_hygiene.normalize.placeholder import is_placeholder

_SIMPLE_EMAIL = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~.-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+")
_LOCAL_PUNCT = re.compile(r"[._-]")
_PHONE_EXTENSION = re.compile(r"(?:;ext=|\s*(?:ext(?:ension)?\.?|x|#)\s*)\d+\s*$", re.IGNORECASE)
_NOT_DIGIT = re.compile(r"\D")
_ASCENDING = "01234567890123456789"
_DESCENDING = "98765432109876543210"
_AFFIXES = SALUTATIONS | SUFFIXES
PHONE_KEY_DIGITS = 9
"""Phones are compared on their last 9 digits: equal for "+44 20 7123 4567" and "020 7123 4567",
for "+1 (415) 555-2671" and "415.555.2671", without parsing the number (100x cheaper than
phonenumbers, and what differs in the leading digits is the country code or trunk prefix)."""


def name_tokens(raw: str) -> list[str]:
    """Folded name tokens without salutations and suffixes ("Dr. John A. Smith Jr." -> john a smith)."""
    tokens = fold(raw).split()
    while len(tokens) > 1 and tokens[0] in SALUTATIONS:
        tokens.pop(0)
    while len(tokens) > 1 and tokens[-1] in SUFFIXES:
        tokens.pop()
    return [t for t in tokens if t not in _AFFIXES] or tokens


@lru_cache(maxsize=262_144)
def split_given(raw: str) -> tuple[str, str, str]:
    """(given name, middle initial, rest) of a first-name field ("Mary A." -> mary, a, "")."""
    tokens = name_tokens(raw)
    if not tokens:
        return "", "", ""
    if len(tokens) == 1:
        return tokens[0], "", ""
    if len(tokens[1]) == 1 or len(tokens) == 2:
        rest = " ".join(tokens[2:])
        return tokens[0], tokens[1][:1], rest
    return tokens[0], tokens[1][:1], " ".join(tokens[2:])


@lru_cache(maxsize=262_144)
def split_full(raw: str) -> tuple[str, str, str]:
    """(first, middle initial, last) of a full name ("Smith, John A." or "Dr John A. Smith Jr.")."""
    if raw.count(",") == 1:
        last, _, first = raw.partition(",")
        given, middle, _ = split_given(first)
        if given and last.strip():
            return given, middle, surname_key(last)
    tokens = name_tokens(raw)
    while len(tokens) > 2 and len(tokens[-1]) == 1:  # "John Smith A.": a trailing initial
        tokens.pop()
    if len(tokens) < 2:
        return "", "", tokens[0] if tokens else ""
    start = len(tokens) - 1
    while start > 1 and tokens[start - 1] in PARTICLES:  # "Shawn van Dyke": the particle is the surname's
        start -= 1
    middle = tokens[1][:1] if start > 1 else ""
    return tokens[0], middle, "".join(tokens[start:])


@lru_cache(maxsize=262_144)
def surname_key(raw: str) -> str:
    """A surname without spaces, punctuation, suffixes or a trailing initial ("Van Dyke Jr. A" -> vandyke)."""
    tokens = name_tokens(raw)
    while len(tokens) > 1 and len(tokens[-1]) == 1:
        tokens.pop()
    return "".join(tokens)


@lru_cache(maxsize=1)
def _nicknamer() -> Any:
    from nicknames import NickNamer

    return NickNamer()


@lru_cache(maxsize=131_072)
def nickname_keys(given: str) -> frozenset[str]:
    """The name and its formal names ("bill" -> bill, william, robert, ...): two given names are
    nickname-compatible when their keys intersect ("bill" and "will" share "william")."""
    if len(given) < 2:
        return frozenset()
    try:
        formal: set[str] = _nicknamer().canonicals_of(given)
    except (KeyError, ValueError):  # pragma: no cover - the package returns a set for any string
        formal = set()
    return frozenset({given, *formal})


@lru_cache(maxsize=131_072)
def _related(given: str) -> tuple[frozenset[str], frozenset[str]]:
    """(the name's formal names, its formal names and nicknames) per the nicknames package."""
    namer = _nicknamer()
    formal: set[str] = namer.canonicals_of(given)
    nicks: set[str] = namer.nicknames_of(given)
    return frozenset(formal), frozenset(formal | nicks)


def nickname_compatible(a: str, b: str) -> bool:
    """Whether two folded given names can be the same person's: one is a nickname or the formal
    name of the other ("bob" / "robert"), or both are nicknames of one formal name longer than
    either ("bill" / "will" -> "william"; "william" and "robert" sharing "bill", or "laura" and
    "lawrence" sharing "laurinda" in the package's data, are not one name)."""
    if len(a) < 2 or len(b) < 2:
        return False
    formal_a, related_a = _related(a)
    formal_b, related_b = _related(b)
    if b in related_a or a in related_b:
        return True
    longest = max(len(a), len(b))
    return any(len(name) > longest for name in formal_a & formal_b)


@lru_cache(maxsize=131_072)
def phonetic(name: str) -> str:
    """A phonetic key of a surname (Soundex of the folded name without spaces)."""
    if not name:
        return ""
    import jellyfish

    key: str = jellyfish.soundex(name)
    return key


def email_parts(raw: str) -> tuple[str, str, str]:
    """(address key, local key, domain) of an email, all "" when it identifies no one person.

    The local key drops a +tag and dots, underscores and hyphens ("John.Smith+crm@X.com" ->
    "johnsmith"), and the address key is ``local key@domain``. Placeholders, disposable and
    role addresses (info@, sales@: a shared mailbox, not a person) give "".
    """
    text = raw.strip().lower()
    if not text:
        return "", "", ""
    if not _SIMPLE_EMAIL.fullmatch(text):
        normalized = normalize_email(raw)
        if normalized.value is None:
            return "", "", ""
        text = normalized.value.lower()
    local, _, domain = text.rpartition("@")
    base = local.split("+", 1)[0]
    if base in ROLE_LOCAL_PARTS or domain in PLACEHOLDER_DOMAINS or domain in DISPOSABLE_DOMAINS:
        return "", "", ""
    if base in PLACEHOLDER_LOCAL_PARTS and (domain.split(".", 1)[0] in PLACEHOLDER_LOCAL_PARTS):
        return "", "", ""
    key = _LOCAL_PUNCT.sub("", base)
    if not key:
        return "", "", ""
    return f"{key}@{domain}", key, domain


FREE_MAIL: frozenset[str] = frozenset(FREE_MAIL_DOMAINS)
"""Free-mail domains (gmail.com, ...): two addresses there say nothing about one company."""


def phone_key(raw: str) -> str:
    """The last 9 digits of a phone number (extension dropped); "" for junk and short numbers."""
    text = raw.strip()
    if not text:
        return ""
    digits = _NOT_DIGIT.sub("", _PHONE_EXTENSION.sub("", text))
    if len(digits) < 7:
        return ""
    core = digits[-10:]
    if len(set(core)) <= 2 or core in _ASCENDING or core in _DESCENDING:
        return ""
    return digits[-PHONE_KEY_DIGITS:]


def postcode_key(raw: str) -> str:
    """Upper-case letters and digits only ("sw1a 1aa" -> "SW1A1AA"); "" for placeholders."""
    if is_placeholder(raw, "postal_code"):
        return ""
    return "".join(c for c in raw.upper() if c.isalnum())


def identifier_key(raw: str) -> str:
    """Letters and digits only, upper case; "" for placeholders."""
    if is_placeholder(raw, "identifier"):
        return ""
    return "".join(c for c in raw.upper() if c.isalnum())


def date_key(raw: str) -> str:
    """``YYYYMMDD`` of a date, or its digits when it is not a real date (typos stay comparable)."""
    text = raw.strip()
    if not text:
        return ""
    from crm_hygiene.normalize.date import normalize_date

    found = normalize_date(text, date_only=True)
    if found.value:
        return found.value[:10].replace("-", "")
    digits = _NOT_DIGIT.sub("", text)
    return digits if len(digits) == 8 else ""


def amount_key(raw: str) -> str:
    """A number as a plain decimal string ("$1,200.00" -> "1200"); "" when it is not one."""
    text = raw.strip()
    if not text:
        return ""
    from crm_hygiene.normalize.number import normalize_number

    found = normalize_number(text)
    if found.value is None:
        return ""
    value = found.value
    return value.rstrip("0").rstrip(".") if "." in value else value


def company_name_key(raw: str) -> str:
    """A company name without legal suffix, case, punctuation or spaces ("Acme, Inc." -> "acme"),
    from ``normalize_company_name(..., "strip")``; "" for placeholders ("TBD Inc.").

    (``normalize.company.company_key`` gives the same key with cleanco's longer suffix list, at
    three times the cost: 8 s of a 1M-row run.)
    """
    from crm_hygiene.normalize.company import normalize_company_name

    if not raw.strip():
        return ""
    found = normalize_company_name(raw, "strip")
    return squash(found.value) if found.value else ""


def website_key(raw: str) -> str:
    """The registered domain of a website or domain value ("https://www.acme.co.uk/x" -> acme.co.uk)."""
    if not raw.strip():
        return ""
    from crm_hygiene.normalize.domain import normalize_domain

    found = normalize_domain(raw)
    return found.extra.get("registered_domain", "") if found.value else ""
