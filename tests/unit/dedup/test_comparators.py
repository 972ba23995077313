"""Comparators, table-driven: {description, left, right, expected level}."""

from __future__ import annotations

from typing import Any

import pytest

from crm_hygiene.dedup.config import FieldKind
from tests.unit.dedup.helpers import level_of

NAME: tuple[FieldKind, ...] = ("first_name", "last_name")
PERSON_NAMES: list[dict[str, Any]] = [
    {"description": "identical", "left": ("John", "Smith"), "right": ("John", "Smith"), "expected": "exact"},
    {"description": "case and white space", "left": (" JOHN", "smith  "), "right": ("John", "Smith"),
     "expected": "exact"},
    {"description": "accents", "left": ("Zoë", "Müller"), "right": ("Zoe", "Muller"), "expected": "exact"},
    {"description": "letters without decomposition", "left": ("Søren", "Kierkegård"),
     "right": ("Soren", "Kierkegard"), "expected": "exact"},
    {"description": "nickname", "left": ("Bob", "Smith"), "right": ("Robert", "Smith"), "expected": "nickname"},
    {"description": "two nicknames of one name", "left": ("Bill", "Smith"), "right": ("Will", "Smith"),
     "expected": "nickname"},
    {"description": "names sharing only a nickname are not nicknames", "left": ("William", "Smith"),
     "right": ("Robert", "Smith"), "expected": "surname only"},
    {"description": "typo in the first name", "left": ("Jhon", "Smith"), "right": ("John", "Smith"),
     "expected": "typo"},
    {"description": "typo in the surname", "left": ("John", "Smiht"), "right": ("John", "Smith"),
     "expected": "typo"},
    {"description": "swapped", "left": ("Smith", "John"), "right": ("John", "Smith"), "expected": "swapped"},
    {"description": "swapped with a typo", "left": ("Smiht", "John"), "right": ("John", "Smith"),
     "expected": "swapped"},
    {"description": "swapped with an initial", "left": ("Smith", "J"), "right": ("John", "Smith"),
     "expected": "swapped"},
    {"description": "initial", "left": ("J.", "Smith"), "right": ("John", "Smith"), "expected": "initial"},
    {"description": "no first name on one side", "left": ("", "Smith"), "right": ("John", "Smith"),
     "expected": "initial"},
    {"description": "middle initial", "left": ("John A.", "Smith"), "right": ("John", "Smith"), "expected": "exact"},
    {"description": "full name typed into the first-name field", "left": ("John Smith", ""),
     "right": ("John", "Smith"), "expected": "exact"},
    {"description": "full name typed into the last-name field", "left": ("", "John Smith"),
     "right": ("John", "Smith"), "expected": "exact"},
    {"description": "particle surname split", "left": ("Shawn van Dyke", ""), "right": ("Shawn", "Van Dyke"),
     "expected": "exact"},
    {"description": "nickname and a typo", "left": ("Ted", "Rusell"), "right": ("Edward", "Russell"),
     "expected": "similar"},
    {"description": "colleague or sibling: another given name", "left": ("Jane", "Smith"),
     "right": ("John", "Smith"), "expected": "surname only"},
    {"description": "similar given names, one exact surname: two people", "left": ("Jonathan", "Jones"),
     "right": ("Johanna", "Jones"), "expected": "surname only"},
    {"description": "same first name, another surname", "left": ("John", "Smith"), "right": ("John", "Brown"),
     "expected": "first name only"},
    {"description": "two unrelated complete names", "left": ("Ann", "Lee"), "right": ("Bob", "Brown"),
     "expected": "different names"},
    {"description": "too little to say", "left": ("Ann", ""), "right": ("Bob", "Brown"), "expected": "else"},
    {"description": "missing", "left": ("", ""), "right": ("John", "Smith"), "expected": "null"},
    {"description": "salutation and suffix", "left": ("Dr. John", "Smith Jr."), "right": ("John", "Smith"),
     "expected": "exact"},
]  # fmt: skip

