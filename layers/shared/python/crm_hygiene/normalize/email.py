"""Email addresses: trimmed, domain lower-cased, local part kept as typed.

Syntax is checked with email-validator (no DNS). Role addresses (info@, sales@), free-mail and
disposable domains are flagged; placeholder addresses (test@test.com, anything at example.com or
under the reserved .example / .test / .invalid TLDs) count as missing. A few obvious typos are
repaired at a lower confidence. Internationalized domains are kept in their Unicode form
("xn--mnchen-3ya.de" becomes "münchen.de") so that one mailbox has one spelling. Quoted local parts
("john smith"@acme.com) are rejected: valid under RFC 5322 but refused by CRMs and sending tools.
"""

from __future__ import annotations

import re
from functools import lru_cache

from crm_hygiene.normalize.base import EMPTY, Normalized, fixed, invalid, placeholder, valid
from crm_hygiene.normalize.placeholder import is_placeholder

# A strict subset of valid addresses that needs no further checks: dot-atoms, an all-lowercase
# ASCII domain of two or more labels ending in an alphabetic TLD. Anything else goes to email-validator.
_FAST = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}"
)
# Reserved TLDs (RFC 2606 / 6761 / 6762 / 7686): documentation and test names are stand-ins,
# the others can never receive mail from the internet.
_PLACEHOLDER_TLDS = frozenset({"test", "example", "invalid"})
_SPECIAL_TLDS = frozenset({"localhost", "local", "onion", "arpa", "internal", "home", "lan", "corp"})
_LOCAL_MAX = 64

ROLE_LOCAL_PARTS = frozenset(
    {
        "info", "sales", "support", "admin", "administrator", "contact", "hello", "office", "help",
        "billing", "accounts", "accounting", "marketing", "team", "hr", "jobs", "careers", "service",
        "enquiries", "inquiries", "webmaster", "postmaster", "abuse", "noreply", "no-reply", "donotreply",
        "do-not-reply", "mail", "press", "media", "legal", "finance", "reception", "orders", "general",
    }
)  # fmt: skip
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de", "ymail.com",
        "hotmail.com", "hotmail.co.uk", "hotmail.fr", "outlook.com", "live.com", "msn.com", "aol.com",
        "icloud.com", "me.com", "mac.com", "proton.me", "protonmail.com", "gmx.de", "gmx.net", "gmx.com",
        "web.de", "mail.com", "zoho.com", "yandex.ru", "yandex.com", "mail.ru", "qq.com", "163.com",
        "126.com", "orange.fr", "free.fr", "laposte.net", "t-online.de", "libero.it", "btinternet.com",
        "comcast.net", "verizon.net", "att.net", "sbcglobal.net", "rediffmail.com", "fastmail.com",
        "hey.com", "tutanota.com", "naver.com", "wanadoo.fr", "bigpond.com", "shaw.ca", "rogers.com",
        "uol.com.br", "bol.com.br", "terra.com.br", "seznam.cz", "wp.pl", "o2.pl", "interia.pl",
    }
)  # fmt: skip
DISPOSABLE_DOMAINS = frozenset(
    {
        "mailinator.com", "guerrillamail.com", "guerrillamail.net", "10minutemail.com", "tempmail.com",
        "temp-mail.org", "throwawaymail.com", "yopmail.com", "trashmail.com", "getnada.com",
        "sharklasers.com", "dispostable.com", "maildrop.cc", "fakeinbox.com", "mintemail.com",
        "mailnesia.com", "spamgourmet.com", "discard.email", "emailondeck.com", "mohmal.com",
    }
)  # fmt: skip
PLACEHOLDER_DOMAINS = frozenset(
    {"example.com", "example.org", "example.net", "test.com", "email.com", "domain.com", "none.com",
     "noemail.com", "nomail.com", "abc.com", "xyz.com", "company.com", "mail.test"}
)  # fmt: skip
PLACEHOLDER_LOCAL_PARTS = frozenset(
    {"test", "none", "noemail", "no-email", "nomail", "no", "na", "n/a", "null", "unknown", "asdf", "xxx",
     "fake", "dummy", "placeholder", "sample", "abc", "a", "x", "email", "user", "name"}
)  # fmt: skip

# Typos fixed only when the result then validates: "john@acme,com", "mailto:john@acme.com",
# "John Smith <john@acme.com>", a zero-width space pasted from a web page.
_REPAIRS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[\u200b-\u200d\u2060\ufeff]"), ""),
    (re.compile(r"^[^<>@]*<([^<>]+)>$"), r"\1"),
    (re.compile(r"^mailto:", re.I), ""),
    (re.compile(r",(?=[a-z]{2,24}$)", re.I), "."),
    (re.compile(r"\.{2,}"), "."),
    (re.compile(r"\s*@\s*"), "@"),
    (re.compile(r"(?<=@)(.*?)\s*\.\s*"), r"\1."),
    (re.compile(r"\.$"), ""),
)


