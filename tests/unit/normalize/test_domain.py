"""Websites and domains: the lowercase host without scheme, "www.", port, path or query."""

from __future__ import annotations

import pytest

from crm_hygiene.normalize.domain import normalize_domain

# (description, input, args, expected status, expected value)
CASES: list[tuple[str, str, dict[str, str], str, str | None]] = [
    # --- already standard ----------------------------------------------------------------------------
    ("bare domain", "acme.com", {}, "valid", "acme.com"),
    ("subdomain kept", "blog.acme.com", {}, "valid", "blog.acme.com"),
    ("co.uk suffix", "acme.co.uk", {}, "valid", "acme.co.uk"),
    ("com.au suffix", "acme.com.au", {}, "valid", "acme.com.au"),
    ("new gTLD", "acme.io", {}, "valid", "acme.io"),
    ("one-letter label", "a.com", {}, "valid", "a.com"),
    ("digits only label", "123.com", {}, "valid", "123.com"),
    ("hyphen inside a label", "a-b.com", {}, "valid", "a-b.com"),
    ("63-character label", "a" * 63 + ".com", {}, "valid", "a" * 63 + ".com"),
    ("www inside a word is not a prefix", "wwwacme.com", {}, "valid", "wwwacme.com"),
    ("www2 inside a word is not a prefix", "www2acme.com", {}, "valid", "www2acme.com"),
    ("IDN in Unicode", "münchen.de", {}, "valid", "münchen.de"),
    ("hosted subdomain", "acme.github.io", {}, "valid", "acme.github.io"),
    # --- case, scheme, www ---------------------------------------------------------------------------
    ("capitalized", "Acme.com", {}, "fixed", "acme.com"),
    ("upper case", "ACME.COM", {}, "fixed", "acme.com"),
    ("www.", "www.acme.com", {}, "fixed", "acme.com"),
    ("WWW. in caps", "WWW.ACME.COM", {}, "fixed", "acme.com"),
    ("title case", "Www.Acme.Com", {}, "fixed", "acme.com"),
    ("www2.", "www2.acme.com", {}, "fixed", "acme.com"),
    ("www3. on co.uk", "www3.acme.co.uk", {}, "fixed", "acme.co.uk"),
    ("www. twice", "www.www.acme.com", {}, "fixed", "acme.com"),
    ("www. on com.au", "www.acme.com.au", {}, "fixed", "acme.com.au"),
    ("http", "http://acme.com", {}, "fixed", "acme.com"),
    ("https, www and slash", "https://www.acme.com/", {}, "fixed", "acme.com"),
    ("scheme in caps", "HTTP://ACME.COM", {}, "fixed", "acme.com"),
    ("ftp scheme", "ftp://acme.com", {}, "fixed", "acme.com"),
    ("protocol-relative", "//acme.com", {}, "fixed", "acme.com"),
    # --- path, query, fragment, port, credentials ------------------------------------------------------
    ("path, query and fragment", "https://www.Acme.com/about?x=1#top", {}, "fixed", "acme.com"),
    ("trailing slash", "acme.com/", {}, "fixed", "acme.com"),
    ("locale path", "acme.com/en-us/", {}, "fixed", "acme.com"),
    ("page", "http://www.acme.com/index.html", {}, "fixed", "acme.com"),
    ("query without a path", "acme.com?utm=1", {}, "fixed", "acme.com"),
    ("fragment without a path", "acme.com#x", {}, "fixed", "acme.com"),
    ("port", "acme.com:8080", {}, "fixed", "acme.com"),
    ("port and path", "https://acme.com:443/path", {}, "fixed", "acme.com"),
    ("backslash typed for a slash", "https://acme.com\\", {}, "fixed", "acme.com"),
    ("credentials", "http://user:pass@acme.com/", {}, "fixed", "acme.com"),
    ("path with a space", "https://acme.com/path with space", {}, "fixed", "acme.com"),
    ("subdomain kept under a scheme", "https://blog.acme.com/post", {}, "fixed", "blog.acme.com"),
    # --- wrapping and stray punctuation ---------------------------------------------------------------
    ("leading dot", ".acme.com", {}, "fixed", "acme.com"),
    ("trailing dot (root)", "acme.com.", {}, "fixed", "acme.com"),
    ("trailing comma", "acme.com,", {}, "fixed", "acme.com"),
    ("trailing semicolon", "acme.com;", {}, "fixed", "acme.com"),
    ("double quotes", '"acme.com"', {}, "fixed", "acme.com"),
    ("angle brackets", "<acme.com>", {}, "fixed", "acme.com"),
    ("surrounding spaces", "  acme.com  ", {}, "fixed", "acme.com"),
    # --- IDN: one spelling per host ---------------------------------------------------------------------
    ("IDN in caps", "MÜNCHEN.DE", {}, "fixed", "münchen.de"),
    ("punycode to Unicode", "xn--mnchen-3ya.de", {}, "fixed", "münchen.de"),
    ("punycode with a path", "https://www.xn--mnchen-3ya.de/path", {}, "fixed", "münchen.de"),
    ("full-width letters", "ａｃｍｅ.com", {}, "fixed", "acme.com"),
    ("broken punycode", "xn--.com", {}, "invalid", None),
    # --- an email address in the website field ----------------------------------------------------------
    ("email address", "john@acme.com", {}, "fixed", "acme.com"),
    ("mailto: email address", "mailto:john@acme.com", {}, "fixed", "acme.com"),
    # --- social and profile URLs are not the company's website ----------------------------------------
    ("LinkedIn company page", "linkedin.com/company/acme", {}, "invalid", None),
    ("LinkedIn with scheme and www", "https://www.linkedin.com/company/acme", {}, "invalid", None),
    ("Facebook page", "facebook.com/acme", {}, "invalid", None),
    ("X profile", "x.com/acme", {}, "invalid", None),
    ("GitHub organisation", "github.com/acme", {}, "invalid", None),
    ("link shortener", "bit.ly/abc", {}, "invalid", None),
    ("Wix site", "acme.wixsite.com/acme", {}, "invalid", None),
    ("Google Sites", "sites.google.com/view/acme", {}, "invalid", None),
    ("bare platform domain (judgement: a lazy entry far more often than the platform itself)", "linkedin.com",
     {}, "invalid", None),
    # --- not a website ----------------------------------------------------------------------------------
    ("no suffix", "acme", {}, "invalid", None),
    ("localhost", "localhost", {}, "invalid", None),
    ("unknown suffix", "acme.notatld", {}, "invalid", None),
    ("numeric suffix", "acme.123", {}, "invalid", None),
    ("one-letter suffix", "acme.c", {}, "invalid", None),
    ("www without a domain", "www.acme", {}, "invalid", None),
    ("www.com", "www.com", {}, "invalid", None),
    ("IP address", "192.168.0.1", {}, "invalid", None),
    ("IP address URL", "http://192.168.0.1/", {}, "invalid", None),
    ("underscore", "acme_corp.com", {}, "invalid", None),
    ("leading hyphen", "-acme.com", {}, "invalid", None),
    ("trailing hyphen in a label", "acme-.com", {}, "invalid", None),
    ("64-character label", "a" * 64 + ".com", {}, "invalid", None),
    ("space before the dot", "acme .com", {}, "invalid", None),
    ("space inside", "acme com", {}, "invalid", None),
    ("comma for a dot", "acme,com", {}, "invalid", None),
    ("double dot", "acme..com", {}, "invalid", None),
    ("wildcard", "*.acme.com", {}, "invalid", None),
    ("two domains", "acme.com acme.org", {}, "invalid", None),
    ("scheme only", "https://", {}, "invalid", None),
    ("a phone number", "tel:+1415", {}, "invalid", None),
    # --- placeholders ----------------------------------------------------------------------------------
    ("example.com", "example.com", {}, "placeholder", None),
    ("www.example.com", "https://www.example.com/", {}, "placeholder", None),
    ("test.com", "test.com", {}, "placeholder", None),
    ("website.com", "website.com", {}, "placeholder", None),
    ("n/a", "n/a", {}, "placeholder", None),
    ("TBD", "TBD", {}, "placeholder", None),
    ("www alone", "www", {}, "placeholder", None),
    ("none", "none", {}, "placeholder", None),
    ("empty", "", {}, "empty", None),
    ("white space only", " ", {}, "empty", None),
]  # fmt: skip


@pytest.mark.parametrize(("description", "raw", "args", "status", "value"), CASES, ids=[c[0] for c in CASES])
def test_normalize_domain(
    description: str, raw: str, args: dict[str, str], status: str, value: str | None
) -> None:
    result = normalize_domain(raw, **args)

    assert (result.status, result.value) == (status, value), result.reason
    if value is not None:  # idempotent
        again = normalize_domain(value)
        assert (again.status, again.value) == ("valid", value)


@pytest.mark.parametrize(
    ("raw", "registered"),
    [
        ("blog.acme.com", "acme.com"),
        ("https://www.shop.acme.co.uk/x", "acme.co.uk"),
        ("acme.com.au", "acme.com.au"),
        ("xn--mnchen-3ya.de", "münchen.de"),
    ],
)
def test_extra_registered_domain(raw: str, registered: str) -> None:
    assert normalize_domain(raw).extra["registered_domain"] == registered


def test_a_domain_taken_from_an_email_address_is_less_certain() -> None:
    assert normalize_domain("john@acme.com").confidence < normalize_domain("https://acme.com").confidence
