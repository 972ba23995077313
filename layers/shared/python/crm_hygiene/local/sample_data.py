"""Vocabulary of the sample generator: places, phone numbering, people, companies and picklists.

Every list is invented for this project. Word lists and the country and city tables live in
``data/*.txt`` (one entry a line, table cells separated by "|"). :class:`Places` turns the places into
per-run pools of unique, valid phone numbers and postal codes; :class:`CompanyNames` makes unique
company names.
"""

from __future__ import annotations

import math
import random
import re
import unicodedata
import zlib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import phonenumbers


def _split(text: str) -> tuple[str, ...]:
    return tuple(
        word.strip() for word in text.replace("\n", ",").replace(";", ",").split(",") if word.strip()
    )


def _cells(line: str) -> tuple[str, ...]:
    return tuple(cell.strip() for cell in line.split("|"))


def words(name: str) -> tuple[str, ...]:
    """The entries of ``data/<name>.txt``, one a line, blank lines skipped."""
    text = resources.files("crm_hygiene.local").joinpath("data", f"{name}.txt").read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def weighted(text: str) -> tuple[str, ...]:
    """A bag for O(1) weighted picks from "label weight, label weight"."""
    bag: list[str] = []
    for item in _split(text):
        label, _, weight = item.rpartition(" ")
        bag.extend([label] * int(weight))
    return tuple(bag)


_NOT_KEPT = re.compile(r"[^a-z0-9-]")
_FOLD = str.maketrans({"ß": "ss", "ø": "o", "æ": "ae", "ł": "l", "đ": "d", "œ": "oe", "ı": "i"})


def ascii_fold(text: str) -> str:
    """Lowercase ASCII letters, digits and hyphens only ("O'Brien" → "obrien", "Zoë" → "zoe")."""
    lower = text.lower()
    if lower.isascii():
        return _NOT_KEPT.sub("", lower)
    decomposed = unicodedata.normalize("NFKD", lower.translate(_FOLD))
    return "".join(ch for ch in decomposed if ch.isascii() and (ch.isalnum() or ch == "-"))


@dataclass(frozen=True, slots=True)
class Country:
    """How records of one country look.

    Attributes:
        code: ISO 3166-1 alpha-2.
        weight: Relative share of companies (and so of contacts) in this country.
        fixed_len: Digits in a national significant landline number.
        mobile_len: Digits in a national significant mobile number.
        mobile: National mobile prefixes; empty when mobiles use the city's prefixes (NANP, Brazil).
        tlds: Company domain endings.
        legal: Company legal-form suffixes.
        culture: Key of the name pools most people here draw from.
        variants: Ways people type the country instead of its code.
    """

    code: str
    weight: int
    fixed_len: int
    mobile_len: int
    mobile: tuple[str, ...]
    tlds: tuple[str, ...]
    legal: tuple[str, ...]
    culture: str
    variants: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class City:
    """A city with its subdivision, postal-code patterns and phone prefixes.

    Postal patterns: ``#`` is any digit, ``%`` a digit 1-9, ``@`` a letter; other characters are literal.
    Phone prefixes are national significant digits (no trunk 0) that start a valid landline (or, for
    ``mobile``, a mobile) number here.
    """

    country: str
    name: str
    state: str
    postal: tuple[str, ...]
    fixed: tuple[str, ...]
    mobile: tuple[str, ...]


# data/countries.txt, one country a line: code | weight | landline digits | mobile digits | mobile prefixes
# | tlds | legal forms | name culture | variants (lists comma-separated).
COUNTRIES: dict[str, Country] = {
    cells[0]: Country(
        cells[0],
        int(cells[1]),
        int(cells[2]),
        int(cells[3]),
        _split(cells[4]),
        _split(cells[5]),
        _split(cells[6]),
        cells[7],
        _split(cells[8]),
    )  # fmt: skip
    for cells in (_cells(line) for line in words("countries"))
}

# data/cities.txt, one city a line: country | city | state | postal patterns (;) | landline prefixes (;)
# | city mobile prefixes (;).
CITIES: tuple[City, ...] = tuple(
    City(
        cells[0], cells[1], cells[2], tuple(cells[3].split(";")), tuple(cells[4].split(";")), _split(cells[5])
    )
    for cells in (_cells(line) for line in words("cities"))
)

