"""Picklists: case, spacing, punctuation, aliases and misspellings mapped onto the allowed values."""

from __future__ import annotations

import pytest

from crm_hygiene.normalize.picklist import PicklistIndex, normalize_picklist

STAGES = PicklistIndex.build(
    [
        ("Closed Won", ["won", "CW"]),
        ("Closed Lost", ["lost"]),
        ("Qualified", ["SQL"]),
        ("Prospect", []),
        ("In-Progress", []),
        ("N/A", []),
        ("B2B", []),
        ("A", []),
        ("1-10", []),
        ("11-50", []),
    ]
)
INDUSTRIES = PicklistIndex.build([("Software", ["SaaS"]), ("Manufacturing", [])])

# (description, input, args, expected status, expected value)
CASES: list[tuple[str, str, dict[str, PicklistIndex], str, str | None]] = [
    # --- exact ----------------------------------------------------------------------------------------
    ("exact option", "Closed Won", {"index": STAGES}, "valid", "Closed Won"),
    ("exact option with a hyphen", "In-Progress", {"index": STAGES}, "valid", "In-Progress"),
    ("exact one-letter option", "A", {"index": STAGES}, "valid", "A"),
    ("exact range-like option", "1-10", {"index": STAGES}, "valid", "1-10"),
    ("a placeholder-looking option is an option", "N/A", {"index": STAGES}, "valid", "N/A"),
    ("surrounding spaces", " Closed Won ", {"index": STAGES}, "fixed", "Closed Won"),
    ("no-break space", "Qualified\u00a0", {"index": STAGES}, "fixed", "Qualified"),
    # --- aliases ---------------------------------------------------------------------------------------
    ("alias", "won", {"index": STAGES}, "fixed", "Closed Won"),
    ("alias abbreviation", "CW", {"index": STAGES}, "fixed", "Closed Won"),
    ("alias with spaces", " lost ", {"index": STAGES}, "fixed", "Closed Lost"),
    ("alias in another case", "WON", {"index": STAGES}, "fixed", "Closed Won"),
    ("alias abbreviation in lower case", "sql", {"index": STAGES}, "fixed", "Qualified"),
    ("alias in another picklist", "saas", {"index": INDUSTRIES}, "fixed", "Software"),
    # --- case, spacing, punctuation --------------------------------------------------------------------
    ("lower case", "closed won", {"index": STAGES}, "fixed", "Closed Won"),
    ("upper case", "CLOSED WON", {"index": STAGES}, "fixed", "Closed Won"),
    ("hyphen for a space", "Closed-Won", {"index": STAGES}, "fixed", "Closed Won"),
    ("underscore for a space", "closed_won", {"index": STAGES}, "fixed", "Closed Won"),
    ("no space", "ClosedWon", {"index": STAGES}, "fixed", "Closed Won"),
    ("trailing full stop", "Closed Won.", {"index": STAGES}, "fixed", "Closed Won"),
    ("space for a hyphen", "In Progress", {"index": STAGES}, "fixed", "In-Progress"),
    ("no separator at all", "inprogress", {"index": STAGES}, "fixed", "In-Progress"),
    ("spaced-out letters", "B 2 B", {"index": STAGES}, "fixed", "B2B"),
    ("spaces around a range dash", "1 - 10", {"index": STAGES}, "fixed", "1-10"),
    ("one-letter option in lower case", "a", {"index": STAGES}, "fixed", "A"),
    ("n/a when N/A is an option", "n/a", {"index": STAGES}, "fixed", "N/A"),
    ("N / A when N/A is an option", "N / A", {"index": STAGES}, "fixed", "N/A"),
    # --- fuzzy -------------------------------------------------------------------------------------------
    ("doubled letter", "Closed Wonn", {"index": STAGES}, "fixed", "Closed Won"),
    ("transposed letters", "Clsoed Won", {"index": STAGES}, "fixed", "Closed Won"),
    ("missing letter", "Qualifed", {"index": STAGES}, "fixed", "Qualified"),
    ("plural", "Qualifieds", {"index": STAGES}, "fixed", "Qualified"),
    ("phonetic misspelling", "Prospekt", {"index": STAGES}, "fixed", "Prospect"),
    ("misspelled in another picklist", "Manufacturng", {"index": INDUSTRIES}, "fixed", "Manufacturing"),
    # --- unknown -----------------------------------------------------------------------------------------
    ("too short for a fuzzy match", "Prosp", {"index": STAGES}, "invalid", None),
    ("prefix of two options", "Closed", {"index": STAGES}, "invalid", None),
    ("unrelated word", "xyz", {"index": STAGES}, "invalid", None),
    ("a range written differently", "11 to 50", {"index": STAGES}, "invalid", None),
    ("an option of another picklist", "Software", {"index": STAGES}, "invalid", None),
    # --- placeholders ------------------------------------------------------------------------------------
    ("TBD", "TBD", {"index": STAGES}, "placeholder", None),
    ("unknown", "Unknown", {"index": STAGES}, "placeholder", None),
    ("n/a when N/A is not an option", "n/a", {"index": INDUSTRIES}, "placeholder", None),
    ("dash", "-", {"index": INDUSTRIES}, "placeholder", None),
    ("empty", "", {"index": STAGES}, "empty", None),
    ("white space only", "   ", {"index": STAGES}, "empty", None),
]  # fmt: skip


@pytest.mark.parametrize(("description", "raw", "args", "status", "value"), CASES, ids=[c[0] for c in CASES])
def test_normalize_picklist(
    description: str, raw: str, args: dict[str, PicklistIndex], status: str, value: str | None
) -> None:
    result = normalize_picklist(raw, **args)

    assert (result.status, result.value) == (status, value), result.reason
    if value is not None:  # idempotent
        again = normalize_picklist(value, **args)
        assert (again.status, again.value) == ("valid", value)


def test_confidence_drops_from_alias_to_spelling_to_fuzzy() -> None:
    alias = normalize_picklist("won", STAGES).confidence
    spelling = normalize_picklist("closed won", STAGES).confidence
    fuzzy = normalize_picklist("Clsoed Won", STAGES).confidence

    assert fuzzy < spelling < alias < 1.0


def test_an_invalid_value_lists_the_allowed_ones() -> None:
    reason = normalize_picklist("xyz", INDUSTRIES).reason

    assert "Manufacturing" in reason and "Software" in reason


def test_an_exact_spelling_beats_a_folded_one_and_the_first_option_wins_a_fold() -> None:
    index = PicklistIndex.build([("Yes", ["Y"]), ("YES!", ["y"])])

    assert normalize_picklist("y", index).value == "YES!"  # typed exactly as YES!'s alias
    assert normalize_picklist("yes", index).value == "Yes"  # folds like both: the first option
    assert normalize_picklist("YES!", index).status == "valid"
