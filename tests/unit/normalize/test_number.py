"""Numbers: plain digits with a "." decimal point."""

from __future__ import annotations

import pytest

from crm_hygiene.normalize.number import normalize_number

INT = {"integer": True}

# (description, input, args, expected status, expected value)
CASES: list[tuple[str, str, dict[str, bool], str, str | None]] = [
    # --- already plain ----------------------------------------------------------------------------------
    ("integer", "1234", {}, "valid", "1234"),
    ("decimal", "1234.5", {}, "valid", "1234.5"),
    ("negative decimal", "-1234.5", {}, "valid", "-1234.5"),
    ("zero is a number", "0", {}, "valid", "0"),
    ("zero in an integer field", "0", INT, "valid", "0"),
    ("zero with decimals", "0.00", {}, "valid", "0.00"),
    ("trailing zeros kept", "12.50", {}, "valid", "12.50"),
    ("a dot is a decimal point", "1.234", {}, "valid", "1.234"),
    ("negative integer", "-5", INT, "valid", "-5"),
    ("surrounding spaces", "  42  ", {}, "fixed", "42"),
    ("trailing newline", "42\n", {}, "fixed", "42"),
    # --- canonical form ---------------------------------------------------------------------------------
    ("leading zeros", "00012", {}, "fixed", "12"),
    ("leading zeros in an integer field", "0012", INT, "fixed", "12"),
    ("double zero", "00", {}, "fixed", "0"),
    ("negative zero", "-0", {}, "fixed", "0"),
    ("negative zero with decimals", "-0.0", {}, "fixed", "0.0"),
    ("plus sign", "+5", {}, "fixed", "5"),
    ("leading dot", ".5", {}, "fixed", "0.5"),
    ("trailing dot", "5.", {}, "fixed", "5"),
    ("zero decimals in an integer field", "0.00", INT, "fixed", "0"),
    ("full-width digits", "１２３", {}, "fixed", "123"),
    ("Arabic-Indic digits", "١٢٣", {}, "fixed", "123"),
    # --- currency ---------------------------------------------------------------------------------------
    ("dollar and comma thousands", "$1,234.56", {}, "fixed", "1234.56"),
    ("euro with European separators", "€1.234,56", {}, "fixed", "1234.56"),
    ("euro after the amount", "1.234,56 €", {}, "fixed", "1234.56"),
    ("pound", "£1,000", {}, "fixed", "1000"),
    ("yen", "¥1000", {}, "fixed", "1000"),
    ("rupee with lakh grouping", "₹1,00,000", {}, "fixed", "100000"),
    ("ISO code before", "USD 1,234", {}, "fixed", "1234"),
    ("ISO code after", "1,234 USD", {}, "fixed", "1234"),
    ("EUR with European separators", "EUR 1.234,50", {}, "fixed", "1234.50"),
    ("minus before the currency", "-$1,234", {}, "fixed", "-1234"),
    ("minus after the currency", "$-1,234", {}, "fixed", "-1234"),
    ("accounting negative", "(1,234)", {}, "fixed", "-1234"),
    ("a currency sign alone", "$", {}, "invalid", None),
    ("a currency code alone", "USD", {}, "invalid", None),
    # --- thousands separators ----------------------------------------------------------------------------
    ("spaces", "1 234 567", {}, "fixed", "1234567"),
    ("Swiss apostrophes", "1'234'567", {}, "fixed", "1234567"),
    ("no-break space", "1\u00a0234", {}, "fixed", "1234"),
    ("narrow no-break space (French)", "1\u202f234", {}, "fixed", "1234"),
    ("thin space", "1\u2009234", {}, "fixed", "1234"),
    ("commas", "1,234,567", {}, "fixed", "1234567"),
    ("dots", "1.234.567", {}, "fixed", "1234567"),
    ("one comma group", "12,500", {}, "fixed", "12500"),
    ("European thousands and decimals", "1.000.000,00", {}, "fixed", "1000000.00"),
    ("space thousands, decimal comma", "1 000,50", {}, "fixed", "1000.50"),
    ("Indian grouping with decimals", "1,23,456.50", {}, "fixed", "123456.50"),
    ("misplaced commas", "1,2,3", {}, "invalid", None),
    ("double dot", "1..2", {}, "invalid", None),
    ("two decimal points", "1,234.5,6", {}, "invalid", None),
    ("mixed-up separators", "1.234,567.8", {}, "invalid", None),
    # --- decimal comma ------------------------------------------------------------------------------------
    ("decimal comma", "12,5", {}, "fixed", "12.5"),
    ("decimal comma with a trailing zero in an integer field", "10,0", INT, "fixed", "10"),
    ("trailing decimal point after thousands", "1,000.", {}, "fixed", "1000"),
    # --- k / M / B suffixes ----------------------------------------------------------------------------------
    ("k with a decimal comma", "1,5k", {}, "fixed", "1500"),
    ("k", "1.5k", {}, "fixed", "1500"),
    ("K in an integer field", "3.5K", INT, "fixed", "3500"),
    ("M", "2M", {}, "fixed", "2000000"),
    ("m is million", "2m", {}, "fixed", "2000000"),
    ("MM", "2MM", {}, "fixed", "2000000"),
    ("B", "1.2B", {}, "fixed", "1200000000"),
    ("bn", "1.2bn", {}, "fixed", "1200000000"),
    ("currency and M", "$2.5M", {}, "fixed", "2500000"),
    ("k in an integer field", "100k", INT, "fixed", "100000"),
    ("k that leaves a fraction", "1.2345k", INT, "invalid", None),
    ("a suffix alone", "k", {}, "invalid", None),
    # --- scientific notation (spreadsheet exports) ----------------------------------------------------------
    ("Excel scientific", "1.5E+06", {}, "fixed", "1500000"),
    ("lower-case e", "1e5", {}, "fixed", "100000"),
    ("negative exponent", "1e-5", {}, "fixed", "0.00001"),
    ("implausibly large", "1e31", {}, "invalid", None),
    ("huge exponent (would exhaust memory)", "1e999999999", {}, "invalid", None),
    ("huge exponent on zero", "0e-99999", {}, "invalid", None),
    # --- integers ------------------------------------------------------------------------------------------
    ("fraction in an integer field", "10.5", INT, "invalid", None),
    ("whole decimal in an integer field", "10.0", INT, "fixed", "10"),
    ("trailing dot in an integer field", "1.", INT, "fixed", "1"),
    ("25-digit whole number in an integer field", "1234567890123456789012345.0", INT, "fixed",
     "1234567890123456789012345"),
    ("32-digit whole number in an integer field", "12,345,678,901,234,567,890,123,456,789,012.0", INT, "invalid",
     None),
    # --- ranges and other text ----------------------------------------------------------------------------
    ("range", "51-200", INT, "invalid", None),
    ("range with spaces", "51 - 200", INT, "invalid", None),
    ("range with 'to'", "10 to 50", INT, "invalid", None),
    ("range with an en dash", "10–50", INT, "invalid", None),
    ("open bucket", "1000+", INT, "invalid", None),
    ("range of k", "1k-5k", {}, "invalid", None),
    ("percentage", "5%", {}, "invalid", None),
    ("approximately", "~100", {}, "invalid", None),
    ("words around", "about 50", INT, "invalid", None),
    ("a unit", "100 employees", INT, "invalid", None),
    ("digits and letters", "12abc", {}, "invalid", None),
    ("double minus", "--5", {}, "invalid", None),
    ("infinity", "inf", {}, "invalid", None),
    ("Infinity", "Infinity", {}, "invalid", None),
    # --- placeholders ---------------------------------------------------------------------------------------
    ("NaN", "NaN", {}, "placeholder", None),
    ("n/a", "n/a", {}, "placeholder", None),
    ("TBD", "TBD", {}, "placeholder", None),
    ("dash", "-", {}, "placeholder", None),
    ("double dash", "--", INT, "placeholder", None),
    ("letters", "abc", {}, "placeholder", None),
    ("empty", "", {}, "empty", None),
    ("white space only", "  ", INT, "empty", None),
]  # fmt: skip


@pytest.mark.parametrize(("description", "raw", "args", "status", "value"), CASES, ids=[c[0] for c in CASES])
def test_normalize_number(
    description: str, raw: str, args: dict[str, bool], status: str, value: str | None
) -> None:
    result = normalize_number(raw, **args)

    assert (result.status, result.value) == (status, value), result.reason
    if value is not None:  # idempotent
        again = normalize_number(value, **args)
        assert (again.status, again.value) == ("valid", value)


def test_confidence_reflects_how_sure_the_separator_reading_is() -> None:
    unambiguous = normalize_number("$1,234.56").confidence
    one_group = normalize_number("12,500").confidence  # 12.5 thousand in Europe?
    decimal_comma = normalize_number("12,5").confidence
    scaled = normalize_number("1.5k").confidence

    assert scaled < decimal_comma < one_group < unambiguous < 1.0
