"""Countries to ISO 3166-1 alpha-2 ("US") and states to ISO 3166-2 codes without the prefix ("CA").

Indexes are built once from pycountry plus the variants people actually type ("USA", "U.K.",
"Deutschland", "Calif."). Fuzzy matches are accepted at a lower confidence. For countries whose
regions are rarely coded (GB, FR, ...) an unrecognised region is kept as typed rather than flagged.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from crm_hygiene.normalize.base import EMPTY, Normalized, fixed, invalid, placeholder, valid
from crm_hygiene.normalize.placeholder import is_placeholder

_COUNTRY_VARIANTS: dict[str, str] = {
    "usa": "US", "us": "US", "u s": "US", "u s a": "US", "america": "US", "united states": "US",
    "united states of america": "US", "the united states": "US", "estados unidos": "US", "etats unis": "US",
    "uk": "GB", "u k": "GB", "great britain": "GB", "britain": "GB", "england": "GB", "scotland": "GB",
    "wales": "GB", "northern ireland": "GB", "the united kingdom": "GB",
    "deutschland": "DE", "allemagne": "DE", "alemania": "DE", "germany": "DE",
    "holland": "NL", "the netherlands": "NL", "nederland": "NL",
    "espana": "ES", "espagne": "ES", "brasil": "BR", "mexico": "MX", "italia": "IT", "schweiz": "CH",
    "suisse": "CH", "svizzera": "CH", "osterreich": "AT", "oesterreich": "AT", "sverige": "SE", "norge": "NO",
    "danmark": "DK", "suomi": "FI", "polska": "PL", "belgique": "BE", "belgie": "BE", "eire": "IE",
    "russia": "RU", "south korea": "KR", "korea": "KR", "republic of korea": "KR", "north korea": "KP",
    "vietnam": "VN", "viet nam": "VN", "iran": "IR", "syria": "SY", "laos": "LA", "taiwan": "TW",
    "turkey": "TR", "turkiye": "TR", "uae": "AE", "u a e": "AE", "emirates": "AE", "czech republic": "CZ",
    "czechia": "CZ", "ivory coast": "CI", "cote d ivoire": "CI", "bolivia": "BO", "venezuela": "VE",
    "tanzania": "TZ", "moldova": "MD", "macedonia": "MK", "hong kong": "HK", "macau": "MO", "macao": "MO",
    "prc": "CN", "china": "CN", "mainland china": "CN", "nippon": "JP", "hellas": "GR", "brunei": "BN",
    "cape verde": "CV", "east timor": "TL", "swaziland": "SZ", "burma": "MM", "vatican": "VA",
    "palestine": "PS", "micronesia": "FM", "saint kitts": "KN", "st kitts and nevis": "KN",
    "st lucia": "LC", "trinidad": "TT", "the bahamas": "BS", "kosovo": "XK", "xk": "XK", "xkx": "XK",
    "ksa": "SA", "drc": "CD", "dr congo": "CD", "congo kinshasa": "CD", "congo brazzaville": "CG",
    "republic of the congo": "CG", "republic of congo": "CG", "vatican city": "VA", "bharat": "IN",
}  # fmt: skip
# Variants that are guesses rather than synonyms (a part of the country, or a loose name).
_LOOSE_COUNTRY = frozenset(
    {"england", "scotland", "wales", "northern ireland", "america", "korea", "holland"}
)

_US_ABBREVIATIONS: dict[str, str] = {
    "ala": "AL", "ariz": "AZ", "ark": "AR", "calif": "CA", "cal": "CA", "colo": "CO", "conn": "CT",
    "del": "DE", "fla": "FL", "ga": "GA", "ill": "IL", "ind": "IN", "kan": "KS", "kans": "KS", "ky": "KY",
    "la": "LA", "mass": "MA", "md": "MD", "mich": "MI", "minn": "MN", "miss": "MS", "mo": "MO",
    "mont": "MT", "neb": "NE", "nebr": "NE", "nev": "NV", "okla": "OK", "ore": "OR", "oreg": "OR",
    "pa": "PA", "penn": "PA", "penna": "PA", "tenn": "TN", "tex": "TX", "va": "VA", "vt": "VT",
    "wash": "WA", "wis": "WI", "wisc": "WI", "wyo": "WY", "w va": "WV", "wva": "WV", "washington dc": "DC",
    "washington d c": "DC", "d c": "DC",
}  # fmt: skip
_STATE_VARIANTS: dict[str, dict[str, str]] = {
    "US": _US_ABBREVIATIONS,
    "DE": {"nrw": "NW", "bavaria": "BY", "north rhine westphalia": "NW", "lower saxony": "NI", "hesse": "HE",
           "saxony": "SN", "thuringia": "TH", "rhineland palatinate": "RP", "baden wurttemberg": "BW",
           "baden wuerttemberg": "BW", "saxony anhalt": "ST", "mecklenburg western pomerania": "MV"},
    "CA": {"quebec": "QC", "newfoundland": "NL", "yukon territory": "YT", "pei": "PE", "ont": "ON",
           "pq": "QC", "que": "QC", "alta": "AB", "sask": "SK", "man": "MB", "nfld": "NL", "nwt": "NT"},
    "AU": {"nsw": "NSW", "act": "ACT"},
    "IN": {"bombay": "MH", "orissa": "OD", "pondicherry": "PY", "new delhi": "DL"},
    "MX": {"cdmx": "CMX", "df": "CMX", "distrito federal": "CMX", "mexico city": "CMX", "edomex": "MEX",
           "estado de mexico": "MEX"},
}  # fmt: skip
# Countries whose addresses normally carry a coded state / province: unrecognised values are flagged.
STRICT_STATE_COUNTRIES = frozenset({"US", "CA", "AU", "BR", "MX", "IN"})
# Countries whose ISO subdivisions are not what people mean by a region (GB's are councils and
# boroughs, so "London" would become the City of London): values are kept as typed.
UNCODED_STATE_COUNTRIES = frozenset(
    {"GB", "IE", "FR", "NL", "NZ", "SG", "HK", "BE", "LU", "DK", "SE", "NO", "FI"}
)

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_BRACKETED = re.compile(r"\s*\[([^\]]+)\]")
_PARENTHESIZED = re.compile(r"\s*\([^)]*\)")


def fold(text: str) -> str:
    """Lower case, accents removed, punctuation to single spaces ("Côte d'Ivoire" -> "cote d ivoire")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c)).replace("ß", "ss")
    return _NON_ALNUM.sub(" ", ascii_text).strip()


