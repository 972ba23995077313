"""Signatures: the documented test vectors (crm-apis.md A.14), for the receiver's signer and the fake's."""

from __future__ import annotations

from collections.abc import Collection

import pytest

from crm_hygiene.local.fake_hubspot import webhooks as fake_signer
from crm_hygiene.webhooks import SignatureCheck, sign_v1, sign_v2, sign_v3, verify_signature
from crm_hygiene.webhooks.signature import V3_ONLY, SignatureVersion

SECRET = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
BODY = b"{'example_field':'example_value'}"
URI = "https://www.example.com/webhook_uri"
STAMP = "1693657560000"
V3 = "K36dawei4A+QBNolUOqo7s91KQDWQ5MXZ/QufNYuk/Y="
V1: tuple[SignatureVersion, ...] = ("v1",)
V2: tuple[SignatureVersion, ...] = ("v2",)


def test_documented_vectors() -> None:
    assert sign_v1(SECRET, BODY) == "69fc6631a867edd4f9e9e627fc5c1148e3fbdd8b21837b6d2b8901c1fa57f750"
    assert (
        sign_v2(SECRET, "POST", URI, BODY)
        == "4fe4e3a7d3cf09db53be39d0a58130e2aaba074ec123a9e355b876a689a1c383"
    )
    assert (
        sign_v2(SECRET, "GET", URI, b"") == "eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e"
    )
    assert sign_v3(SECRET, "POST", URI, BODY, STAMP) == V3


def test_the_fakes_own_signer_meets_the_same_vectors() -> None:
    assert fake_signer.sign_v3(SECRET, "POST", URI, BODY, STAMP) == V3
    assert (
        fake_signer.sign_v1(SECRET, BODY)
        == "69fc6631a867edd4f9e9e627fc5c1148e3fbdd8b21837b6d2b8901c1fa57f750"
    )


def check(
    headers: dict[str, str],
    *,
    now_ms: int = int(STAMP) + 1000,
    versions: Collection[SignatureVersion] = V3_ONLY,
) -> SignatureCheck:
    return verify_signature(
        secrets=[SECRET], method="POST", uri=URI, body=BODY, headers=headers, now_ms=now_ms, versions=versions
    )


V3_HEADERS = {"X-HubSpot-Signature-v3": V3, "X-HubSpot-Request-Timestamp": STAMP}


@pytest.mark.parametrize(
    ("description", "headers", "now_ms", "ok"),
    [
        ("the documented request", V3_HEADERS, int(STAMP) + 1000, True),
        ("header names in any case", {k.lower(): v for k, v in V3_HEADERS.items()}, int(STAMP), True),
        ("4 min 59 s old", V3_HEADERS, int(STAMP) + 299_000, True),
        ("over 5 minutes old: a replay", V3_HEADERS, int(STAMP) + 300_001, False),
        ("from the future beyond the window", V3_HEADERS, int(STAMP) - 300_001, False),
        ("forged signature", {**V3_HEADERS, "X-HubSpot-Signature-v3": "A" + V3[1:]}, int(STAMP), False),
        (
            "timestamp changed after signing",
            {**V3_HEADERS, "X-HubSpot-Request-Timestamp": str(int(STAMP) + 1)},
            int(STAMP),
            False,
        ),
        ("no timestamp", {"X-HubSpot-Signature-v3": V3}, int(STAMP), False),
        ("no signature at all", {}, int(STAMP), False),
    ],
)
def test_v3_verification(description: str, headers: dict[str, str], now_ms: int, ok: bool) -> None:
    assert check(headers, now_ms=now_ms).ok is ok, description


def test_v1_and_v2_only_when_configured() -> None:
    v1 = {"X-HubSpot-Signature": sign_v1(SECRET, BODY), "X-HubSpot-Signature-Version": "v1"}
    v2 = {"X-HubSpot-Signature": sign_v2(SECRET, "POST", URI, BODY), "X-HubSpot-Signature-Version": "v2"}
    assert not check(v1).ok
    assert not check(v2).ok
    assert check(v1, versions=V1).ok
    assert check(v2, versions=V2).ok
    assert not check(v2, versions=V1).ok


def test_a_bad_v3_signature_is_not_rescued_by_a_valid_v1() -> None:
    headers = {**V3_HEADERS, "X-HubSpot-Signature-v3": "forged", "X-HubSpot-Signature": sign_v1(SECRET, BODY)}
    assert not check(headers, versions=(*V1, *V3_ONLY)).ok


def test_rotated_secrets_and_percent_encoded_uris() -> None:
    uri = "https://hooks.example.com/hubspot?portal=1&tag=a:b"
    stamp = STAMP
    signature = sign_v3("new-secret", "POST", uri, BODY, stamp)
    headers = {"X-HubSpot-Signature-v3": signature, "X-HubSpot-Request-Timestamp": stamp}
    result = verify_signature(
        secrets=["old-secret", "new-secret"], method="POST", uri=uri.replace(":b", "%3Ab"), body=BODY,
        headers=headers, now_ms=int(stamp),
    )  # fmt: skip
    assert result.ok and result.version == "v3"
