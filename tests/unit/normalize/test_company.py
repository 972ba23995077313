"""Company names: white space, the legal-suffix policy, and the matching key."""

from __future__ import annotations

import pytest

from crm_hygiene.normalize.company import SuffixPolicy, company_key, normalize_company_name

KEEP: dict[str, SuffixPolicy] = {"policy": "keep"}
NORMALIZE: dict[str, SuffixPolicy] = {"policy": "normalize"}
STRIP: dict[str, SuffixPolicy] = {"policy": "strip"}

# (description, input, args, expected status, expected value)
CASES: list[tuple[str, str, dict[str, SuffixPolicy], str, str | None]] = [
    # --- keep: only white space and stray punctuation are tidied; case is never touched ------------
    ("keep: already tidy", "Acme, Inc.", KEEP, "valid", "Acme, Inc."),
    ("keep: suffix in caps kept", "ACME INC", KEEP, "valid", "ACME INC"),
    ("keep: lower case kept", "acme inc", KEEP, "valid", "acme inc"),
    ("keep: acronym untouched", "IBM", KEEP, "valid", "IBM"),
    ("keep: camel case untouched", "eBay Inc.", KEEP, "valid", "eBay Inc."),
    ("keep: digits", "3M", KEEP, "valid", "3M"),
    ("keep: double space", "Acme  Inc.", KEEP, "fixed", "Acme Inc."),
    ("keep: surrounding spaces", "  Acme Inc.  ", KEEP, "fixed", "Acme Inc."),
    ("keep: tab", "Acme\tInc", KEEP, "fixed", "Acme Inc"),
    ("keep: space before a comma", "Acme  ,  Inc", KEEP, "fixed", "Acme, Inc"),
    ("keep: space before the dot", "Acme , Inc .", KEEP, "fixed", "Acme, Inc."),
    ("keep: trailing comma", "Acme Ltd,", KEEP, "fixed", "Acme Ltd"),
    ("keep: trailing semicolon", "Acme;", KEEP, "fixed", "Acme"),
    ("keep: ampersand name", "Procter & Gamble Co.", KEEP, "valid", "Procter & Gamble Co."),
    ("keep: compound suffix", "Acme GmbH & Co. KG", KEEP, "valid", "Acme GmbH & Co. KG"),
    ("keep: a suffix word alone is a name", "Inc.", KEEP, "valid", "Inc."),
    # --- normalize: one spelling per suffix ----------------------------------------------------------
    ("normalize: Inc without a dot", "Acme Inc", NORMALIZE, "fixed", "Acme Inc."),
    ("normalize: comma before Inc.", "Acme, Inc.", NORMALIZE, "fixed", "Acme Inc."),
    ("normalize: Inc. is canonical", "Acme Inc.", NORMALIZE, "valid", "Acme Inc."),
    ("normalize: Incorporated", "Acme Incorporated", NORMALIZE, "fixed", "Acme Inc."),
    ("normalize: suffix in caps, name untouched", "ACME INC", NORMALIZE, "fixed", "ACME Inc."),
    ("normalize: LLC is canonical", "Acme LLC", NORMALIZE, "valid", "Acme LLC"),
    ("normalize: L.L.C.", "Acme L.L.C.", NORMALIZE, "fixed", "Acme LLC"),
    ("normalize: comma before LLC", "Acme, LLC", NORMALIZE, "fixed", "Acme LLC"),
    ("normalize: LLC with a dot", "Acme LLC.", NORMALIZE, "fixed", "Acme LLC"),
    ("normalize: GmbH is canonical", "Acme GmbH", NORMALIZE, "valid", "Acme GmbH"),
    ("normalize: GMBH", "Acme GMBH", NORMALIZE, "fixed", "Acme GmbH"),
    ("normalize: Ltd is canonical", "Acme Ltd", NORMALIZE, "valid", "Acme Ltd"),
    ("normalize: Ltd.", "Acme Ltd.", NORMALIZE, "fixed", "Acme Ltd"),
    ("normalize: Limited", "Acme Limited", NORMALIZE, "fixed", "Acme Ltd"),
    ("normalize: S.A.", "Acme S.A.", NORMALIZE, "fixed", "Acme SA"),
    ("normalize: Pty Ltd is canonical", "Acme Pty Ltd", NORMALIZE, "valid", "Acme Pty Ltd"),
    ("normalize: Pty. Ltd.", "Acme Pty. Ltd.", NORMALIZE, "fixed", "Acme Pty Ltd"),
    ("normalize: PTY LTD", "Acme PTY LTD", NORMALIZE, "fixed", "Acme Pty Ltd"),
    ("normalize: B.V. is canonical", "Acme B.V.", NORMALIZE, "valid", "Acme B.V."),
    ("normalize: BV", "Acme BV", NORMALIZE, "fixed", "Acme B.V."),
    ("normalize: Corporation", "Bank of America Corporation", NORMALIZE, "fixed", "Bank of America Corp."),
    ("normalize: SpA", "Acme SpA", NORMALIZE, "fixed", "Acme S.p.A."),
    ("normalize: S.R.L.", "Acme S.R.L.", NORMALIZE, "fixed", "Acme S.r.l."),
    ("normalize: KK", "Acme KK", NORMALIZE, "fixed", "Acme K.K."),
    ("normalize: K.K. is canonical", "Acme K.K.", NORMALIZE, "valid", "Acme K.K."),
    ("normalize: plc", "Acme plc", NORMALIZE, "fixed", "Acme PLC"),
    ("normalize: Pvt. Ltd.", "Acme Pvt. Ltd.", NORMALIZE, "fixed", "Acme Pvt Ltd"),
    ("normalize: Private Limited", "Acme Private Limited", NORMALIZE, "fixed", "Acme Pvt Ltd"),
    ("normalize: GmbH & Co. KG is canonical", "Acme GmbH & Co. KG", NORMALIZE, "valid", "Acme GmbH & Co. KG"),
    ("normalize: S.A. de C.V. is canonical", "Acme S.A. de C.V.", NORMALIZE, "valid", "Acme S.A. de C.V."),
    ("normalize: Sp. z o.o. is canonical", "Acme Sp. z o.o.", NORMALIZE, "valid", "Acme Sp. z o.o."),
    ("normalize: '& Co' belongs to the name", "Acme & Co", NORMALIZE, "valid", "Acme & Co"),
    ("normalize: 'and Co.' belongs to the name", "Acme and Co.", NORMALIZE, "valid", "Acme and Co."),
    ("normalize: no suffix", "IBM", NORMALIZE, "valid", "IBM"),
    ("normalize: suffix inside the name is not a suffix", "Acme Ltd (UK)", NORMALIZE, "valid", "Acme Ltd (UK)"),
    # --- strip: remove it ----------------------------------------------------------------------------
    ("strip: Inc.", "Acme Inc.", STRIP, "fixed", "Acme"),
    ("strip: comma and Inc.", "Acme, Inc.", STRIP, "fixed", "Acme"),
    ("strip: LLC", "Acme LLC", STRIP, "fixed", "Acme"),
    ("strip: GmbH", "Acme GmbH", STRIP, "fixed", "Acme"),
    ("strip: Ltd", "Acme Ltd", STRIP, "fixed", "Acme"),
    ("strip: S.A.", "Acme S.A.", STRIP, "fixed", "Acme"),
    ("strip: Pty Ltd", "Acme Pty Ltd", STRIP, "fixed", "Acme"),
    ("strip: B.V.", "Acme B.V.", STRIP, "fixed", "Acme"),
    ("strip: GmbH & Co. KG at once", "Acme GmbH & Co. KG", STRIP, "fixed", "Acme"),
    ("strip: every trailing suffix", "Acme Inc. Inc.", STRIP, "fixed", "Acme"),
    ("strip: acronym kept", "IBM Corp.", STRIP, "fixed", "IBM"),
    ("strip: parenthesized country kept", "Acme (UK) Ltd", STRIP, "fixed", "Acme (UK)"),
    ("strip: dotted name", "Amazon.com, Inc.", STRIP, "fixed", "Amazon.com"),
    ("strip: 'Company' at the end", "The Acme Company", STRIP, "fixed", "The Acme"),
    ("strip: '& Co' belongs to the name", "Acme & Co", STRIP, "valid", "Acme & Co"),
    ("strip: nothing to strip", "Acme Holdings", STRIP, "valid", "Acme Holdings"),
    ("strip: a lone suffix word stays", "LLC", STRIP, "valid", "LLC"),
    ("strip: a one-word name that is a suffix stays", "AB Ltd", STRIP, "fixed", "AB"),
    # --- placeholders and junk ---------------------------------------------------------------------
    ("TBD", "TBD", KEEP, "placeholder", None),
    ("n/a", "n/a", KEEP, "placeholder", None),
    ("dash", "-", KEEP, "placeholder", None),
    ("question marks", "???", KEEP, "placeholder", None),
    ("placeholder with a suffix", "N/A Inc", KEEP, "placeholder", None),
    ("Unknown Company", "Unknown Company", NORMALIZE, "placeholder", None),
    ("Test Company", "Test Company", STRIP, "placeholder", None),
    ("placeholder behind two suffixes", "TBD Inc. Ltd", KEEP, "placeholder", None),
    ("X is a real company", "X", KEEP, "valid", "X"),
    ("ABC is a real company", "ABC", KEEP, "valid", "ABC"),
    ("Self is a real answer", "Self", KEEP, "valid", "Self"),
    ("X Corp is a real company", "X Corp", STRIP, "fixed", "X"),
    ("no letters or digits", ",", KEEP, "invalid", None),
    ("only punctuation", "&&", KEEP, "invalid", None),
    ("empty", "", KEEP, "empty", None),
    ("white space only", " \t ", STRIP, "empty", None),
]  # fmt: skip