# Letters allowed in postal codes where some are reserved (UK inward code, Canada, Netherlands).
POSTAL_LETTERS: dict[str, str] = {
    "GB": "ABDEFGHJLNPQRSTUWXYZ",
    "CA": "ABCEGHJKLMNPRSTVWXYZ",
    "NL": "ABCEGHJKLNPRTVWXZ",
}

CULTURES: tuple[str, ...] = ("en", "intl", "de", "fr", "es", "br", "in", "nl")
FIRST_NAMES: dict[str, tuple[str, ...]] = {key: words(f"first_names_{key}") for key in CULTURES}
LAST_NAMES: dict[str, tuple[str, ...]] = {key: words(f"last_names_{key}") for key in CULTURES}

# formal name: nicknames, for near-duplicate rows ("Robert" in one row, "Bob" in the other).
NICKNAMES: dict[str, tuple[str, ...]] = {
    formal.strip(): tuple(nicks.split())
    for formal, _, nicks in (
        item.partition(":")
        for item in _split("""
    Robert: Bob Rob, William: Bill Will, Elizabeth: Liz Beth, Katherine: Kate Katie, Michael: Mike,
    James: Jim Jamie, Jennifer: Jen Jenny, Alexander: Alex, Daniel: Dan Danny, Thomas: Tom,
    Christopher: Chris, Margaret: Maggie Peggy, Richard: Rick Dick, Joseph: Joe, Samuel: Sam,
    Benjamin: Ben, Matthew: Matt, Nicholas: Nick, Jonathan: Jon, Patricia: Pat Trish, Rebecca:
    Becky, Susan: Sue, Andrew: Andy Drew, Anthony: Tony, Edward: Ed Ted, Steven: Steve, Timothy:
    Tim, Zachary: Zach, Victoria: Vicky, Abigail: Abby, Maximilian: Max, Sebastian: Basti,
    Alejandro: Alex, Francisco: Paco, Guillaume: Will, Jonas: Joni, Wolfgang: Wolf""")
    )
}

OWNERS: tuple[str, ...] = _split(
    "Jane Cooper, Marcus Lee, Priya Raman, Tom Becker, Sofia Alvarez, Daniel Kim, Aisha Bello, Lukas Weber"
)

JOB_TITLES: tuple[str, ...] = words("job_titles")

INDUSTRIES: tuple[str, ...] = _split("""
    Computer Software, Information Technology and Services, Marketing and Advertising, Financial Services,
    Hospital & Health Care, Retail, Logistics and Supply Chain, Construction, Real Estate,
    Mechanical or Industrial Engineering, Food & Beverages, Telecommunications, Insurance, Automotive,
    Management Consulting, Renewables & Environment""")

LIFECYCLE_STAGES: tuple[str, ...] = (
    "Subscriber",
    "Lead",
    "Marketing Qualified Lead",
    "Sales Qualified Lead",
    "Opportunity",
    "Customer",
    "Evangelist",
    "Other",
)
LEAD_STATUSES: tuple[str, ...] = _split(
    "New, Open, In Progress, Open Deal, Unqualified, Attempted to Contact, Connected, Bad Timing"
)
MARKETING_STATUSES: tuple[str, ...] = ("Marketing contact", "Non-marketing contact")
SOURCES: tuple[str, ...] = _split("""
    Organic Search, Direct Traffic, Paid Social, Paid Search, Referrals, Social Media, Email Marketing,
    Offline Sources, Other Campaigns""")

OPEN_DEAL_STAGES: tuple[str, ...] = _split(
    "Appointment Scheduled, Qualified To Buy, Presentation Scheduled, Decision Maker Bought-In, Contract Sent"
)
CLOSED_DEAL_STAGES: tuple[str, ...] = ("Closed Won", "Closed Lost")
PIPELINE = "Sales Pipeline"
DEAL_PRODUCTS: tuple[str, ...] = _split("""
    New Business, Renewal, Expansion, Pilot, Platform License, Services Retainer, Upsell,
    Annual Subscription, Implementation, Support Plan, Enterprise Rollout, 50 Seats""")

FREE_MAIL: tuple[str, ...] = ("gmail.com", "yahoo.com", "outlook.com")
EMAIL_TAGS: tuple[str, ...] = ("crm", "work", "news", "sales", "1")