EMAILS: list[dict[str, Any]] = [
    {"description": "same address", "left": ("john.smith@acme.com",), "right": ("john.smith@acme.com",),
     "expected": "exact"},
    {"description": "case, spaces and a +tag", "left": (" John.Smith+crm@ACME.com",),
     "right": ("john.smith@acme.com",), "expected": "exact"},
    {"description": "dots in the local part", "left": ("johnsmith@acme.com",), "right": ("john.smith@acme.com",),
     "expected": "exact"},
    {"description": "a local part that is not a name, at another domain", "left": ("jsx71@gmail.com",),
     "right": ("jsx71@acme.com",), "expected": "same local part"},
    {"description": "a typo at the same domain", "left": ("john.smiht@acme.com",),
     "right": ("john.smith@acme.com",), "expected": "similar local part"},
    {"description": "a number a mail admin added for a namesake", "left": ("harper.brown2@acme.com",),
     "right": ("harper.brown@acme.com",), "expected": "other address same domain"},
    {"description": "two people at one company", "left": ("jane@acme.com",), "right": ("john@acme.com",),
     "expected": "other address same domain"},
    {"description": "two free-mail addresses", "left": ("jane@gmail.com",), "right": ("john@gmail.com",),
     "expected": "else"},
    {"description": "role address identifies no person", "left": ("info@acme.com",), "right": ("info@acme.com",),
     "expected": "null"},
    {"description": "placeholder", "left": ("test@test.com",), "right": ("test@test.com",), "expected": "null"},
    {"description": "missing", "left": ("",), "right": ("john@acme.com",), "expected": "null"},
]  # fmt: skip

PHONES: list[dict[str, Any]] = [
    {"description": "E.164 and national US format", "left": ("+14155552671", ""), "right": ("(415) 555-2671", ""),
     "expected": "exact"},
    {"description": "UK international and national", "left": ("+44 20 7123 4567", ""),
     "right": ("020 7123 4567", ""), "expected": "exact"},
    {"description": "an extension does not matter", "left": ("415.555.2671 ext 12", ""),
     "right": ("+1 415 555 2671", ""), "expected": "exact"},
    {"description": "phone of one is the mobile of the other", "left": ("", "+14155552671"),
     "right": ("+14155552671", ""), "expected": "exact"},
    {"description": "different numbers", "left": ("+14155552671", ""), "right": ("+14155559999", ""),
     "expected": "else"},
    {"description": "junk is no number", "left": ("000-000-0000", ""), "right": ("000-000-0000", ""),
     "expected": "null"},
    {"description": "missing", "left": ("", ""), "right": ("+14155552671", ""), "expected": "null"},
]  # fmt: skip

COMPANIES: list[dict[str, Any]] = [
    {"description": "legal suffix and punctuation", "left": ("Acme, Inc.", ""), "right": ("ACME Incorporated", ""),
     "expected": "exact"},
    {"description": "same website", "left": ("Acme", "https://www.acme.com/about"), "right": ("Acme Labs", "acme.com"),
     "expected": "exact"},
    {"description": "a typo", "left": ("Quantumway Finance", ""), "right": ("Quantumway Financ", ""),
     "expected": "similar"},
    {"description": "different", "left": ("Acme", ""), "right": ("Globex", ""), "expected": "else"},
    {"description": "placeholder", "left": ("TBD Inc.", ""), "right": ("TBD Inc.", ""), "expected": "null"},
]  # fmt: skip

