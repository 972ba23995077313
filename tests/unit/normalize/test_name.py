"""Person names: proper case, particles, Mc/Mac/O', salutations and suffixes, full-name splitting."""

from __future__ import annotations

import pytest

from crm_hygiene.normalize.name import (
    NamePart,
    NameParts,
    normalize_person_name,
    proper_case,
    split_full_name,
)

FIRST: dict[str, NamePart] = {"part": "first"}
LAST: dict[str, NamePart] = {"part": "last"}
FULL: dict[str, NamePart] = {"part": "full"}

# (description, input, args, expected status, expected value)
CASES: list[tuple[str, str, dict[str, NamePart], str, str | None]] = [
    # --- simple re-casing ----------------------------------------------------------------------------
    ("already proper", "John", FIRST, "valid", "John"),
    ("all caps", "JOHN", FIRST, "fixed", "John"),
    ("all lower", "john", FIRST, "fixed", "John"),
    ("caps lock inverted", "jOHN", FIRST, "fixed", "John"),
    ("full name all caps", "JOHN SMITH", FULL, "fixed", "John Smith"),
    ("trailing newline is not valid", "John\n", FIRST, "fixed", "John"),
    ("surrounding spaces", " John ", FIRST, "fixed", "John"),
    ("double space inside", "John  Smith", FULL, "fixed", "John Smith"),
    # --- mixed case is respected ------------------------------------------------------------------
    ("camel-cased given name", "DeShawn", FIRST, "valid", "DeShawn"),
    ("lower-case particles typed on purpose", "de la Cruz", LAST, "valid", "de la Cruz"),
    ("McDonald typed right", "McDonald", LAST, "valid", "McDonald"),
    ("O'Neil typed right", "O'Neil", LAST, "valid", "O'Neil"),
    ("mixed case with a caps word is left alone", "JOHN Smith", FULL, "valid", "JOHN Smith"),
    # --- Mc / Mac --------------------------------------------------------------------------------
    ("Mc in caps", "MCDONALD", LAST, "fixed", "McDonald"),
    ("Mc in lower case", "mcdonald", LAST, "fixed", "McDonald"),
    ("McKay", "MCKAY", LAST, "fixed", "McKay"),
    ("Mac name", "MACDONALD", LAST, "fixed", "MacDonald"),
    ("MacKenzie as a surname", "MACKENZIE", LAST, "fixed", "MacKenzie"),
    ("Mackenzie as a given name has no Mac rule", "MACKENZIE", FIRST, "fixed", "Mackenzie"),
    ("Mac rule only on the surname of a full name", "MACKENZIE MACDONALD", FULL, "fixed", "Mackenzie MacDonald"),
    ("Machado is not a Mac name", "MACHADO", LAST, "fixed", "Machado"),
    ("Mack is not a Mac name", "MACK", LAST, "fixed", "Mack"),
    ("Macy is not a Mac name", "MACY", LAST, "fixed", "Macy"),
    ("Mace is not a Mac name", "mace", LAST, "fixed", "Mace"),
    ("bare Mc", "MC", LAST, "fixed", "Mc"),
    ("Mac name with a hyphen", "macdonald-smith", LAST, "fixed", "MacDonald-Smith"),
    # --- apostrophes --------------------------------------------------------------------------------
    ("O' in lower case", "o'brien", LAST, "fixed", "O'Brien"),
    ("O' in caps", "O'BRIEN", LAST, "fixed", "O'Brien"),
    ("typographic apostrophe", "o’brien", LAST, "fixed", "O’Brien"),
    ("D'", "D'ANGELO", LAST, "fixed", "D'Angelo"),
    ("D’ typographic, mixed", "d’ANGELO", LAST, "fixed", "D’Angelo"),
    ("O' in a double-barrelled name", "o'connor-smith", LAST, "fixed", "O'Connor-Smith"),
    ("no capital after a mid-word apostrophe", "ma'am", FIRST, "fixed", "Ma'am"),
    ("full name with O'", "mary ann o'neil", FULL, "fixed", "Mary Ann O'Neil"),
    # --- hyphens --------------------------------------------------------------------------------------
    ("hyphenated surname", "SMITH-JONES", LAST, "fixed", "Smith-Jones"),
    ("hyphenated given name", "mary-jane", FIRST, "fixed", "Mary-Jane"),
    ("hyphenated given name typed right", "Jean-Luc", FIRST, "valid", "Jean-Luc"),
    ("hyphenated given name in caps", "JEAN-LUC", FIRST, "fixed", "Jean-Luc"),
    # --- particles ---------------------------------------------------------------------------------------
    ("van der opening a surname field", "VAN DER BERG", LAST, "fixed", "Van der Berg"),
    ("van der in lower case", "van der berg", LAST, "fixed", "Van der Berg"),
    ("de la opening a surname field", "DE LA CRUZ", LAST, "fixed", "De la Cruz"),
    ("von opening a surname field", "von trapp", LAST, "fixed", "Von Trapp"),
    ("particles inside a full name", "JOHN VAN DER BERG", FULL, "fixed", "John van der Berg"),
    ("de la inside a full name", "maria de la cruz", FULL, "fixed", "Maria de la Cruz"),
    ("a particle-like last word keeps its capital", "JOHN LE", FULL, "fixed", "John Le"),
    ("Di as a surname opener", "DI MAIO", LAST, "fixed", "Di Maio"),
    # --- accents and other scripts ------------------------------------------------------------------
    ("diaeresis in lower case", "zoë", FIRST, "fixed", "Zoë"),
    ("diaeresis in caps", "ZOË", FIRST, "fixed", "Zoë"),
    ("diaeresis typed right", "Zoë", FIRST, "valid", "Zoë"),
    ("accent opening the name", "ÉLODIE", FIRST, "fixed", "Élodie"),
    ("tildes and acute accents", "ÑÚÑEZ", LAST, "fixed", "Ñúñez"),
    ("ring above", "åsa", FIRST, "fixed", "Åsa"),
    ("sharp s in caps text", "STRAßE", LAST, "fixed", "Straße"),
    ("sharp s alone has no case to fix", "ß", FIRST, "valid", "ß"),
    ("CJK surname has no case", "山田", LAST, "valid", "山田"),
    ("CJK full name has no case", "山田 太郎", FULL, "valid", "山田 太郎"),
    ("Cyrillic typed right", "Иван", FIRST, "valid", "Иван"),
    ("Cyrillic caps", "ИВАН", FIRST, "fixed", "Иван"),
    ("Greek caps with a tonos", "ΕΛΈΝΗ", FIRST, "fixed", "Ελένη"),
    ("Latin ligature", "ﬁona", FIRST, "fixed", "Fiona"),
    ("Arabic has no case", "محمد", FIRST, "valid", "محمد"),
    # --- short names: re-cased at a low confidence ----------------------------------------------------
    ("two-letter caps", "JO", FIRST, "fixed", "Jo"),
    ("two-letter surname in caps", "NG", LAST, "fixed", "Ng"),
    ("two-letter proper", "Al", FIRST, "valid", "Al"),
    ("single initial", "J.", FIRST, "valid", "J."),
    ("initials with spaces", "J. R. R.", FIRST, "valid", "J. R. R."),
    ("single letter", "Y", FIRST, "valid", "Y"),
    # --- salutations and suffixes go to extra ------------------------------------------------------
    ("salutation before a first name", "Dr. Jane", FIRST, "fixed", "Jane"),
    ("salutation without a dot", "Dr Jane Smith", FULL, "fixed", "Jane Smith"),
    ("salutation before a surname", "Mr. Smith", LAST, "fixed", "Smith"),
    ("suffix after a surname", "Smith Jr.", LAST, "fixed", "Smith"),
    ("suffix after a comma", "Smith, Jr.", LAST, "fixed", "Smith"),
    ("suffix in caps", "SMITH JR", LAST, "fixed", "Smith"),
    ("roman numeral suffix", "JOHN SMITH III", FULL, "fixed", "John Smith"),
    ("roman numeral suffix in lower case", "john smith iii", FULL, "fixed", "John Smith"),
    ("academic suffix", "Jane Doe PhD", FULL, "fixed", "Jane Doe"),
    ("only a salutation", "Mr.", FIRST, "invalid", None),
    ("only a salutation, no dot", "MR", FIRST, "invalid", None),
    ("a salutation and a comma", "Dr. ,", FULL, "invalid", None),
    # --- commas --------------------------------------------------------------------------------------
    ("Last, First in a full-name field", "Smith, John", FULL, "fixed", "John Smith"),
    ("Last, First in caps", "SMITH, JOHN", FULL, "fixed", "John Smith"),
    ("Last, First with a suffix", "Smith, John, Jr.", FULL, "fixed", "John Smith"),
    ("Last, First in a surname field", "Smith, John", LAST, "invalid", None),
    ("two first names with a comma", "John, Mary", FIRST, "invalid", None),
    ("three comma-separated parts", "Smith, John, Mary", FULL, "invalid", None),
    ("stray trailing comma", "Smith,", LAST, "fixed", "Smith"),
    ("stray leading comma", ",Smith", LAST, "fixed", "Smith"),
    # --- not names -----------------------------------------------------------------------------------
    ("digits", "John2", FIRST, "invalid", None),
    ("an email in a name field", "j@ne", FIRST, "invalid", None),
    ("symbols", "John #1", FIRST, "invalid", None),
    ("underscore", "john_smith", FIRST, "invalid", None),
    ("only an apostrophe", "'", FIRST, "invalid", None),
    ("only a typographic apostrophe", "’", FIRST, "invalid", None),
    ("only an ampersand", "&", FIRST, "invalid", None),
    # --- placeholders ----------------------------------------------------------------------------------
    ("TBD", "TBD", FIRST, "placeholder", None),
    ("n/a", "n/a", LAST, "placeholder", None),
    ("unknown", "Unknown", LAST, "placeholder", None),
    ("x", "x", FIRST, "placeholder", None),
    ("X", "X", LAST, "placeholder", None),
    ("xxx", "XXX", FIRST, "placeholder", None),
    ("dash", "-", FIRST, "placeholder", None),
    ("double dash", "--", FIRST, "placeholder", None),
    ("test", "Test", FIRST, "placeholder", None),
    ("reordered into a placeholder", "AA,A", FULL, "placeholder", None),
    ("Abc is a name here", "Abc", FIRST, "valid", "Abc"),
    ("empty", "", FIRST, "empty", None),
    ("white space only", "  ", FULL, "empty", None),
]  # fmt: skip