def _name_variants(name: str) -> list[str]:
    """ "A Coruña [La Coruña]" -> ["A Coruña", "La Coruña"]; "Asturias, Principado de" -> [.., "Asturias"]."""
    names = [_BRACKETED.sub("", name)] + _BRACKETED.findall(name)
    names += [n.split(",", 1)[0] for n in names if "," in n]
    return names


def _derived_country_names(name: str) -> list[str]:
    """ "Korea, Republic of" -> ["Korea", "Republic of Korea"]; "Holy See (Vatican ...)" -> ["Holy See"]."""
    names = [_PARENTHESIZED.sub("", name)] if "(" in name else []
    if "," in name:
        head, _, tail = name.partition(",")
        names += [head, f"{tail.strip()} {head}"]
    return names + [n[4:] for n in names if n.lower().startswith("the ")]


@lru_cache(maxsize=1)
def _country_index() -> dict[str, tuple[str, float]]:
    import pycountry

    index: dict[str, tuple[str, float]] = {}
    derived: dict[str, set[str]] = {}
    for country in pycountry.countries:
        code = country.alpha_2
        index[fold(code)] = (code, 0.99)
        index[fold(country.alpha_3)] = (code, 0.99)
        for attr in ("name", "official_name", "common_name"):
            value = getattr(country, attr, None)
            if value:
                index.setdefault(fold(value), (code, 0.99))
                for variant in _derived_country_names(value):
                    derived.setdefault(fold(variant), set()).add(code)
    # A shortened name counts only when no full name has it and it points at one country:
    # "Congo" is the Republic of the Congo (not "Congo, The Democratic Republic of the"), and
    # "Virgin Islands" (British or U.S.) is nobody.
    for key, codes in derived.items():
        if len(codes) == 1 and key not in index:
            index[key] = (next(iter(codes)), 0.99)
    for key, code in _COUNTRY_VARIANTS.items():
        index[key] = (code, 0.9 if key in _LOOSE_COUNTRY else 0.99)
    return index


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    return {key: code for key, (code, _) in _country_index().items() if len(key) > 3}


@lru_cache(maxsize=4096)
def normalize_country(raw: str) -> Normalized:
    """Normalizes a country name or code to ISO 3166-1 alpha-2."""
    text = raw.strip()
    if not text:
        return EMPTY
    if is_placeholder(text, "country"):
        return placeholder("placeholder country value")
    key = fold(text)
    index = _country_index()
    hit = index.get(key)
    if hit is None and key.startswith("the "):
        hit = index.get(key[4:])  # "The Gambia"
    if hit is not None:
        code, confidence = hit
        return _verdict(raw, code, confidence, f"{text!r} is {code}")
    return _fuzzy_country(text, key)


