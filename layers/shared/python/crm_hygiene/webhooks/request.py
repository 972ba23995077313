"""The webhook request as the CRM sent it, read from an API Gateway proxy event.

Signatures cover the URL exactly as the CRM called it (HubSpot v3: method + URI + body + timestamp),
so the URL is never rebuilt from decoded parameters when the event carries it raw:

- **HTTP API (payload v2)** events carry ``rawPath`` and ``rawQueryString``: the URI is exactly the
  one called, encoded and repeated query values included.
- **REST API (payload v1)** events carry no raw query string, only the decoded parameters
  (``multiValueQueryStringParameters``: every value of a repeated key, in order). The URI is rebuilt
  from them in the few encodings a sender uses (RFC 3986 percent-encoding in upper or lower case,
  ``+`` for spaces, only what a query cannot hold raw, nothing encoded; a key without a value with
  or without its ``=``), keys in the order given, and the signature holds when any form matches.
  What cannot be rebuilt: repeated keys interleaved with others (``a=1&b=2&a=3``), keys in another
  order than API Gateway reports, or a mix of encodings (or of ``flag`` and ``empty=``) in one
  URL. With the REST API, keep the webhook target URL free of query strings (the stack's default
  target has none), or put an HTTP API in front of the function (docs/hubspot.md).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote, quote_plus

from pydantic import BaseModel, ConfigDict

from crm_hygiene.errors import InputError

_LOWER_ESCAPE = re.compile(r"%[0-9A-F]{2}")
# RFC 3986 sub-delims and the characters a query may hold unencoded besides the unreserved ones.
_QUERY_SAFE = "!$'()*,;:@/?"
_ENCODERS: tuple[Callable[[str], str], ...] = (
    lambda v: quote(v, safe=""),  # RFC 3986: everything but unreserved characters encoded
    lambda v: _LOWER_ESCAPE.sub(lambda m: m.group().lower(), quote(v, safe="")),  # %2f, as some send
    lambda v: quote_plus(v, safe=""),  # HTML forms: spaces as "+"
    lambda v: quote(v, safe=_QUERY_SAFE),  # only what a query cannot hold raw
    lambda v: v,  # sent unencoded
)


class WebhookRequest(BaseModel):
    """One webhook request: what a ``WebhookReceiver`` verifies and reads.

    Attributes:
        method: The HTTP method.
        uris: The URL as called (one form when the event carries it raw; the possible forms when it
            does not, see the module docstring).
        headers: Header names lower-cased.
        body: The raw body.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: str
    uris: tuple[str, ...]
    headers: dict[str, str]
    body: bytes


def crm_of(event: Mapping[str, Any]) -> str:
    """``{crm}`` of ``POST /webhooks/{crm}``."""
    crm = (event.get("pathParameters") or {}).get("crm")
    if crm:
        return str(crm)
    path = event.get("rawPath") or event.get("path") or ""
    return str(path).rstrip("/").rsplit("/", 1)[-1]


def from_api_gateway(event: Mapping[str, Any]) -> WebhookRequest:
    """The request an API Gateway proxy event (REST v1 or HTTP API v2) describes.

    Raises:
        InputError: the body is marked base64 but is not (a 400: no retry can fix it).
    """
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items() if v is not None}
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            body = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise InputError("the body is marked base64 but is not") from None
    else:
        body = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else bytes(raw)
    context = event.get("requestContext") or {}
    if "rawPath" in event or event.get("version") == "2.0":
        method = str((context.get("http") or {}).get("method") or "POST")
        query = str(event.get("rawQueryString") or "")
        uris: tuple[str, ...] = (_origin(headers, context) + str(event.get("rawPath") or "") + _q(query),)
    else:
        method = str(event.get("httpMethod") or "POST")
        path = str(context.get("path") or event.get("path") or "")
        uris = tuple(_origin(headers, context) + path + _q(q) for q in _queries(event))
    return WebhookRequest(method=method, uris=uris, headers=headers, body=body)


def _origin(headers: Mapping[str, str], context: Mapping[str, Any]) -> str:
    scheme = headers.get("x-forwarded-proto", "https")
    host = headers.get("host") or str(context.get("domainName") or "")
    return f"{scheme}://{host}"


def _q(query: str) -> str:
    return f"?{query}" if query else ""


def _queries(event: Mapping[str, Any]) -> list[str]:
    """The query strings a REST (v1) event's decoded parameters may have come from, no repeats."""
    multi = event.get("multiValueQueryStringParameters")
    if not multi:
        single = event.get("queryStringParameters") or {}
        multi = {k: [v] for k, v in single.items()}
    pairs: Sequence[tuple[str, str]] = [(str(k), str(v)) for k, vs in multi.items() for v in vs or [""]]
    forms: list[str] = []
    for encode in _ENCODERS:
        for bare in (False, True):  # "?flag" and "?flag=" both reach the function as flag: ""
            query = "&".join(encode(k) if bare and not v else f"{encode(k)}={encode(v)}" for k, v in pairs)
            if query not in forms:
                forms.append(query)
    return forms