@pytest.mark.parametrize(("description", "raw", "args", "status", "value"), CASES, ids=[c[0] for c in CASES])
def test_normalize_company_name(
    description: str, raw: str, args: dict[str, SuffixPolicy], status: str, value: str | None
) -> None:
    result = normalize_company_name(raw, **args)

    assert (result.status, result.value) == (status, value), result.reason
    if value is not None:  # idempotent
        again = normalize_company_name(value, **args)
        assert (again.status, again.value) == ("valid", value)


def test_the_legal_suffix_is_reported_as_typed() -> None:
    assert normalize_company_name("Acme, L.L.C.").extra["legal_suffix"] == "L.L.C"
    assert normalize_company_name("Acme GmbH & Co. KG", "strip").extra["legal_suffix"] == "GmbH & Co. KG"
    assert "legal_suffix" not in normalize_company_name("Acme & Co").extra


@pytest.mark.parametrize(
    ("names", "key"),
    [
        (
            [
                "Acme, Inc.",
                "ACME Inc",
                "acme",
                "Acme  Inc.",
                "Acme , Inc .",
                "ACME L.L.C.",
                "Acme GmbH & Co. KG",
            ],
            "acme",
        ),
        (["Acme Corp", "Acme Corporation", "Acme Co.", "Acme & Co"], "acme"),
        (["Procter & Gamble Co.", "Procter and Gamble", "PROCTER & GAMBLE"], "procter and gamble"),
        (["Bank of America Corporation", "Bank of America, N.A."], "bank of america"),
        (["Acme (UK) Ltd"], "acme uk"),
        (["Amazon.com, Inc."], "amazon com"),
        (["Acme Holdings Inc"], "acme holdings"),
        (["", "  "], ""),
    ],
)
def test_company_key_groups_spellings_of_one_company(names: list[str], key: str) -> None:
    assert {company_key(name) for name in names} == {key}


def test_company_key_keeps_different_companies_apart() -> None:
    assert company_key("Acme Inc.") != company_key("Acme Holdings Inc.")
    assert company_key("Apex LLC") != company_key("Acme LLC")
