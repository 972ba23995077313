"""Placeholders: stand-ins people type when they have nothing, with per-kind exceptions."""

from __future__ import annotations

import pytest

from crm_hygiene.normalize.placeholder import is_placeholder, placeholder_key

# (description, input, args, expected is_placeholder, expected placeholder_key)
CASES: list[tuple[str, str, dict[str, str], bool, str]] = [
    # --- the generic list ---------------------------------------------------------------------------------
    ("TBD", "TBD", {}, True, "tbd"),
    ("tba", "tba", {}, True, "tba"),
    ("n/a", "n/a", {}, True, "n/a"),
    ("N/A in caps", "N/A", {}, True, "n/a"),
    ("#N/A from a spreadsheet", "#N/A", {}, True, "#n/a"),
    ("NA", "NA", {}, True, "na"),
    ("N.A. with dots", "N.A.", {}, True, "n a"),
    ("none", "None", {}, True, "none"),
    ("null", "NULL", {}, True, "null"),
    ("nan", "nan", {}, True, "nan"),
    ("unknown", "Unknown", {}, True, "unknown"),
    ("misspelled unknown", "unkown", {}, True, "unkown"),
    ("not provided", "Not  Provided", {}, True, "not provided"),
    ("not applicable", "not applicable", {}, True, "not applicable"),
    ("dash", "-", {}, True, "-"),
    ("double dash", "--", {}, True, "--"),
    ("en dash", "–", {}, True, "–"),
    ("em dash", "—", {}, True, "—"),
    ("a dot", ".", {}, True, ""),
    ("ellipsis", "...", {}, True, ""),
    ("question mark", "?", {}, True, "?"),
    ("xxx", "xxx", {}, True, "xxx"),
    ("x", "X", {}, True, "x"),
    ("test", "test", {}, True, "test"),
    ("asdf", "asdf", {}, True, "asdf"),
    ("(blank)", "(blank)", {}, True, "(blank)"),
    ("(none)", "(none)", {}, True, "(none)"),
    ("unspecified", "Unspecified", {}, True, "unspecified"),
    ("to be determined", "To Be Determined", {}, True, "to be determined"),
    ("surrounding spaces", "  tbd  ", {}, True, "tbd"),
    ("one letter repeated", "aaaa", {}, True, "aaaa"),
    ("one digit repeated", "9999", {}, True, "9999"),
    ("dashes repeated", "-----", {}, True, "-----"),
    ("zero", "0", {}, True, "0"),
    # --- not placeholders ---------------------------------------------------------------------------------
    ("a word", "Acme", {}, False, "acme"),
    ("a name", "John", {}, False, "john"),
    ("contains a placeholder word", "TBD Inc", {}, False, "tbd inc"),
    ("two letters repeated", "aa", {}, False, "aa"),
    ("not repeated", "aab", {}, False, "aab"),
    ("empty", "", {}, False, ""),
    ("white space", "   ", {}, False, ""),
    # --- kind exceptions ----------------------------------------------------------------------------------
    ("NA is Namibia", "NA", {"kind": "country"}, False, "na"),
    ("NO is Norway", "NO", {"kind": "country"}, False, "no"),
    ("XX is still a placeholder country", "XX", {"kind": "country"}, True, "xx"),
    ("n/a is still a placeholder country", "n/a", {"kind": "country"}, True, "n/a"),
    ("NA as a state", "NA", {"kind": "state"}, False, "na"),
    ("0 is a number", "0", {"kind": "number"}, False, "0"),
    ("000 is a number", "000", {"kind": "number"}, False, "000"),
    ("0.00 is a number", "0.00", {"kind": "number"}, False, "0 00"),
    ("9999 is a number", "9999", {"kind": "number"}, False, "9999"),
    ("NaN is not a number", "NaN", {"kind": "number"}, True, "nan"),
    ("00 is a postal code", "00", {"kind": "postal_code"}, False, "00"),
    ("X is a company", "X", {"kind": "company"}, False, "x"),
    ("ABC is a company", "ABC", {"kind": "company"}, False, "abc"),
    ("Self is a company answer", "self", {"kind": "company"}, False, "self"),
    ("TBD is still a placeholder company", "TBD", {"kind": "company"}, True, "tbd"),
    ("AAA is a company", "AAA", {"kind": "company"}, False, "aaa"),
    ("Abc is a name", "Abc", {"kind": "name"}, False, "abc"),
    ("x is still a placeholder name", "x", {"kind": "name"}, True, "x"),
    ("0 is a placeholder phone", "0", {"kind": "phone"}, True, "0"),
]  # fmt: skip


@pytest.mark.parametrize(("description", "raw", "args", "expected", "key"), CASES, ids=[c[0] for c in CASES])
def test_is_placeholder(description: str, raw: str, args: dict[str, str], expected: bool, key: str) -> None:
    assert is_placeholder(raw, **args) is expected
    assert placeholder_key(raw) == key
