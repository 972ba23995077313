"""The console's files through the review API: the page, its modules and styles with the right types, a
revalidating cache, the stage prefix, a strict CSP, and nothing outside ``static/`` ever served."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from console_routes import INDEX, STATIC, stage_prefix
from review_api_handler import lambda_handler, openapi_schema

from crm_hygiene.settings import clear_settings
from crm_hygiene.wiring.aws import AwsDeps
from tests.events.factory import FakeContext, api_event


def get(deps: AwsDeps, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    response = lambda_handler(api_event("GET", path, headers=headers), FakeContext(), deps=deps.review())
    out = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    out.update({k.lower(): ", ".join(v) for k, v in (response.get("multiValueHeaders") or {}).items()})
    return response["statusCode"], out, response["body"] or ""


def referenced(page: str) -> set[str]:
    """Every console file the page and its modules load."""
    names = set(re.findall(r'(?:href|src)="static/([^"]+)"', page))
    for name in [n for n in names if n.endswith(".js")]:
        names.update(re.findall(r'from "\./([^"]+)"', (STATIC / name).read_text()))
    return names


def test_the_page_has_its_stage_base_a_csp_and_revalidates(deps: AwsDeps) -> None:
    # API Gateway's event for GET / on stage v1: requestContext.path is /v1/
    status, headers, body = get(deps, "/")
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    assert '<base href="/v1/">' in body and "<!--base-->" not in body
    csp = headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe" not in csp and "default-src 'none'" in csp
    # the stylesheet is inline for the first paint, allowed by its hash only
    css = (STATIC / "console.css").read_text()
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    assert f"<style>{css}</style>" in body and f"style-src 'self' 'sha256-{digest}';" in csp
    assert 'href="static/console.css"' not in body
    assert headers["cache-control"] == "no-cache" and headers["etag"].startswith('"')
    assert headers["x-content-type-options"] == "nosniff"
    # the same ETag again: 304, no body
    status, again, body = get(deps, "/", {"If-None-Match": headers["etag"]})
    assert (status, body) == (304, "") and again["etag"] == headers["etag"]


@pytest.mark.parametrize(
    ("request_path", "path", "prefix"),
    [
        ("/v1/", "/", "/v1"),
        ("/v1", "/", "/v1"),
        ("/", "/", ""),
        (None, "/", ""),
        ('/v1"><script>x</script>/', "/", ""),  # never markup in the base
        ("/../etc/", "/", ""),
        ("/other/", "/static/app.js", ""),  # not a suffix: no prefix
    ],
)
def test_stage_prefix(request_path: str | None, path: str, prefix: str) -> None:
    assert stage_prefix(request_path, path) == prefix


def test_every_file_the_page_loads_is_served_with_its_type(deps: AwsDeps) -> None:
    page = (STATIC / INDEX).read_text()
    names = referenced(page)
    assert {"app.js", "api.js", "dom.js", "console.css"} <= names
    types = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
    for name in names:
        status, headers, body = get(deps, f"/static/{name}")
        assert status == 200, name
        assert headers["content-type"] == types[Path(name).suffix], name
        assert body == (STATIC / name).read_text(), name
        assert headers["cache-control"] == "no-cache" and headers["x-content-type-options"] == "nosniff"
        status, _, _ = get(deps, f"/static/{name}", {"if-none-match": f'"x", {headers["etag"]}'})
        assert status == 304, name
    # every module shipped is loaded (no dead file), and preloaded (no request waterfall)
    shipped = {p.name for p in STATIC.iterdir() if p.suffix in (".js", ".css")}
    assert names == shipped
    assert {n for n in shipped if n.endswith(".js") and n != "app.js"} <= set(
        re.findall(r'rel="modulepreload" href="static/([^"]+)"', page)
    )


@pytest.mark.parametrize(
    "path",
    [
        "/static/../review_routes.py",
        "/static/..%2Freview_routes.py",
        "/static/%2e%2e%2fconsole_routes.py",
        "/static/console_routes.py",
        "/static/index.html",  # the page only at / (with its base and CSP)
        "/static/",
        "/static/APP.JS",
        "/static/.%2F..%2F..%2Fpyproject.toml",
    ],
)
def test_nothing_outside_the_console_files_is_served(deps: AwsDeps, path: str) -> None:
    status, headers, body = get(deps, path)
    assert status in (404, 405), (path, status)
    payload: Any = json.loads(body)
    assert payload["code"] in ("not_found", "method_not_allowed") and "import" not in body


def test_the_console_routes_stay_out_of_the_api_document() -> None:
    paths = json.loads(openapi_schema())["paths"]
    assert "/" not in paths and not [p for p in paths if p.startswith("/static")]


def test_no_module_writes_markup() -> None:
    # record values come from CRMs: the console builds nodes (dom.js h()), never parses strings as HTML
    sinks = ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function")
    for path in STATIC.glob("*.js"):
        text = path.read_text()
        found = [s for s in sinks if s in text]
        assert not found, (path.name, found)


def test_with_cognito_the_page_may_exchange_its_code_at_the_hosted_ui(
    deps: AwsDeps, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a stack deployed with Cognito sign-in (the hosted UI's domain in the function's settings)
    monkeypatch.setenv("COGNITO_DOMAIN_URL", "https://reviewers.auth.us-east-1.amazoncognito.com")
    monkeypatch.setenv("COGNITO_CLIENT_ID", "console-client")
    clear_settings()
    try:
        _, headers, _ = get(deps, "/")
    finally:
        monkeypatch.delenv("COGNITO_DOMAIN_URL")
        clear_settings()
    # Then requests may go to that origin (the token endpoint), and nowhere else
    assert (
        "connect-src 'self' https://reviewers.auth.us-east-1.amazoncognito.com;"
        in headers["content-security-policy"]
    )
    _, headers, _ = get(deps, "/")
    assert "connect-src 'self';" in headers["content-security-policy"]
