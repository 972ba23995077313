"""Phone numbers to E.164, extensions as ``;ext=N``."""

from __future__ import annotations

from typing import Any

import pytest

from crm_hygiene.normalize.phone import calling_code, normalize_phone

US = {"region": "US"}
NO_REGION: dict[str, Any] = {}

# (description, input, args, expected status, expected value)
CASES: list[tuple[str, str, dict[str, Any], str, str | None]] = [
    # --- North America, national formats -----------------------------------------------------------
    ("US parentheses and dash", "(415) 867-2671", US, "fixed", "+14158672671"),
    ("US dots", "415.867.2671", US, "fixed", "+14158672671"),
    ("US bare ten digits", "4158672671", US, "fixed", "+14158672671"),
    ("US with trunk 1 and dashes", "1-415-867-2671", US, "fixed", "+14158672671"),
    ("US with trunk 1 and parentheses", "1 (415) 867-2671", US, "fixed", "+14158672671"),
    ("US record region in lower case", "(415) 867-2671", {"region": "us"}, "fixed", "+14158672671"),
    ("Canada national", "(506) 234-5678", {"region": "CA"}, "fixed", "+15062345678"),
    ("Canada written with +1", "+1-416-867-2671", NO_REGION, "fixed", "+14168672671"),
    # --- extensions -------------------------------------------------------------------------------------
    ("ext. with country code", "+1 (415) 867-2671 ext. 3", NO_REGION, "fixed", "+14158672671;ext=3"),
    ("x12 after a national number", "(415) 867-2671 x12", US, "fixed", "+14158672671;ext=12"),
    ("x with a space", "+1 (415) 867-2671 x 12", NO_REGION, "fixed", "+14158672671;ext=12"),
    ("ext without a dot", "415-867-2671 ext 12", US, "fixed", "+14158672671;ext=12"),
    ("ext. without a space", "415.867.2671 ext.99", US, "fixed", "+14158672671;ext=99"),
    ("extension spelled out", "+14158672671 extension 5", NO_REGION, "fixed", "+14158672671;ext=5"),
    ("hash extension", "415-867-2671#12", US, "fixed", "+14158672671;ext=12"),
    ("RFC 3966 extension in upper case", "+14158672671;EXT=12", NO_REGION, "fixed", "+14158672671;ext=12"),
    ("space before ;ext=", "+14158672671 ;ext=12", NO_REGION, "fixed", "+14158672671;ext=12"),
    ("long extension digits are not junk", "+14158672671 ext 12345678901", NO_REGION, "fixed",
     "+14158672671;ext=12345678901"),
    ("E.164 with extension is valid", "+14158672671;ext=3", NO_REGION, "valid", "+14158672671;ext=3"),
    ("E.164 with an 11-digit extension is valid", "+14158672671;ext=12345678901", NO_REGION, "valid",
     "+14158672671;ext=12345678901"),
    ("empty extension", "+14158672671;ext=", NO_REGION, "invalid", None),
    # --- international prefixes ---------------------------------------------------------------------------
    ("00 prefix", "0044 20 7946 0958", NO_REGION, "fixed", "+442079460958"),
    ("011 prefix (dialled from North America)", "011 44 20 7946 0958", NO_REGION, "fixed", "+442079460958"),
    ("00 prefix to North America", "001 415 867 2671", NO_REGION, "fixed", "+14158672671"),
    ("00 with a space", "00 1 415 867 2671", NO_REGION, "fixed", "+14158672671"),
    ("00 prefix ignores the record region", "0049 30 12345678", {"region": "DE"}, "fixed", "+493012345678"),
    ("+44 with (0) trunk", "+44 (0) 20 7946 0958", NO_REGION, "fixed", "+442079460958"),
    ("+49 with (0) trunk", "+49 (0)30 123456", NO_REGION, "fixed", "+4930123456"),
    ("doubled plus", "++14158672671", NO_REGION, "fixed", "+14158672671"),
    ("country code wins over the record region", "+1 415 867 2671", {"region": "GB"}, "fixed", "+14158672671"),
    # --- other countries, national numbers with the record's region ----------------------------------------
    ("GB London", "020 7946 0958", {"region": "GB"}, "fixed", "+442079460958"),
    ("GB Birmingham", "0121 234 5678", {"region": "GB"}, "fixed", "+441212345678"),
    ("GB mobile", "07400 123456", {"region": "GB"}, "fixed", "+447400123456"),
    ("DE Berlin", "030 12345678", {"region": "DE"}, "fixed", "+493012345678"),
    ("DE mobile", "01512 3456789", {"region": "DE"}, "fixed", "+4915123456789"),
    ("FR Paris", "01 42 68 53 00", {"region": "FR"}, "fixed", "+33142685300"),
    ("FR mobile", "06 12 34 56 78", {"region": "FR"}, "fixed", "+33612345678"),
    ("IN mobile with trunk 0", "098123 45678", {"region": "IN"}, "fixed", "+919812345678"),
    ("IN with +91", "+91 81234 56789", NO_REGION, "fixed", "+918123456789"),
    ("AU Sydney", "(02) 9374 4000", {"region": "AU"}, "fixed", "+61293744000"),
    ("AU mobile", "0412 345 678", {"region": "AU"}, "fixed", "+61412345678"),
    ("BR São Paulo mobile", "(11) 91234-5678", {"region": "BR"}, "fixed", "+5511912345678"),
    ("JP Tokyo", "03-1234-5678", {"region": "JP"}, "fixed", "+81312345678"),
    ("MX", "222 123 4567", {"region": "MX"}, "fixed", "+522221234567"),
    ("ES mobile", "612 34 56 78", {"region": "ES"}, "fixed", "+34612345678"),
    ("SG", "8123 4567", {"region": "SG"}, "fixed", "+6581234567"),
    # --- no region / guessed region ---------------------------------------------------------------------
    ("national number without any region", "4158672671", NO_REGION, "invalid", None),
    ("national number with a guessed region", "4158672671", {"guessed_region": "US"}, "fixed", "+14158672671"),
    ("guessed region when the record's does not fit", "4158672671", {"region": "GB", "guessed_region": "US"},
     "fixed", "+14158672671"),
    ("guessed GB", "020 7946 0958", {"guessed_region": "GB"}, "fixed", "+442079460958"),
    ("unknown region code", "4158672671", {"region": "ZZ"}, "invalid", None),
    # --- invalid for the region or in general ---------------------------------------------------------
    ("US number read as GB", "415 867 2671", {"region": "GB"}, "invalid", None),
    ("GB number read as US", "020 7946 0958", US, "invalid", None),
    ("seven-digit local number", "555-1234", US, "invalid", None),
    ("too short with a country code", "+1 415", US, "invalid", None),
    ("E.164 one digit short", "+1415867267", NO_REGION, "invalid", None),
    ("country code that does not exist", "+999 1234 5678", NO_REGION, "invalid", None),
    ("country code 0", "+0 415 867 2671", NO_REGION, "invalid", None),
    ("two numbers in one field", "415-867-2671, 415-867-2672", US, "invalid", None),
    ("a note after the number", "415 867 2671 (cell)", US, "invalid", None),
    ("Ofcom drama number is not in service", "+447700900123", NO_REGION, "invalid", None),
    # --- labels and odd characters ----------------------------------------------------------------------
    ("Tel: label", "Tel: 415 867 2671", US, "fixed", "+14158672671"),
    ("tel: URI", "tel:+14158672671", NO_REGION, "fixed", "+14158672671"),
    ("Phone: label with a country code", "Phone: +44 20 7946 0958", NO_REGION, "fixed", "+442079460958"),
    ("cell label", "cell 415 867 2671", US, "fixed", "+14158672671"),
    ("full-width digits", "+１ ４１５ ８６７ ２６７１", NO_REGION, "fixed", "+14158672671"),
    ("tabs and newline around E.164", "\t+14158672671\n", NO_REGION, "fixed", "+14158672671"),
    # --- vanity numbers (judgement: dialable digits, confidence 0.9, flagged "vanity") -------------------------
    ("vanity toll-free number", "1-800-FLOWERS", US, "fixed", "+18003569377"),
    ("vanity with a country code", "+1 800 FLOWERS", NO_REGION, "fixed", "+18003569377"),
    ("vanity UK freephone", "0800 FLOWERS", {"region": "GB"}, "fixed", "+448003569377"),
    # --- junk and placeholders ---------------------------------------------------------------------
    ("all zeros", "0000000000", US, "placeholder", None),
    ("all zeros with dashes", "000-000-0000", US, "placeholder", None),
    ("running sequence", "1234567890", US, "placeholder", None),
    ("descending sequence", "9876543210", US, "placeholder", None),
    ("Indian placeholder 98765 43210", "+91 98765 43210", NO_REGION, "placeholder", None),
    ("Japanese placeholder 090-1234-5678", "090-1234-5678", {"region": "JP"}, "placeholder", None),
    ("sequence with a country code", "+44 1234 567890", NO_REGION, "placeholder", None),
    ("one digit repeated", "5555555555", US, "placeholder", None),
    ("555-555-5555", "555-555-5555", US, "placeholder", None),
    ("repeated ones", "(415) 111-1111", US, "placeholder", None),
    ("subscriber part all zeros", "+1 212 000 0000", NO_REGION, "placeholder", None),
    ("fictional 555-01XX", "(212) 555-0142", US, "placeholder", None),
    ("fictional 555-01XX in E.164", "+12015550123", NO_REGION, "placeholder", None),
    ("555 outside the fictional range is real", "(212) 555-1212", US, "fixed", "+12125551212"),
    ("too few digits", "123", US, "placeholder", None),
    ("two digits", "12", US, "placeholder", None),
    ("no digits at all", "FLOWERS", NO_REGION, "placeholder", None),
    ("n/a", "n/a", US, "placeholder", None),
    ("none", "none", US, "placeholder", None),
    ("dash", "-", US, "placeholder", None),
    ("TBD", "TBD", US, "placeholder", None),
    ("xxx-xxx-xxxx", "xxx-xxx-xxxx", US, "placeholder", None),
    ("empty", "", US, "empty", None),
    ("white space only", "   ", US, "empty", None),
    # --- already E.164 ------------------------------------------------------------------------------------
    ("E.164 US", "+14158672671", NO_REGION, "valid", "+14158672671"),
    ("E.164 GB with a record region elsewhere", "+442079460958", US, "valid", "+442079460958"),
    ("E.164 with spaces", "+1 415 867 2671", NO_REGION, "fixed", "+14158672671"),
    ("E.164 with surrounding spaces", " +14158672671 ", NO_REGION, "fixed", "+14158672671"),
]  # fmt: skip


