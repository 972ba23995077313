"""Email addresses: trimmed, domain in lower case, local part untouched."""

from __future__ import annotations

import pytest

from crm_hygiene.normalize.email import normalize_email

# (description, input, args, expected status, expected value)
CASES: list[tuple[str, str, dict[str, str], str, str | None]] = [
    # --- already standard ----------------------------------------------------------------------------
    ("plain address", "john@acme.com", {}, "valid", "john@acme.com"),
    ("plus tag kept", "john+crm@acme.com", {}, "valid", "john+crm@acme.com"),
    ("local part case kept", "John.Smith@acme.com", {}, "valid", "John.Smith@acme.com"),
    ("two-letter TLD", "john@a.io", {}, "valid", "john@a.io"),
    ("second-level country suffix", "john@acme.co.uk", {}, "valid", "john@acme.co.uk"),
    ("one-letter local part", "a@b.com", {}, "valid", "a@b.com"),
    ("64-character local part", "x" * 64 + "@acme.com", {}, "valid", "x" * 64 + "@acme.com"),
    ("internationalized local part", "jöhn@acme.com", {}, "valid", "jöhn@acme.com"),
    ("IDN domain in Unicode", "john@münchen.de", {}, "valid", "john@münchen.de"),
    ("IDN top-level domain", "john@acme.рф", {}, "valid", "john@acme.рф"),
    ("test@ at a real company is a real mailbox", "test@acme.com", {}, "valid", "test@acme.com"),
    # --- case and white space -----------------------------------------------------------------------
    ("domain in upper case", "John.Smith@ACME.COM", {}, "fixed", "John.Smith@acme.com"),
    ("all upper case: only the domain is lowered", "JOHN@ACME.COM", {}, "fixed", "JOHN@acme.com"),
    ("mixed-case TLD", "john@acme.COM", {}, "fixed", "john@acme.com"),
    ("subdomain in upper case", "john@sub.ACME.com", {}, "fixed", "john@sub.acme.com"),
    ("surrounding spaces", " john@acme.com ", {}, "fixed", "john@acme.com"),
    ("tab and newline", "\tjohn@acme.com\n", {}, "fixed", "john@acme.com"),
    ("spaces around @", "john @ acme.com", {}, "fixed", "john@acme.com"),
    ("space before the TLD dot", "john@acme .com", {}, "fixed", "john@acme.com"),
    ("space after the TLD dot", "john@acme. com", {}, "fixed", "john@acme.com"),
    ("zero-width space pasted from a web page", "john@acme.com\u200b", {}, "fixed", "john@acme.com"),
    ("space inside the local part", "jo hn@acme.com", {}, "invalid", None),
    # --- wrapping ------------------------------------------------------------------------------------
    ("mailto: prefix", "mailto:john@acme.com", {}, "fixed", "john@acme.com"),
    ("MAILTO: in upper case", "MAILTO:john@acme.com", {}, "fixed", "john@acme.com"),
    ("angle brackets", "<john@acme.com>", {}, "fixed", "john@acme.com"),
    ("display name and angle brackets", "John Smith <john@acme.com>", {}, "fixed", "john@acme.com"),
    ("quoted display name", '"Smith, John" <john@acme.com>', {}, "fixed", "john@acme.com"),
    ("mailto inside angle brackets", "<mailto:john@acme.com>", {}, "fixed", "john@acme.com"),
    ("angle brackets after mailto", "mailto:<john@acme.com>", {}, "fixed", "john@acme.com"),
    ("stray closing bracket", "john@acme.com>", {}, "invalid", None),
    # --- typos ---------------------------------------------------------------------------------------
    ("comma for the TLD dot", "john@acme,com", {}, "fixed", "john@acme.com"),
    ("double dot in the domain", "john@acme..com", {}, "fixed", "john@acme.com"),
    ("double dot in the local part", "john..smith@acme.com", {}, "fixed", "john.smith@acme.com"),
    ("trailing dot", "john@acme.com.", {}, "fixed", "john@acme.com"),
    ("missing @", "johnacme.com", {}, "invalid", None),
    ("double @", "john@@acme.com", {}, "invalid", None),
    ("missing domain", "john@", {}, "invalid", None),
    ("missing local part", "@acme.com", {}, "invalid", None),
    ("missing TLD", "john@acme", {}, "invalid", None),
    ("one-letter TLD", "john@acme.c", {}, "invalid", None),
    ("numeric TLD", "john@acme.123", {}, "invalid", None),
    ("IP address", "john@192.168.0.1", {}, "invalid", None),
    ("IP literal", "john@[192.168.0.1]", {}, "invalid", None),
    ("dot before @", "john.@acme.com", {}, "invalid", None),
    ("leading dot", ".john@acme.com", {}, "invalid", None),
    ("hyphen opening the domain", "john@-acme.com", {}, "invalid", None),
    ("hyphen closing a label", "john@acme-.com", {}, "invalid", None),
    ("65-character local part", "x" * 65 + "@acme.com", {}, "invalid", None),
    ("two addresses with a comma", "john@acme.com, jane@acme.com", {}, "invalid", None),
    ("two addresses with a semicolon", "john@acme.com;jane@acme.com", {}, "invalid", None),
    # --- quoted local parts (judgement: RFC-valid but refused by CRMs and ESPs) ---------------------------
    ("quoted local part with a space", '"john smith"@acme.com', {}, "invalid", None),
    ("needlessly quoted local part", '"john"@acme.com', {}, "invalid", None),
    # --- IDN forms: one spelling per mailbox ---------------------------------------------------------
    ("punycode domain to Unicode", "john@xn--mnchen-3ya.de", {}, "fixed", "john@münchen.de"),
    ("upper-case IDN", "john@MÜNCHEN.DE", {}, "fixed", "john@münchen.de"),
    ("punycode TLD to Unicode", "john@ACME.xn--p1ai", {}, "fixed", "john@acme.рф"),
    ("full-width letters in the domain", "john@acme.ｃom", {}, "fixed", "john@acme.com"),
    # --- special-use and reserved names -------------------------------------------------------------
    ("example.com", "john@example.com", {}, "placeholder", None),
    (".example TLD", "john@acme.example", {}, "placeholder", None),
    (".test TLD", "john@acme.test", {}, "placeholder", None),
    (".test TLD in upper case", "John@ACME.TEST", {}, "placeholder", None),
    (".invalid TLD", "x@y.invalid", {}, "placeholder", None),
    (".local TLD", "john@acme.local", {}, "invalid", None),
    ("localhost", "john@localhost", {}, "invalid", None),
    (".onion TLD", "john@acme.onion", {}, "invalid", None),
    (".arpa TLD", "john@acme.arpa", {}, "invalid", None),
    (".internal TLD", "john@acme.internal", {}, "invalid", None),
    # --- placeholders ----------------------------------------------------------------------------------
    ("test@test.com", "test@test.com", {}, "placeholder", None),
    ("none@none.com", "none@none.com", {}, "placeholder", None),
    ("noemail@noemail.com", "noemail@noemail.com", {}, "placeholder", None),
    ("x@x.com", "x@x.com", {}, "placeholder", None),
    ("email@email.com", "email@email.com", {}, "placeholder", None),
    ("user@domain.com", "user@domain.com", {}, "placeholder", None),
    ("anything at a placeholder domain", "jane.doe@noemail.com", {}, "placeholder", None),
    ("placeholder with a plus tag", "test+1@test.com", {}, "placeholder", None),
    ("n/a", "n/a", {}, "placeholder", None),
    ("none", "none", {}, "placeholder", None),
    ("dash", "-", {}, "placeholder", None),
    ("disposable domain", "john@mailinator.com", {}, "placeholder", None),
    ("disposable domain in upper case", "john@MAILINATOR.COM", {}, "placeholder", None),
    ("empty", "", {}, "empty", None),
    ("white space only", " \t ", {}, "empty", None),
]  # fmt: skip