@pytest.mark.parametrize(("description", "raw", "args", "status", "value"), CASES, ids=[c[0] for c in CASES])
def test_normalize_person_name(
    description: str, raw: str, args: dict[str, NamePart], status: str, value: str | None
) -> None:
    result = normalize_person_name(raw, **args)

    assert (result.status, result.value) == (status, value), result.reason
    if value is not None:  # idempotent
        again = normalize_person_name(value, **args)
        assert (again.status, again.value) == ("valid", value)


@pytest.mark.parametrize(
    ("raw", "part", "extra"),
    [
        ("Dr. Jane", "first", {"salutation": "Dr."}),
        ("Smith Jr.", "last", {"suffix": "Jr."}),
        ("Smith, Jr.", "last", {"suffix": "Jr."}),
        ("Prof. Jane Doe PhD", "full", {"salutation": "Prof.", "suffix": "PhD"}),
        ("Jane", "first", {}),
    ],
)
def test_salutations_and_suffixes_are_returned_in_extra(
    raw: str, part: NamePart, extra: dict[str, str]
) -> None:
    assert dict(normalize_person_name(raw, part).extra) == extra


def test_confidence_reflects_how_sure_the_recasing_is() -> None:
    plain = normalize_person_name("JOHN", "first")
    special_rule = normalize_person_name("MCDONALD", "last")
    short = normalize_person_name("JO", "first")
    reordered = normalize_person_name("Smith, John", "full")
    split = normalize_person_name("Dr. Jane", "first")

    assert short.confidence < reordered.confidence < special_rule.confidence < plain.confidence < 1.0
    assert split.confidence < plain.confidence


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("JOHN", ("John", False)),
        ("o'brien", ("O'Brien", True)),
        ("VAN DER BERG", ("Van der Berg", True)),
        ("mackenzie", ("MacKenzie", True)),
        ("mary-jane smith", ("Mary-Jane Smith", False)),
        ("", ("", False)),
    ],
)
def test_proper_case(raw: str, expected: tuple[str, bool]) -> None:
    assert proper_case(raw) == expected


@pytest.mark.parametrize(
    ("raw", "parts"),
    [
        ("Smith, John", NameParts(first="John", last="Smith")),
        ("SMITH, JOHN A.", NameParts(first="John", middle="A.", last="Smith")),
        (
            "Dr. Jane A. van der Berg Jr.",
            NameParts(salutation="Dr.", first="Jane", middle="A.", last="van der Berg", suffix="Jr."),
        ),
        ("mary ann o'neil", NameParts(first="Mary", middle="Ann", last="O'Neil")),
        ("JOHN SMITH", NameParts(first="John", last="Smith")),
        ("john mcdonald iii", NameParts(first="John", last="McDonald", suffix="iii")),
        ("MACKENZIE SMITH", NameParts(first="Mackenzie", last="Smith")),
        ("Jean-Luc Picard", NameParts(first="Jean-Luc", last="Picard")),
        ("Prof. Dr. Hans Müller", NameParts(salutation="Prof. Dr.", first="Hans", last="Müller")),
        ("John", NameParts(first="John")),
        ("  ", NameParts()),
        ("", NameParts()),
    ],
)
def test_split_full_name(raw: str, parts: NameParts) -> None:
    assert split_full_name(raw) == parts