_NO_FLAGS: frozenset[str] = frozenset()


def _flags(local: str, domain: str) -> frozenset[str]:
    flags = set()
    base = local.split("+", 1)[0].lower()
    if base in ROLE_LOCAL_PARTS:
        flags.add("role")
    if domain in FREE_MAIL_DOMAINS:
        flags.add("free_mail")
    if domain in DISPOSABLE_DOMAINS:
        flags.add("disposable")
    return frozenset(flags) if flags else _NO_FLAGS


def _is_placeholder_address(local: str, domain: str) -> bool:
    if domain in PLACEHOLDER_DOMAINS:
        return True
    base = local.split("+", 1)[0].lower()
    label = domain.split(".", 1)[0]
    return base in PLACEHOLDER_LOCAL_PARTS and (label == base or label in PLACEHOLDER_LOCAL_PARTS)


def _tld(candidate: str) -> str:
    return candidate.rsplit("@", 1)[-1].rstrip(".").rsplit(".", 1)[-1].lower()


def _validate(candidate: str) -> tuple[str, str, str] | str:
    """(normalized, local, domain) when ``candidate`` is a valid address, else the reason it is not."""
    if _FAST.fullmatch(candidate) and len(candidate) <= 254 and candidate.index("@") <= _LOCAL_MAX:
        local, domain = candidate.rsplit("@", 1)
        if "xn--" not in domain and domain.rsplit(".", 1)[1] not in _SPECIAL_TLDS:
            return candidate, local, domain
    if _tld(candidate) in _SPECIAL_TLDS:
        return "the domain is a reserved name that cannot receive email"
    from email_validator import EmailNotValidError, validate_email

    try:
        info = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as exc:
        return str(exc)
    local_part: str = info.local_part
    domain_part: str = info.domain.lower()
    if len(local_part) > _LOCAL_MAX:
        return f"the part before the @-sign is longer than {_LOCAL_MAX} characters"
    if len(domain_part.rsplit(".", 1)[-1]) < 2:
        return "the top-level domain has a single character"
    return f"{local_part}@{domain_part}", local_part, domain_part


def _already_clean(raw: str) -> Normalized | None:
    """The common case in one pass: a plain address already in the standard format that is neither a
    placeholder nor disposable. None means "take the full path"."""
    if len(raw) > 254 or not _FAST.fullmatch(raw):
        return None
    at = raw.rindex("@")
    local, domain = raw[:at], raw[at + 1 :]
    if at > _LOCAL_MAX or "xn--" in domain:
        return None
    tld = domain[domain.rindex(".") + 1 :]
    if tld in _SPECIAL_TLDS or tld in _PLACEHOLDER_TLDS or _is_placeholder_address(local, domain):
        return None
    flags = _flags(local, domain)
    if "disposable" in flags:
        return None
    return valid(raw, flags=flags, extra={"domain": domain})


@lru_cache(maxsize=65536)
def normalize_email(raw: str) -> Normalized:
    """Normalizes one email address (see the module docstring)."""
    clean = _already_clean(raw)
    if clean is not None:
        return clean
    text = raw.strip()
    early = _missing(text)
    if early is not None:
        return early
    checked = _validate(text)
    confidence, why = 0.99, "trimmed and lower-cased the domain"
    if "xn--" in text.lower():
        why = "domain written in its Unicode form"
    if isinstance(checked, str):
        reason = checked
        repaired = _repair(text)
        checked = _validate(repaired) if repaired != text else reason
        if isinstance(checked, str):
            return invalid(f"not a valid email address: {reason}")
        confidence, why = 0.8, "repaired an obvious typo"
    value, local, domain = checked
    if _is_placeholder_address(local, domain) or _tld(domain) in _PLACEHOLDER_TLDS:
        return placeholder("placeholder email address")
    flags = _flags(local, domain)
    if "disposable" in flags:
        return placeholder("disposable email domain", flags=flags)
    extra = {"domain": domain}
    if value == raw:
        return valid(value, flags=flags, extra=extra)
    return fixed(value, confidence, why, flags=flags, extra=extra)


def _missing(text: str) -> Normalized | None:
    """Empty, or a stand-in for an address (it counts as missing); None for anything else."""
    if not text:
        return EMPTY
    if is_placeholder(text, "email"):
        return placeholder("placeholder email value")
    if "@" in text and _tld(text) in _PLACEHOLDER_TLDS:
        return placeholder("an address under a reserved test/example domain")
    return None


def _repair(text: str) -> str:
    for pattern, replacement in _REPAIRS:
        text = pattern.sub(replacement, text)
    return text.strip()