@pytest.mark.parametrize(("description", "raw", "args", "status", "value"), CASES, ids=[c[0] for c in CASES])
def test_normalize_phone(
    description: str, raw: str, args: dict[str, Any], status: str, value: str | None
) -> None:
    result = normalize_phone(raw, **args)

    assert (result.status, result.value) == (status, value), result.reason
    if value is not None:  # idempotent
        again = normalize_phone(value, **args)
        assert (again.status, again.value) == ("valid", value)


def test_a_guessed_region_is_less_certain_than_the_records_region() -> None:
    from_record = normalize_phone("4158672671", "US")
    guessed = normalize_phone("4158672671", None, "US")

    assert from_record.value == guessed.value == "+14158672671"
    assert guessed.confidence < from_record.confidence < normalize_phone("+1 415 867 2671").confidence


@pytest.mark.parametrize(
    ("raw", "region", "number_region"),
    [
        ("(415) 867-2671", "US", "US"),
        ("+44 20 7946 0958", None, "GB"),
        ("(416) 867-2671", "CA", "CA"),
        ("+14158672671", "DE", "US"),  # the number's own country, not the record's
        ("+49 30 12345678", None, "DE"),
    ],
)
def test_extra_region_is_the_numbers_own_country(raw: str, region: str | None, number_region: str) -> None:
    assert normalize_phone(raw, region).extra["region"] == number_region