@pytest.mark.parametrize(("description", "raw", "args", "status", "value"), CASES, ids=[c[0] for c in CASES])
def test_normalize_email(
    description: str, raw: str, args: dict[str, str], status: str, value: str | None
) -> None:
    result = normalize_email(raw, **args)

    assert (result.status, result.value) == (status, value), result.reason
    if value is not None:  # idempotent
        again = normalize_email(value)
        assert (again.status, again.value) == ("valid", value)


@pytest.mark.parametrize(
    ("raw", "flags"),
    [
        ("info@acme.com", {"role"}),
        ("Sales+eu@acme.com", {"role"}),
        ("no-reply@acme.com", {"role"}),
        ("john@gmail.com", {"free_mail"}),
        ("support@GMAIL.com", {"role", "free_mail"}),
        ("john@yahoo.co.uk", {"free_mail"}),
        ("john@acme.com", set()),
        ("information@acme.com", set()),
        ("john@mailinator.com", {"disposable"}),
    ],
)
def test_flags(raw: str, flags: set[str]) -> None:
    assert normalize_email(raw).flags == flags


def test_repairs_are_less_certain_than_case_fixes() -> None:
    repaired = normalize_email("john@acme,com")
    lowered = normalize_email("john@ACME.com")

    assert repaired.confidence < lowered.confidence < 1.0


def test_extra_domain_is_the_normalized_domain() -> None:
    assert normalize_email("John@ACME.co.uk").extra["domain"] == "acme.co.uk"
    assert normalize_email("john@xn--mnchen-3ya.de").extra["domain"] == "münchen.de"
