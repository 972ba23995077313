"""Websites and company domains: the lowercase host without scheme, "www.", port or path.

Public suffixes come from tldextract's bundled snapshot; nothing is ever fetched. Subdomains other
than "www" are kept ("blog.acme.com" may be a different business unit). Internationalized hosts are
kept in their Unicode form ("xn--mnchen-3ya.de" becomes "münchen.de"), as the email normalizer does.
A page on a social or hosting platform ("linkedin.com/company/acme") is not a company website.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

from crm_hygiene.normalize.base import EMPTY, Normalized, invalid, placeholder, result
from crm_hygiene.normalize.placeholder import is_placeholder

_SCHEME = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
# Letters and digits of any script, hyphens inside labels; no underscore (not allowed in host names).
_HOST_OK = re.compile(r"(?:[^\W_](?:[^\W_]|-){0,62}(?<!-)\.)+[^\W_](?:[^\W_]|-){1,62}")
# Wrapping typed or pasted around a URL: quotes, angle brackets, a trailing comma or semicolon.
_WRAPPING = re.compile(r"^[\"'<(\[]+|[\"'>)\],;]+$")
_PATH_START = re.compile(r"[/?#\\]")
_WWW = re.compile(r"^(?:www\d*\.)+")  # "www.", "www2.", even "www.www."
_PLACEHOLDER_HOSTS = frozenset(
    {"example.com", "example.org", "example.net", "test.com", "domain.com", "website.com"}
)
# A profile page on these is not the company's own website: stripping the path would be wrong.
_PLATFORMS = frozenset(
    {"linkedin.com", "facebook.com", "twitter.com", "x.com", "instagram.com", "youtube.com", "tiktok.com",
     "crunchbase.com", "google.com", "goo.gl", "bit.ly", "wixsite.com", "yelp.com", "angel.co", "github.com"}
)  # fmt: skip


@lru_cache(maxsize=1)
def _extractor() -> Any:
    import tldextract

    # An empty URL list means "use the bundled public-suffix snapshot": no network, no cache dir.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def _host_of(text: str) -> tuple[str, bool]:
    """The host part of a URL-ish string; the flag says whether anything but the host was removed."""
    unwrapped = _WRAPPING.sub("", text).strip()
    trimmed = unwrapped != text
    text = unwrapped
    if text[:7].lower() == "mailto:":
        text, trimmed = text[7:], True
    if "@" in text and "/" not in text.split("@", 1)[0]:
        text = text.rsplit("@", 1)[1]  # an email address typed into the website field
        trimmed = True
    stripped = _SCHEME.sub("", text)
    trimmed = trimmed or stripped != text
    host = _PATH_START.split(stripped, maxsplit=1)[0]
    trimmed = trimmed or host != stripped
    if "@" in host:  # user:password@host
        host, trimmed = host.rsplit("@", 1)[1], True
    if ":" in host:
        host, trimmed = host.split(":", 1)[0], True
    return _unicode_host(host.strip(".").lower()), trimmed


def _unicode_host(host: str) -> str:
    """One spelling per host: NFKC ("ａｃｍｅ" -> "acme"), punycode labels decoded to Unicode."""
    if not host.isascii():
        host = unicodedata.normalize("NFKC", host).lower()
    if "xn--" not in host:
        return host
    labels = []
    for label in host.split("."):
        if label.startswith("xn--"):
            try:
                label = label[4:].encode("ascii").decode("punycode")
            except UnicodeError:
                return ""  # not valid punycode: not a host
        labels.append(label)
    return ".".join(labels)


@lru_cache(maxsize=65536)
def normalize_domain(raw: str) -> Normalized:
    """Normalizes a website URL or a domain to its host (``https://www.Acme.com/about`` -> ``acme.com``)."""
    text = raw.strip()
    if not text:
        return EMPTY
    if is_placeholder(text, "domain"):
        return placeholder("placeholder website value")
    host, trimmed = _host_of(text)
    host = _WWW.sub("", host)
    if not host or not _HOST_OK.fullmatch(host):
        return invalid("not a website or domain")
    parts = _extractor()(host)
    if not parts.suffix or not parts.domain:
        return invalid(f"{host!r} has no known public suffix")
    if host in _PLACEHOLDER_HOSTS:
        return placeholder("placeholder website")
    registered = f"{parts.domain}.{parts.suffix}"
    if registered in _PLATFORMS:
        return invalid(f"a page on {registered}, not the company's own website")
    confidence = 0.95 if "@" in text else 0.99
    why = "kept the lowercase host only" if trimmed or host != text else "lower-cased"
    return result(raw, host, confidence, why, extra={"registered_domain": registered})