def test_vanity_numbers_are_flagged_and_less_certain() -> None:
    vanity = normalize_phone("1-800-FLOWERS", "US")
    digits = normalize_phone("1-800-356-9377", "US")

    assert vanity.value == digits.value
    assert "vanity" in vanity.flags and "vanity" not in digits.flags
    assert vanity.confidence < digits.confidence


def test_junk_numbers_are_flagged() -> None:
    assert "junk" in normalize_phone("1234567890", "US").flags
    assert "junk" in normalize_phone("(212) 555-0142", "US").flags


@pytest.mark.parametrize(
    ("region", "code"), [("US", 1), ("CA", 1), ("GB", 44), ("DE", 49), ("IN", 91), ("ZZ", 0)]
)
def test_calling_code(region: str, code: int) -> None:
    assert calling_code(region) == code


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        (
            "0113 842 8831",
            "GB",
            "+441138428831",
        ),  # a Leeds number: "011" is not an international prefix in GB
        ("011 44 20 7946 0958", "US", "+442079460958"),  # but it is in NANP
        ("0044 20 7946 0958", None, "+442079460958"),
    ],
)
def test_international_prefix_depends_on_the_region(raw: str, region: str | None, expected: str) -> None:
    assert normalize_phone(raw, region).value == expected


def test_fast_e164_path_builds_the_same_number_as_the_general_parser() -> None:
    # Given every region's example fixed-line and mobile numbers in E.164
    import phonenumbers as pn

    from crm_hygiene.normalize.phone import _fast_e164

    checked = 0
    for region in sorted(pn.SUPPORTED_REGIONS):
        for kind in (pn.PhoneNumberType.FIXED_LINE, pn.PhoneNumberType.MOBILE):
            example = pn.example_number_for_type(region, kind)
            if example is None:
                continue
            e164 = pn.format_number(example, pn.PhoneNumberFormat.E164)
            # When the fast path answers, it is exactly what the library's parser builds
            fast = _fast_e164(e164)
            if fast is not None:
                assert fast == pn.parse(e164, None), e164
                checked += 1
    assert checked > 300


def test_precompiled_validity_agrees_with_phonenumbers() -> None:
    # Given random and example numbers for every region
    import random

    import phonenumbers as pn

    from crm_hygiene.normalize.phone import is_valid_for_region

    rng = random.Random(11)
    for region in sorted(pn.SUPPORTED_REGIONS):
        code = pn.country_code_for_region(region)
        numbers: list[pn.PhoneNumber | None] = [
            pn.PhoneNumber(country_code=code, national_number=rng.randint(10**5, 10**11)) for _ in range(40)
        ]
        numbers += [pn.example_number_for_type(region, t) for t in range(11)]
        for number in filter(None, numbers):
            # Then the precompiled rules give the library's own answer
            assert is_valid_for_region(number, region) == pn.is_valid_number_for_region(number, region), (
                region,
                number,
            )