PLACES: list[dict[str, Any]] = [
    {"description": "same postcode", "left": ("94107", "San Francisco", "CA"),
     "right": ("94107", "SF", "CA"), "expected": "postcode"},
    {"description": "same city, another postcode", "left": ("94107", "San Francisco", "CA"),
     "right": ("94110", "san francisco", "CA"), "expected": "city"},
    {"description": "postcode one typo away", "left": ("94107", "", "CA"), "right": ("94170", "", "CA"),
     "expected": "near"},
    {"description": "same state only", "left": ("94107", "San Francisco", "CA"),
     "right": ("90001", "Los Angeles", "CA"), "expected": "state"},
    {"description": "elsewhere", "left": ("94107", "San Francisco", "CA"), "right": ("10001", "New York", "NY"),
     "expected": "else"},
]  # fmt: skip

OTHERS: list[dict[str, Any]] = [
    {"description": "date transposed day and month", "comparator": "date", "kinds": ("date",),
     "left": ("19561204",), "right": ("19560412",), "expected": "1 edit"},
    {"description": "date typo", "comparator": "date", "kinds": ("date",), "left": ("1956-04-12",),
     "right": ("19560413",), "expected": "1 edit"},
    {"description": "same date written two ways", "comparator": "date", "kinds": ("date",),
     "left": ("1956-04-12",), "right": ("19560412",), "expected": "exact"},
    {"description": "id with a typo", "comparator": "identifier", "kinds": ("identifier",),
     "left": ("7068825",), "right": ("7068852",), "expected": "1 edit"},
    {"description": "amount within 1%", "comparator": "number", "kinds": ("amount",), "left": ("$10,000",),
     "right": ("10050",), "expected": "within 1%"},
    {"description": "amount within 10%", "comparator": "number", "kinds": ("amount",), "left": ("10000",),
     "right": ("10900",), "expected": "within 10%"},
    {"description": "swapped address lines", "comparator": "address", "kinds": ("street_number", "address", "address"),
     "left": ("12", "Main Street", "Suite 4"), "right": ("12", "Suite 4", "Main St"), "expected": "exact"},
    {"description": "one address line the same", "comparator": "address", "kinds": ("address", "address"),
     "left": ("4 Barnett Close", "West Gippsland Hospital"), "right": ("4 Marawa Place", "West Gippsland Hospital"),
     "expected": "one line"},
    {"description": "registered domain", "comparator": "domain", "kinds": ("domain",),
     "left": ("https://www.acme.co.uk/x",), "right": ("acme.co.uk",), "expected": "exact"},
    {"description": "deal names", "comparator": "string", "kinds": ("text",), "left": ("Acme - Renewal 2026",),
     "right": ("Acme – Renewal 2026",), "expected": "exact"},
]  # fmt: skip


def _id(case: dict[str, Any]) -> str:
    return str(case["description"])


@pytest.mark.parametrize("case", PERSON_NAMES, ids=_id)
def test_person_names(case: dict[str, Any]) -> None:
    assert level_of("person_name", NAME, case["left"], case["right"]) == case["expected"]


@pytest.mark.parametrize("case", EMAILS, ids=_id)
def test_emails(case: dict[str, Any]) -> None:
    assert level_of("email", ("email",), case["left"], case["right"]) == case["expected"]


@pytest.mark.parametrize("case", PHONES, ids=_id)
def test_phones(case: dict[str, Any]) -> None:
    assert level_of("phone", ("phone", "phone"), case["left"], case["right"]) == case["expected"]


@pytest.mark.parametrize("case", COMPANIES, ids=_id)
def test_companies(case: dict[str, Any]) -> None:
    assert level_of("company", ("company", "domain"), case["left"], case["right"]) == case["expected"]


@pytest.mark.parametrize("case", PLACES, ids=_id)
def test_locations(case: dict[str, Any]) -> None:
    assert (
        level_of("location", ("postcode", "city", "state"), case["left"], case["right"]) == case["expected"]
    )


@pytest.mark.parametrize("case", OTHERS, ids=_id)
def test_other_comparators(case: dict[str, Any]) -> None:
    assert level_of(case["comparator"], case["kinds"], case["left"], case["right"]) == case["expected"]
