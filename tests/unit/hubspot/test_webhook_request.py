"""The webhook request read from API Gateway events: the URL exactly as called, or its possible forms."""

from __future__ import annotations

import pytest

from crm_hygiene.errors import InputError
from crm_hygiene.local.api_gateway import proxy_event
from crm_hygiene.local.fake_hubspot import webhooks as fake_signer
from crm_hygiene.webhooks import verify_signature
from crm_hygiene.webhooks.request import crm_of, from_api_gateway

SECRET = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
STAMP = "1693657560000"
BODY = b'[{"eventId": 1}]'


@pytest.mark.parametrize(
    ("description", "query"),
    [
        ("percent-encoded reserved characters", "token=a%2Fb%3Dc"),
        ("a space as %20 and a plus kept", "q=a%20b%2Bc"),
        ("a space as +", "q=a+b"),
        ("a repeated key", "tag=x&tag=y"),
        ("a bare key", "flag&x=1"),
        ("an empty value", "empty=&x=1"),
        ("unencoded reserved characters", "next=/a/b:c@d"),
        ("lower-case escapes", "token=a%2fb"),
    ],
)
def test_a_rest_event_rebuilds_the_signed_url_from_its_decoded_parameters(
    description: str, query: str
) -> None:
    # Given HubSpot signed the URL as called (v3 over method + URI + body + timestamp), with the fake's signer
    url = f"http://127.0.0.1:3000/webhooks/hubspot?{query}"
    signature = fake_signer.sign_v3(SECRET, "POST", url, BODY, STAMP)
    headers = {
        "X-HubSpot-Signature-v3": signature,
        "X-HubSpot-Request-Timestamp": STAMP,
        "Host": "127.0.0.1:3000",
    }
    # When API Gateway (the local stand-in builds the REST v1 event the same way) hands it over decoded
    request = from_api_gateway(proxy_event("POST", f"/webhooks/hubspot?{query}", headers, BODY))
    # Then one of the request's URL forms is the signed one
    check = verify_signature(secrets=[SECRET], method="POST", uri=request.uris, body=BODY,
                             headers=request.headers, now_ms=int(STAMP))  # fmt: skip
    assert check.ok, (description, request.uris)
    assert len(request.uris) <= 10


def test_an_http_api_event_gives_the_url_exactly() -> None:
    event = {"version": "2.0", "rawPath": "/prod/webhooks/hubspot", "rawQueryString": "a=1&b=%2F&a=3",
             "headers": {"host": "abc.execute-api.eu-west-1.amazonaws.com"}, "body": "[]",
             "requestContext": {"http": {"method": "POST"}}, "pathParameters": {"crm": "hubspot"}}  # fmt: skip
    request = from_api_gateway(event)
    assert request.uris == (
        "https://abc.execute-api.eu-west-1.amazonaws.com/prod/webhooks/hubspot?a=1&b=%2F&a=3",
    )
    assert request.method == "POST" and request.body == b"[]" and crm_of(event) == "hubspot"


def test_a_body_marked_base64_that_is_not_is_refused() -> None:
    with pytest.raises(InputError):
        from_api_gateway({"httpMethod": "POST", "isBase64Encoded": True, "body": "***", "headers": {}})