# Company names: "<First><second> <Descriptor> <legal form>" or "<Amp> & <Amp> <legal form>".
# The first-part and second-part lists share no word, so compounds never repeat a syllable.
COMPANY_FIRST: tuple[str, ...] = words("company_first")
COMPANY_SECOND: tuple[str, ...] = words("company_second")
# HubSpot industry: the descriptors that suggest it ("Northwind Analytics" is in IT and Services).
COMPANY_DESCRIPTORS: tuple[tuple[str, str], ...] = tuple(
    (word, industry)
    for industry, _, descriptors in (
        line.partition(": ")
        for line in """
Information Technology and Services: Analytics Systems Solutions Data
Logistics and Supply Chain: Logistics Supply Freight
Computer Software: Labs Software Technologies Security
Management Consulting: Consulting Partners Advisors
Hospital & Health Care: Health Pharma Medical
Food & Beverages: Foods Brewing
Financial Services: Capital Holdings Ventures Finance Payments
Mechanical or Industrial Engineering: Robotics Dynamics Industries Engineering
Marketing and Advertising: Media Studios Design Digital
Renewables & Environment: Energy Solar
Telecommunications: Networks Telecom
Insurance: Insurance
Real Estate: Realty Homes
Construction: Construction Builders
Automotive: Motors Mobility
Retail: Outfitters Market
""".strip().splitlines()
    )
    for word in descriptors.split()
)
COMPANY_AMP: tuple[str, ...] = words("company_amp")

PLACEHOLDERS: tuple[str, ...] = ("TBD", "n/a", "N/A", "-", "unknown", "Unknown", "xxx", "none")
PLACEHOLDER_EMAILS: tuple[str, ...] = ("test@test.com", "noemail@example.com")
PLACEHOLDER_PHONES: tuple[str, ...] = ("000-000-0000", "1234567890")

# --- Places: phone numbering and postal codes ---------------------------------------------------------

NANP: frozenset[str] = frozenset({"US", "CA"})
# Regions whose international call prefix is plain "00", so "0044 20 ..." is how people write it there.
_IDD_00: frozenset[str] = frozenset({"GB", "DE", "FR", "ES", "NL", "IN"})
_SUFFIX4: tuple[str, ...] = tuple(f"{i:04d}" for i in range(10_000))
_FIXED_TYPES = frozenset(
    {phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)
_MOBILE_TYPES = frozenset(
    {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)


class Permutation:
    """A seeded bijection of ``range(size)`` (an affine map): distinct values in a random-looking order."""

    def __init__(self, rng: random.Random, size: int) -> None:
        step = rng.randrange(1, size) if size > 1 else 1
        while math.gcd(step, size) != 1:
            step += 1
        self.size, self.step, self.offset, self.used = size, step, rng.randrange(size), 0

    def at(self, index: int) -> int:
        return (self.step * index + self.offset) % self.size

    def next(self) -> int:
        self.used += 1
        return self.at(self.used - 1)


class Pool:
    """Unique phone numbers: validated stems plus four digits, drawn in a seeded order."""

    def __init__(self, rng: random.Random, region: str, templates: tuple[str, ...]) -> None:
        self.prefix = f"+{phonenumbers.country_code_for_region(region)}"
        self.templates = templates
        self.order = Permutation(rng, len(templates) * 10_000)

    def next(self) -> str:
        order = self.order
        x = (order.step * order.used + order.offset) % order.size
        order.used += 1
        return self.prefix + self.templates[x // 10_000] + _SUFFIX4[x % 10_000]


@dataclass(frozen=True, slots=True)
class Spot:
    """A city made ready for one run: its country, phone pools and postal codes."""

    city: City
    country: Country
    fixed: Pool
    mobile: Pool
    postal: tuple[str, ...]


def _valid(region: str, national: str, types: frozenset[int]) -> bool:
    number = phonenumbers.PhoneNumber(
        country_code=phonenumbers.country_code_for_region(region), national_number=int(national)
    )
    return bool(phonenumbers.is_valid_number_for_region(number, region)) and (
        phonenumbers.number_type(number) in types
    )


def _plausible(region: str, template: str) -> bool:
    # NANP exchanges: no 555 (reserved for fiction) and no N11 service codes.
    exchange = template[3:6]
    return region not in NANP or (exchange != "555" and exchange[1:] != "11")


@cache
def phone_templates(region: str, prefixes: tuple[str, ...], length: int, mobile: bool) -> tuple[str, ...]:
    """National-number stems (all but the last four digits) whose every completion tested valid.

    Each stem is checked with three endings (0000, 9999 and a random one) with ``phonenumbers``;
    validity there depends on the leading digits and the length, so the whole range is valid.
    """
    rng = random.Random(zlib.crc32(f"{region}|{'/'.join(prefixes)}|{length}|{mobile}".encode()))
    types = _MOBILE_TYPES if mobile else _FIXED_TYPES
    found: list[str] = []
    for prefix in prefixes:
        kept = 0
        for _ in range(120):
            stem = prefix + "".join(str(rng.randrange(10)) for _ in range(length - 4 - len(prefix)))
            endings = ("0000", "9999", _SUFFIX4[rng.randrange(10_000)])
            if stem in found or not _plausible(region, stem):
                continue
            if all(_valid(region, stem + end, types) for end in endings):
                found.append(stem)
                kept += 1
                if kept == 12:
                    break
    if not found:
        raise RuntimeError(f"no valid phone numbers for {region} {prefixes}")
    return tuple(found)


@cache
def postal_codes(city: City) -> tuple[str, ...]:
    """Forty postal codes of ``city``, from its patterns."""
    rng = random.Random(zlib.crc32(f"{city.country}|{city.name}".encode()))
    letters = POSTAL_LETTERS.get(city.country, "ABCDEFGHJKLMNPRSTUVWXYZ")
    alphabet = {"#": "0123456789", "%": "123456789", "@": letters}
    codes: list[str] = []
    for i in range(40):
        pattern = city.postal[i % len(city.postal)]
        codes.append("".join(rng.choice(alphabet[ch]) if ch in alphabet else ch for ch in pattern))
    return tuple(codes)


def loose_phone(e164: str, region: str, variant: int) -> str:
    """``e164`` written as people type it in ``region``; it parses back with ``region`` as default."""
    if region in NANP:
        area, exchange, line = e164[2:5], e164[5:8], e164[8:]
        forms = [f"({area}) {exchange}-{line}", f"{area}.{exchange}.{line}", f"{area}-{exchange}-{line}"]
        forms += [f"+1 {area} {exchange} {line}", f"1-{area}-{exchange}-{line}"]
        return forms[variant % len(forms)]
    number = phonenumbers.parse(e164, None)
    national = str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL))
    international = str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL))
    forms = [national, international, national.replace(" ", "")]
    if region in _IDD_00:
        forms.append("00" + international[1:])
    return forms[variant % len(forms)]


