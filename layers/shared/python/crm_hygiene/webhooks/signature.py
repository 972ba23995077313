"""HubSpot request signatures (crm-apis.md A.14): v3 by default, v1/v2 only when configured.

v3 = base64(HMAC-SHA256(client secret, METHOD + URI + body + timestamp)) with a 5-minute timestamp
window; v2 = hex(SHA-256(secret + METHOD + URI + body)); v1 = hex(SHA-256(secret + body)). v1 and v2
carry no timestamp, so a captured request can be replayed: accept them only for old apps.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

SignatureVersion = Literal["v1", "v2", "v3"]
V3_ONLY: Final[tuple[SignatureVersion, ...]] = ("v3",)
MAX_AGE_MS: Final = 300_000
# HubSpot's docs ask to decode these percent-encoded characters in the URI before signing v3 (the
# exact list is unconfirmed, crm-apis.md Part F): both the URI as received and this form are tried.
_DECODE: Final = {"%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$", "%27": "'",
                  "%28": "(", "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";"}  # fmt: skip


def sign_v3(secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    source = method.upper().encode() + uri.encode() + body + timestamp.encode()
    return base64.b64encode(hmac.new(secret.encode(), source, hashlib.sha256).digest()).decode()


def sign_v2(secret: str, method: str, uri: str, body: bytes) -> str:
    return hashlib.sha256(secret.encode() + method.upper().encode() + uri.encode() + body).hexdigest()


def sign_v1(secret: str, body: bytes) -> str:
    return hashlib.sha256(secret.encode() + body).hexdigest()


@dataclass(frozen=True)
class SignatureCheck:
    """Whether a request is HubSpot's; ``reason`` says why not (safe to log: no secrets, no body)."""

    ok: bool
    version: SignatureVersion | None = None
    reason: str = ""


def _uri_forms(uri: str | Sequence[str]) -> list[str]:
    """Each URI as given, then with the characters HubSpot's docs list decoded; no repeats."""
    forms: list[str] = []
    for given in [uri] if isinstance(uri, str) else uri:
        decoded = given
        for encoded, char in _DECODE.items():
            decoded = decoded.replace(encoded, char).replace(encoded.lower(), char)
        forms.extend(f for f in (given, decoded) if f not in forms)
    return forms


def _matches(candidates: Sequence[str], given: str) -> bool:
    results = [
        hmac.compare_digest(c.encode(), given.encode()) for c in candidates
    ]  # all compared: no early exit
    return any(results)


def verify_signature(
    *, secrets: Sequence[str], method: str, uri: str | Sequence[str], body: bytes,
    headers: Mapping[str, str], now_ms: int, versions: Collection[SignatureVersion] = V3_ONLY,
    max_age_ms: int = MAX_AGE_MS,
) -> SignatureCheck:  # fmt: skip
    """Checks a webhook request against every client secret (more than one while rotating).

    A request with a v3 signature is judged by v3 alone; v1/v2 are looked at only when no v3
    signature came and the version is allowed. ``uri`` is the URL exactly as HubSpot called it; a
    caller that cannot know it exactly (an API Gateway REST event holds the query string decoded)
    passes its few possible forms, and the request is HubSpot's when any of them matches.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    given = lowered.get("x-hubspot-signature-v3", "").strip()
    if given and "v3" in versions:
        stamp = lowered.get("x-hubspot-request-timestamp", "").strip()
        if not stamp.isdigit():
            return SignatureCheck(False, "v3", "missing or unreadable X-HubSpot-Request-Timestamp")
        if abs(now_ms - int(stamp)) > max_age_ms:
            return SignatureCheck(False, "v3", "timestamp outside the 5-minute window (replay or clock skew)")
        candidates = [sign_v3(s, method, u, body, stamp) for s in secrets for u in _uri_forms(uri)]
        ok = _matches(candidates, given)
        return SignatureCheck(ok, "v3", "" if ok else "signature v3 does not match")
    return _legacy(secrets, method, uri, body, lowered, versions)


def _legacy(
    secrets: Sequence[str], method: str, uri: str | Sequence[str], body: bytes, headers: Mapping[str, str],
    versions: Collection[SignatureVersion],
) -> SignatureCheck:  # fmt: skip
    given = headers.get("x-hubspot-signature", "").strip().lower()
    version = headers.get("x-hubspot-signature-version", "v1").strip().lower()
    if not given or version not in versions or version not in ("v1", "v2"):
        return SignatureCheck(False, None, "no signature of an accepted version")
    checked: SignatureVersion = "v1" if version == "v1" else "v2"
    if checked == "v1":
        candidates = [sign_v1(s, body) for s in secrets]
    else:
        candidates = [sign_v2(s, method, u, body) for s in secrets for u in _uri_forms(uri)]
    ok = _matches(candidates, given)
    return SignatureCheck(ok, checked, "" if ok else f"signature {checked} does not match")
