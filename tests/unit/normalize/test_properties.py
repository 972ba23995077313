"""Properties every normalizer keeps, on any text and on realistic variants of real values.

The contract (normalize/base.py): total (never raises), ``valid`` only when the value is the input,
``fixed`` only with a different value, no value for invalid / placeholder / empty, a confidence in
[0, 1], and idempotence: normalizing an output again gives ``valid`` with the same value.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import phonenumbers
import pycountry
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_hygiene.normalize.base import Normalized
from crm_hygiene.normalize.company import company_key, normalize_company_name
from crm_hygiene.normalize.country import country_of_state, fold, normalize_country, normalize_state
from crm_hygiene.normalize.date import normalize_date, parse_instant
from crm_hygiene.normalize.domain import normalize_domain
from crm_hygiene.normalize.email import normalize_email
from crm_hygiene.normalize.name import normalize_person_name, proper_case, split_full_name
from crm_hygiene.normalize.number import normalize_number
from crm_hygiene.normalize.phone import calling_code, normalize_phone
from crm_hygiene.normalize.picklist import PicklistIndex, normalize_picklist
from crm_hygiene.normalize.placeholder import is_placeholder, placeholder_key

PROPERTY = settings(
    max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)

Args = tuple[Any, ...]
Case = tuple[str, Args]

# --- realistic inputs ------------------------------------------------------------------------------

_ANY_TEXT = st.text(max_size=40)
_PUNCT = st.sampled_from(list(" \t\u00a0\u200b.,;:-–—_/\\()[]<>'\"’@#+*&%$€£¥!?~|"))
_MIXED = st.lists(st.one_of(st.characters(), _PUNCT, st.sampled_from(string.ascii_letters + string.digits)))
_MIXED_TEXT = _MIXED.map("".join)
_PADDING = st.sampled_from(["", " ", "  ", "\t", "\u00a0", " \n"])


@st.composite
def _padded(draw: st.DrawFn, core: st.SearchStrategy[str]) -> str:
    return f"{draw(_PADDING)}{draw(core)}{draw(_PADDING)}"


_CASINGS: list[Callable[[str], str]] = [lambda text: text, str.upper, str.lower, str.title, str.swapcase]


@st.composite
def _recased(draw: st.DrawFn, core: st.SearchStrategy[str]) -> str:
    return draw(st.sampled_from(_CASINGS))(draw(core))


def _text_or(realistic: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(_ANY_TEXT, _MIXED_TEXT, _padded(_recased(realistic)))


_REGIONS = ["US", "CA", "GB", "DE", "FR", "IN", "AU", "BR", "JP", "MX", "ES", "IT", "NL", "SG", "CN"]
_PHONE_EXAMPLES = [
    (region, number)
    for region in _REGIONS
    for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE)
    if (number := phonenumbers.example_number_for_type(region, kind)) is not None
]


@st.composite
def _phone(draw: st.DrawFn) -> Case:
    region, number = draw(st.sampled_from(_PHONE_EXAMPLES))
    style = draw(st.sampled_from(["E164", "INTERNATIONAL", "NATIONAL", "00", "011"]))
    if style in ("00", "011"):
        text = (
            style + " " + phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)[1:]
        )
    else:
        text = phonenumbers.format_number(number, getattr(phonenumbers.PhoneNumberFormat, style))
    text = text.replace(" ", draw(st.sampled_from([" ", "-", ".", "", "  "])))
    text += draw(st.sampled_from(["", " x12", " ext. 3", ";ext=45", " #7", " extension 1234"]))
    if draw(st.booleans()):
        text = draw(st.sampled_from(["Tel: ", "tel:", "Mobile ", "(", ""])) + text
    digits = st.from_regex(r"\+?[0-9 ()\-.]{1,22}", fullmatch=True)
    raw = draw(st.one_of(st.just(text), digits, _ANY_TEXT, _MIXED_TEXT))
    record = draw(st.sampled_from([None, region, *_REGIONS, "ZZ", "us"]))
    guessed = draw(st.sampled_from([None, region, "US", "GB"]))
    return raw, (record, guessed)


_LOCAL = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_%+\-]{0,12}(\.[A-Za-z0-9_%+\-]{1,8})?", fullmatch=True)
_HOST = st.from_regex(r"[a-z0-9]([a-z0-9\-]{0,10}[a-z0-9])?", fullmatch=True)
_TLD = st.sampled_from(["com", "org", "io", "co.uk", "de", "com.au", "example", "test", "local", "c", "xyz"])
_IDN = st.sampled_from(["münchen.de", "xn--mnchen-3ya.de", "bücher.ch", "ACME.XN--P1AI", "пример.рф"])


@st.composite
def _domain_name(draw: st.DrawFn) -> str:
    return draw(st.one_of(st.builds(lambda h, t: f"{h}.{t}", _HOST, _TLD), _IDN))


@st.composite
def _email(draw: st.DrawFn) -> Case:
    address = f"{draw(_LOCAL)}@{draw(_domain_name())}"
    mutate = draw(
        st.sampled_from(
            [
                lambda a: a,
                lambda a: a.upper(),
                lambda a: f"mailto:{a}",
                lambda a: f"<{a}>",
                lambda a: f"Jane Doe <{a}>",
                lambda a: a.replace("@", " @ "),
                lambda a: a[::-1].replace(".", ",", 1)[::-1],
                lambda a: a.replace(".", "..", 1),
                lambda a: a + ".",
                lambda a: a + "\u200b",
                lambda a: a.replace("@", ""),
                lambda a: f'"{a.split("@")[0]}"@{a.split("@")[1]}',
            ]
        )
    )
    return draw(_text_or(st.just(mutate(address)))), ()


_GIVEN = [
    "john",
    "mary-jane",
    "zoë",
    "élodie",
    "deshawn",
    "jean-luc",
    "mackenzie",
    "ǆemal",
    "straße",
    "ng",
    "j.",
]
_FAMILY = [
    "mcdonald",
    "macdonald",
    "o'brien",
    "d’angelo",
    "van der berg",
    "de la cruz",
    "smith-jones",
    "machado",
]
_AFFIXES = ["", "Dr. ", "Mr ", "Prof. "], ["", " Jr.", ", Jr.", " III", " PhD"]


@st.composite
def _person(draw: st.DrawFn) -> Case:
    parts = draw(
        st.lists(
            st.sampled_from(_GIVEN + _FAMILY + ["山田", "太郎", "Иван", "Ελένη"]), min_size=1, max_size=3
        )
    )
    text = " ".join(parts)
    if draw(st.booleans()):
        text = draw(st.sampled_from(_AFFIXES[0])) + text + draw(st.sampled_from(_AFFIXES[1]))
    if draw(st.booleans()) and len(parts) > 1:
        text = f"{parts[-1]}, {' '.join(parts[:-1])}"
    letters = st.text(alphabet=string.ascii_letters + "ÀÉÎÕÜàéîõüßÇçÑñ'’- .,", max_size=20)
    raw = draw(st.one_of(_text_or(st.just(text)), letters))
    return raw, (draw(st.sampled_from(["first", "last", "full"])),)


_SUFFIXES = ["", " Inc.", ", Inc", " LLC", " L.L.C.", " GmbH", " Ltd", " Limited", " S.A.", " Pty Ltd", " B.V.",
             " GmbH & Co. KG", " & Co", " and Co.", " Corp", " Co", " Sp. z o.o.", " Inc. Inc.", ","]  # fmt: skip
_COMPANY_BASES = [
    "Acme",
    "ACME",
    "IBM",
    "eBay",
    "3M",
    "The Acme Company",
    "Procter & Gamble",
    "Test",
    "X",
    "N/A",
]


@st.composite
def _company(draw: st.DrawFn) -> Case:
    name = draw(st.sampled_from(_COMPANY_BASES)) + draw(st.sampled_from(_SUFFIXES))
    name = name.replace(" ", draw(st.sampled_from([" ", "  ", " \t"])))
    policy = draw(st.sampled_from(["keep", "normalize", "strip"]))
    return draw(_text_or(st.just(name))), (policy,)


@st.composite
def _website(draw: st.DrawFn) -> Case:
    host = draw(st.one_of(_domain_name(), st.sampled_from(["linkedin.com", "x.com", "blog.acme.com"])))
    prefix = draw(st.sampled_from(["", "www.", "www2.", "WWW."]))
    scheme = draw(
        st.sampled_from(["", "http://", "https://", "//", "HTTPS://", "ftp://", "john@", "mailto:jo@"])
    )
    rest = draw(st.sampled_from(["", "/", "/about", ":8080", ":443/x?y=1", "#top", "?utm=1", "\\", ",", " "]))
    url = f"{scheme}{prefix}{host}{rest}"
    return draw(_text_or(st.one_of(st.just(url), st.just(f'"{url}"'), st.just(f"<{url}>")))), ()


_COUNTRY_WORDS = sorted(
    {c.alpha_2 for c in pycountry.countries}
    | {c.alpha_3 for c in pycountry.countries}
    | {c.name for c in pycountry.countries}
    | {"U.S.A.", "UK", "England", "Deutschland", "España", "Brasil", "Holland", "Untied States", "Germny"}
)


@st.composite
def _country(draw: st.DrawFn) -> Case:
    word = draw(st.sampled_from(_COUNTRY_WORDS))
    if draw(st.booleans()) and len(word) > 3:  # a typo: one letter dropped
        i = draw(st.integers(0, len(word) - 1))
        word = word[:i] + word[i + 1 :]
    return draw(_text_or(st.just(word))), ()


_STATE_COUNTRIES = ["US", "CA", "AU", "IN", "BR", "DE", "GB", "FR", "MX", "JP", "ES", "ZZ"]
_SUBDIVISIONS: Any = pycountry.subdivisions  # untyped
_STATE_WORDS = sorted(
    {
        s.code.split("-", 1)[1]
        for c in _STATE_COUNTRIES
        if c != "ZZ"
        for s in _SUBDIVISIONS.get(country_code=c)
    }
    | {s.name for c in ("US", "CA", "AU", "DE", "MX") for s in _SUBDIVISIONS.get(country_code=c)}
    | {"Calif.", "N.Y.", "Wash.", "W. Va.", "Québec", "PQ", "Ont.", "NRW", "CDMX", "London", "Tokyo"}
)


@st.composite
def _state(draw: st.DrawFn) -> Case:
    raw = draw(_text_or(st.sampled_from(_STATE_WORDS)))
    return raw, (draw(st.sampled_from([None, *_STATE_COUNTRIES, "us"])),)


_DATE_FORMATS = [
    "%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.000+0000",
    "%Y-%m-%dT%H:%M:%S+02:00", "%Y-%m-%dT00:00:00", "%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y", "%m/%d/%y", "%m-%d-%Y",
    "%b %d, %Y", "%B %d %Y", "%d %b %Y", "%d-%b-%Y", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M UTC", "%a, %d %b %Y %H:%M:%S GMT", "%b %d, %Y at %I:%M %p",
]  # fmt: skip


@st.composite
def _date(draw: st.DrawFn) -> Case:
    moment = draw(st.datetimes(min_value=datetime(1890, 1, 1), max_value=datetime(2110, 12, 31)))
    text = moment.strftime(draw(st.sampled_from(_DATE_FORMATS)))
    seconds = int(moment.replace(tzinfo=UTC).timestamp())
    epoch = draw(st.sampled_from([str(seconds), str(seconds * 1000)]))
    raw = draw(
        st.one_of(
            _text_or(st.just(text)), st.just(epoch), st.from_regex(r"[0-9/.\- :]{4,20}", fullmatch=True)
        )
    )
    order = draw(st.sampled_from(["MDY", "DMY"]))
    return raw, (order, draw(st.booleans()), draw(st.booleans()))


@st.composite
def _number(draw: st.DrawFn) -> Case:
    value = draw(st.decimals(min_value=-(10**12), max_value=10**12, places=draw(st.integers(0, 3))))
    text = f"{value:,}" if draw(st.booleans()) else str(value)
    if draw(st.booleans()):  # European separators
        text = text.replace(",", "_").replace(".", ",").replace("_", ".")
    text = draw(st.sampled_from(["", "$", "€ ", "USD ", "("])) + text
    text += draw(st.sampled_from(["", " €", " EUR", "k", "M", "bn", ")", "%", "+"]))
    scientific = st.from_regex(r"-?[0-9]{1,3}(\.[0-9]{1,3})?[eE][+-]?[0-9]{1,10}", fullmatch=True)
    raw = draw(
        st.one_of(_text_or(st.just(text)), scientific, st.sampled_from(["inf", "NaN", "-0", "0.00", "007"]))
    )
    return raw, (draw(st.booleans()),)


_PICKLIST = PicklistIndex.build(
    [("Closed Won", ["won", "CW"]), ("Closed Lost", ["lost"]), ("N/A", []), ("In-Progress", []), ("1-10", [])]
)


@st.composite
def _picklist(draw: st.DrawFn) -> Case:
    option = draw(
        st.sampled_from(["Closed Won", "closed-won", "CW", "lost", "n/a", "In Progress", "1 - 10", "TBD"])
    )
    if draw(st.booleans()) and len(option) > 3:
        option = option[:-1]
    return draw(_text_or(st.just(option))), (_PICKLIST,)


Normalizer = Callable[..., Normalized]

NORMALIZERS: list[tuple[str, Normalizer, st.SearchStrategy[Case]]] = [
    ("phone", normalize_phone, _phone()),
    ("email", normalize_email, _email()),
    ("person_name", normalize_person_name, _person()),
    ("company_name", normalize_company_name, _company()),
    ("domain", normalize_domain, _website()),
    ("country", normalize_country, _country()),
    ("state", normalize_state, _state()),
    ("date", normalize_date, _date()),
    ("number", normalize_number, _number()),
    ("picklist", normalize_picklist, _picklist()),
]


# --- the contract ----------------------------------------------------------------------------------


def _check_contract(normalize: Normalizer, raw: str, args: Args) -> None:
    n = normalize(raw, *args)
    assert 0.0 <= n.confidence <= 1.0
    assert n.value is None or isinstance(n.value, str)
    if n.status == "valid":
        assert n.value == raw and n.confidence == 1.0
    elif n.status == "fixed":
        assert n.value is not None and n.value != raw
    else:
        assert n.value is None
    assert (n.status == "empty") == (raw.strip() == "")
    if n.value is not None:
        again = normalize(n.value, *args)
        assert (again.status, again.value) == ("valid", n.value), f"{raw!r} -> {n.value!r} -> {again}"


@pytest.mark.parametrize(("kind", "normalize", "cases"), NORMALIZERS, ids=[n[0] for n in NORMALIZERS])
@PROPERTY
@given(data=st.data())
def test_every_normalizer_keeps_the_contract(
    kind: str, normalize: Normalizer, cases: st.SearchStrategy[Case], data: st.DataObject
) -> None:
    raw, args = data.draw(cases, label=kind)
    _check_contract(normalize, raw, args)


# --- helpers used by other modules: total, and stable where they promise to be --------------------


@PROPERTY
@given(text=st.one_of(_ANY_TEXT, _MIXED_TEXT))
def test_fold_is_ascii_lowercase_and_idempotent(text: str) -> None:
    folded = fold(text)
    assert folded == folded.strip() and set(folded) <= set(string.ascii_lowercase + string.digits + " ")
    assert fold(folded) == folded


@PROPERTY
@given(text=st.one_of(_ANY_TEXT, _MIXED_TEXT, _person().map(lambda case: case[0])))
def test_name_helpers_never_raise(text: str) -> None:
    cased, _ = proper_case(text)
    parts = split_full_name(text)
    assert isinstance(cased, str) and all(isinstance(p, str) for p in _fields_of(parts))


def _fields_of(parts: object) -> list[object]:
    return [getattr(parts, name) for name in ("salutation", "first", "middle", "last", "suffix")]


@PROPERTY
@given(text=st.one_of(_ANY_TEXT, _MIXED_TEXT, _company().map(lambda case: case[0])))
def test_company_key_is_lowercase_words(text: str) -> None:
    key = company_key(text)
    assert key == key.strip() and key == key.lower() and "  " not in key


@PROPERTY
@given(text=st.one_of(_ANY_TEXT, _MIXED_TEXT, _date().map(lambda case: case[0])))
def test_parse_instant_is_none_or_aware(text: str) -> None:
    moment = parse_instant(text)
    assert moment is None or moment.utcoffset() is not None


@PROPERTY
@given(
    moment=st.datetimes(
        min_value=datetime(1970, 1, 2), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    )
)
def test_parse_instant_reads_back_what_normalize_date_writes(moment: datetime) -> None:
    whole_seconds = moment.replace(microsecond=0)
    assert parse_instant(whole_seconds.strftime("%m/%d/%Y %I:%M:%S %p UTC")) == whole_seconds
    assert parse_instant(whole_seconds.strftime("%Y-%m-%d %H:%M:%S")) == whole_seconds
    assert parse_instant(moment.isoformat()) == moment


@PROPERTY
@given(
    text=st.one_of(_ANY_TEXT, _MIXED_TEXT),
    kind=st.sampled_from(["text", "country", "state", "number", "company"]),
)
def test_placeholder_helpers_never_raise(text: str, kind: str) -> None:
    key = placeholder_key(text)
    assert isinstance(is_placeholder(text, kind), bool)
    assert placeholder_key(key) == key


@PROPERTY
@given(text=st.one_of(_ANY_TEXT, st.sampled_from([*_STATE_WORDS, *_REGIONS])))
def test_region_helpers_never_raise(text: str) -> None:
    assert country_of_state(text) in (None, "US", "CA", "AU")
    assert calling_code(text) >= 0