@cache
def state_names() -> dict[tuple[str, str], str]:
    """(country, subdivision code) → English name, for the countries whose states people spell out."""
    import pycountry  # slow to load; only needed once problems are injected

    subdivisions: Any = pycountry.subdivisions
    return {
        (city.country, city.state): str(subdivisions.get(code=f"{city.country}-{city.state}").name)
        for city in CITIES
        if city.country in ("US", "CA", "AU")
    }


def _name_bag(own: tuple[str, ...], mix: tuple[str, ...], own_share: float) -> tuple[tuple[str, str], ...]:
    size = 1000
    mine = round(size * own_share)
    names = [own[i % len(own)] for i in range(mine)] + [mix[i % len(mix)] for i in range(size - mine)]
    return tuple((name, ascii_fold(name)) for name in names)


class CompanyNames:
    """Unique fictional company names, "<First><second> [<Descriptor>]" or "<A> & <B>", in a seeded order."""

    def __init__(self, rng: random.Random) -> None:
        self.forms = len(COMPANY_DESCRIPTORS) + 2  # bare compound, one per descriptor, "A & B"
        self.order = Permutation(rng, len(COMPANY_FIRST) * len(COMPANY_SECOND) * self.forms)

    def name(self, index: int) -> tuple[str, str, str | None]:
        """(name without legal form, domain label, industry the name suggests) of company ``index``."""
        first, second, amp = COMPANY_FIRST, COMPANY_SECOND, COMPANY_AMP
        cycle, x = divmod(index, self.order.size)
        x = self.order.at(x)
        a, b, form = x % len(first), x // len(first) % len(second), x // (len(first) * len(second))
        industry = None
        if form == self.forms - 1:
            left, right = amp[a % len(amp)], amp[(a + 1 + b) % len(amp)]  # never the same word twice
            core, label = f"{left} & {right}", f"{left}and{right}"
        elif form == 0:
            core = label = first[a] + second[b]
        else:
            descriptor, industry = COMPANY_DESCRIPTORS[form - 1]
            core = label = f"{first[a]}{second[b]} {descriptor}"
        suffix = f" {cycle + 1}" if cycle else ""  # past ~330,000 companies, names repeat with a number
        return core + suffix, ascii_fold(label + suffix), industry