def _verdict(
    raw: str, value: str, confidence: float, why: str, same: str = "", extra: Mapping[str, str] | None = None
) -> Normalized:
    """``valid`` (with reason ``same``) when ``value`` is ``raw``; ``fixed`` otherwise."""
    if value == raw:
        return valid(value, reason=same or "already in the standard format", extra=extra or {})
    if value == raw.strip():
        confidence, why = 0.99, "trimmed white space" + (f"; {same}" if same else "")
    return fixed(value, confidence, why, extra=extra or {})


def _fuzzy_country(text: str, key: str) -> Normalized:
    if len(key) < 4:
        return invalid(f"{text!r} is not a country")
    from rapidfuzz import fuzz, process

    names = _country_names()
    match = process.extractOne(key, names.keys(), scorer=fuzz.ratio, score_cutoff=88)
    if match is None:
        return invalid(f"{text!r} is not a country")
    code = names[match[0]]
    return fixed(code, 0.8, f"{text!r} read as {match[0]!r} ({code}), a close spelling")


@lru_cache(maxsize=64)
def _state_index(country: str) -> dict[str, tuple[str, float]]:
    import pycountry

    database: Any = pycountry.subdivisions
    subdivisions = list(database.get(country_code=country) or [])
    index: dict[str, tuple[str, float]] = {}
    # Top-level subdivisions first, so a name shared by a region and a province maps to the region.
    subdivisions.sort(key=lambda s: s.parent_code is not None)
    for sub in subdivisions:
        code = sub.code.split("-", 1)[1]
        index.setdefault(fold(code), (code, 0.99))
        for variant in _name_variants(sub.name):
            index.setdefault(fold(variant), (code, 0.99))
    for key, code in _STATE_VARIANTS.get(country, {}).items():
        index.setdefault(key, (code, 0.95))
    return index


@lru_cache(maxsize=16384)
def normalize_state(raw: str, country: str | None = None) -> Normalized:
    """Normalizes a state / province / region to its ISO 3166-2 code without the country prefix.

    Args:
        raw: The value as found.
        country: The record's ISO alpha-2 country. Without it, US, Canada and Australia are tried:
            a hit that means one code accepted at a lower confidence (also "wa", Washington or
            Western Australia: "WA" either way, with no ``extra["country"]``); two codes are invalid.
    """
    text = raw.strip()
    if not text:
        return EMPTY
    if is_placeholder(text, "state"):
        return placeholder("placeholder state value")
    key = fold(text)
    if country:
        return _state_in(raw, key, country.upper())
    hits = {c: h for c in ("US", "CA", "AU") if (h := _lookup(c, key)) is not None}
    codes = {code for code, _ in hits.values()}
    if len(codes) == 1:
        # One code, even if it is a state of more than one country ("WA": Washington or Western Australia).
        code = codes.pop()
        extra = {"country": next(iter(hits))} if len(hits) == 1 else {}
        where = " or ".join(f"{c}-{code}" for c in hits)
        same = f"the state code of {where} (no country on the record)"
        return _verdict(raw, code, 0.85, f"{text!r} is {where} (no country on the record)", same, extra)
    if hits:
        return invalid(f"{text!r} could be a state of {' or '.join(hits)}; the record has no country")
    return invalid(f"{text!r} is not a recognised state and the record has no country")


def _lookup(country: str, key: str) -> tuple[str, float] | None:
    index = _state_index(country)
    hit = index.get(key)
    if hit is None and " " in key and len(key.replace(" ", "")) <= 3:
        hit = index.get(key.replace(" ", ""))  # "N.Y." -> "ny"
    return hit


def _state_in(raw: str, key: str, country: str) -> Normalized:
    text = raw.strip()
    if country in UNCODED_STATE_COUNTRIES:
        return _verdict(raw, text, 0.99, "", f"kept as typed: regions of {country} are not coded")
    hit = _lookup(country, key)
    if hit is None:
        if country in STRICT_STATE_COUNTRIES:
            return invalid(f"{text!r} is not a state or province of {country}")
        return _verdict(raw, text, 0.99, "", f"kept as typed: {text!r} is not a coded region of {country}")
    code, confidence = hit
    if country not in STRICT_STATE_COUNTRIES:
        confidence = min(confidence, 0.85)
    return _verdict(raw, code, confidence, f"{text!r} is {country}-{code}")


def country_of_state(raw: str) -> str | None:
    """The only one of US / CA / AU that has a state called or coded ``raw``, if exactly one does."""
    key = fold(raw)
    found = [c for c in ("US", "CA", "AU") if _lookup(c, key) is not None]
    return found[0] if len(found) == 1 else None
