"""Matching keys of single values, and field-kind inference from headers and values."""

from __future__ import annotations

import pytest

from crm_hygiene.dedup.blocking import given_surname_key, surname_initial_key, surname_with_key, tokens_key
from crm_hygiene.dedup.keys import (
    email_parts,
    nickname_compatible,
    phone_key,
    postcode_key,
    split_full,
    split_given,
    surname_key,
)
from crm_hygiene.dedup.kinds import infer_kinds, kind_of_values


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("John.Smith+crm@Acme.COM ", ("johnsmith@acme.com", "johnsmith", "acme.com")),
        ("mailto:jane@acme.com", ("jane@acme.com", "jane", "acme.com")),
        ("Jane Doe <jane@acme.com>", ("jane@acme.com", "jane", "acme.com")),
        ("john@acme,com", ("john@acme.com", "john", "acme.com")),
        ("sales@acme.com", ("", "", "")),
        ("test@test.com", ("", "", "")),
        ("not an email", ("", "", "")),
        ("", ("", "", "")),
    ],
)
def test_email_parts(raw: str, expected: tuple[str, str, str]) -> None:
    assert email_parts(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+1 (415) 555-2671", "155552671"),
        ("415.555.2671 x12", "155552671"),
        ("+44 20 7123 4567", "071234567"),
        ("020 7123 4567", "071234567"),
        ("000-000-0000", ""),
        ("1234567890", ""),
        ("12345", ""),
        ("", ""),
    ],
)
def test_phone_key(raw: str, expected: str) -> None:
    assert phone_key(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Smith, John A.", ("john", "a", "smith")),
        ("Dr John A. Smith Jr.", ("john", "a", "smith")),
        ("Shawn van Dyke", ("shawn", "", "vandyke")),
        ("Rav Torhamberg G.", ("rav", "", "torhamberg")),
        ("Madonna", ("", "", "madonna")),
    ],
)
def test_split_full(raw: str, expected: tuple[str, str, str]) -> None:
    assert split_full(raw) == expected


def test_given_names_and_surnames() -> None:
    assert split_given("Mary A.") == ("mary", "a", "")
    assert surname_key("Van Dyke Jr. A") == "vandyke"
    assert postcode_key("sw1a 1aa") == "SW1A1AA"


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("bob", "robert", True),
        ("robert", "bob", True),
        ("bill", "will", True),
        ("liz", "elizabeth", True),
        ("william", "robert", False),
        ("john", "jane", False),
        ("j", "john", False),
    ],
)
def test_nickname_compatible(a: str, b: str, expected: bool) -> None:
    assert nickname_compatible(a, b) is expected


def test_blocking_key_functions_are_sets_of_strings() -> None:
    assert tokens_key("155552671\x1f\x1f071234567") == frozenset({"155552671", "071234567"})
    assert surname_initial_key("john\x1fsmith") == frozenset({"S530:j", "J500:s"})
    assert "robert:smith" in given_surname_key("bob\x1fsmith")
    assert "bob:smith" in given_surname_key("smith\x1fbob")  # swapped first and last name
    assert surname_with_key("smith\x1fjohn\x1f94107") == frozenset({"S530:94107", "J500:94107"})
    assert surname_with_key("smith\x1fjohn\x1f") == frozenset()


HUBSPOT = ["Record ID", "First Name", "Last Name", "Email", "Phone Number", "Mobile Phone Number", "Company Name",
           "Job Title", "City", "State/Region", "Postal Code", "Website URL", "Contact owner", "Create Date"]  # fmt: skip
FEBRL = ["rec_id", "given_name", "surname", "street_number", "address_1", "address_2", "suburb", "postcode",
         "state", "date_of_birth", "soc_sec_id"]  # fmt: skip


def test_kinds_of_a_hubspot_export() -> None:
    kinds = infer_kinds(HUBSPOT, [])
    assert kinds["Record ID"] == "record_id"
    assert kinds["Mobile Phone Number"] == kinds["Phone Number"] == "phone"
    assert kinds["Website URL"] == "domain"
    assert kinds["Job Title"] == kinds["Contact owner"] == kinds["Create Date"] == "ignore"


def test_kinds_of_febrl_columns() -> None:
    kinds = infer_kinds(FEBRL, [])
    assert [kinds[c] for c in FEBRL] == [
        "record_id", "first_name", "last_name", "street_number", "address", "address", "city", "postcode",
        "state", "date", "identifier",
    ]  # fmt: skip


def test_kinds_of_a_company_export_and_overrides() -> None:
    kinds = infer_kinds(["Company ID", "Name", "Domain", "Phone"], [], "company", {"Phone": "ignore"})
    assert kinds == {"Company ID": "record_id", "Name": "company", "Domain": "domain", "Phone": "ignore"}


def test_unknown_headers_are_sniffed_from_their_values() -> None:
    assert kind_of_values(["a@b.co", "c@d.org", "e@f.com", ""]) == "email"
    assert kind_of_values(["+1 415 555 2671", "(212) 555-0199", "020 7123 4567"]) == "phone"
    assert kind_of_values(["2024-01-05", "1999-12-31", "2001-02-03"]) == "date"
    assert kind_of_values(["red", "green", "blue"]) == "ignore"
    kinds = infer_kinds(
        ["contact", "x1"], [["Jane Doe", "jane@acme.com"], ["Bob", "bob@x.io"], ["Al", "al@y.io"]]
    )
    assert kinds == {"contact": "full_name", "x1": "email"}


def test_only_the_first_id_column_is_the_record_id() -> None:
    kinds = infer_kinds(["id", "customer id", "name"], [])
    assert kinds["id"] == "record_id" and kinds["customer id"] == "identifier"