class Places:
    """The per-run world: weighted countries, their cities with phone pools, and name bags."""

    def __init__(self, rng: random.Random) -> None:
        self.country_bag: tuple[str, ...] = tuple(c.code for c in COUNTRIES.values() for _ in range(c.weight))
        national: dict[str, Pool] = {
            c.code: Pool(rng, c.code, phone_templates(c.code, c.mobile, c.mobile_len, True))
            for c in COUNTRIES.values()
            if c.mobile
        }
        spots: dict[str, list[Spot]] = {code: [] for code in COUNTRIES}
        for city in CITIES:
            country = COUNTRIES[city.country]
            fixed = Pool(
                rng, city.country, phone_templates(city.country, city.fixed, country.fixed_len, False)
            )
            if city.mobile:
                templates = phone_templates(city.country, city.mobile, country.mobile_len, True)
                mobile = Pool(rng, city.country, templates)
            else:
                mobile = national.get(city.country, fixed)  # NANP: any number may be a mobile
            spots[city.country].append(Spot(city, country, fixed, mobile, postal_codes(city)))
        self.spots: dict[str, tuple[Spot, ...]] = {code: tuple(found) for code, found in spots.items()}
        english = ("US", "GB", "CA", "AU")
        self.first: dict[str, tuple[tuple[str, str], ...]] = {}
        self.last: dict[str, tuple[tuple[str, str], ...]] = {}
        for c in COUNTRIES.values():
            mix = ("intl",) if c.code in english else ("en", "intl")
            share = 0.72 if c.code in english else 0.75
            self.first[c.code] = _name_bag(FIRST_NAMES[c.culture], _join(FIRST_NAMES, mix), share)
            self.last[c.code] = _name_bag(LAST_NAMES[c.culture], _join(LAST_NAMES, mix), share)


def _join(pools: dict[str, tuple[str, ...]], keys: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(name for key in keys for name in pools[key])


# --- Picklist mixes, and how people mistype values ------------------------------------------------------

CONTACT_STAGES: tuple[str, ...] = weighted(
    "Subscriber 10, Lead 28, Marketing Qualified Lead 14, Sales Qualified Lead 10, Opportunity 10, "
    "Customer 20, Evangelist 3, Other 5"
)
COMPANY_STAGES: tuple[str, ...] = weighted(
    "Lead 20, Marketing Qualified Lead 5, Sales Qualified Lead 10, Opportunity 20, Customer 35, "
    "Evangelist 3, Other 7"
)
# Stages a stale record may have: customers and evangelists are expected to go quiet.
ACTIVE_STAGES: tuple[str, ...] = (
    "Lead",
    "Marketing Qualified Lead",
    "Sales Qualified Lead",
    "Opportunity",
    "Other",
)
_LEADS = ("Lead", "Marketing Qualified Lead", "Sales Qualified Lead")


def with_status(stages: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(stage, lead status) pairs that keep the stages' weights; only leads and opportunities have one."""
    leads = tuple(s for s in LEAD_STATUSES if s != "Open Deal")
    pairs: list[tuple[str, str]] = []
    for stage in stages:
        statuses = leads if stage in _LEADS else ("Open Deal" if stage == "Opportunity" else "",) * len(leads)
        pairs.extend((stage, status) for status in statuses)
    return tuple(pairs)


def is_simple_name(name: str) -> bool:
    """Single-word names whose case a normalizer can restore ("JOHN" → "John"; not "MCDONALD")."""
    return (
        len(name) > 3
        and name.isalpha()
        and name == name.lower().capitalize() == name.upper().capitalize()
        and not name.startswith(("Mc", "Mac"))
    )


_WEBSITE_FORMS = ("https://www.{}/", "http://{}", "www.{}", "https://www.{}/about", "https://{}/contact")


def messy_site(host: str, variant: int) -> str:
    """``host`` with a scheme, "www.", a path or capitals ("https://www.Northwind.com/about"); 12 variants."""
    variant %= 12
    if variant >= 10:
        return host.upper()
    return _WEBSITE_FORMS[variant % 5].format(host.capitalize() if variant >= 5 else host)


def messy_email(email: str, variant: int) -> str:
    """``email`` with an uppercase domain or surrounding spaces; 4 variants."""
    local, _, domain = email.partition("@")
    return (f"{local}@{domain.upper()}", f" {email}", f"{email} ", f" {email} ")[variant % 4]


def us_date(iso: str) -> str:
    """ "2027-01-17" → "01/17/2027"."""
    year, month, day = iso.split("-")
    return f"{month}/{day}/{year}"
