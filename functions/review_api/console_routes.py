"""The review console's files: ``GET /`` (the page) and ``GET /static/{name}`` (its modules and styles).

Only the files shipped in ``static/`` are served, looked up by exact name in a table built from the
folder, so no request path can reach anything else (``..``, encoded slashes, absolute paths). The
answers revalidate (``no-cache`` with a strong ``ETag``; ``If-None-Match`` answers 304): the modules
import one another by plain names, without a build step to fingerprint them, so a long cache would
mix old and new modules after a deploy. The page gets a ``<base href>`` with API Gateway's stage
prefix (``/v1/``), so its relative module and API URLs resolve under the stage in AWS and at the root
locally, its stylesheet inline (allowed by hash), and a Content-Security-Policy that allows scripts,
styles and requests from this origin only.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from crm_hygiene.errors import NotFound
from crm_hygiene.settings import ConsoleAuthEnv, load_settings

router = APIGatewayRouter()
STATIC = Path(__file__).with_name("static")
INDEX = "index.html"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
}
# Everything from this origin only; no inline script or style (so an injected tag could not run even
# if a value ever reached the DOM as markup); the id token travels in a header, never to another host.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' {style}; img-src 'self' data:; "
    "connect-src 'self'{token}; base-uri 'self'; form-action 'none'; frame-ancestors 'none'"
)
# The stylesheet goes into the page itself (allowed by its hash): the first paint then needs one answer,
# not two behind the function's other requests (the modules load meanwhile)
STYLESHEET = '<link rel="stylesheet" href="static/console.css">'

SAFE_PREFIX = re.compile(r"^[A-Za-z0-9/_.~-]*$")
SAFE_ORIGIN = re.compile(r"^[A-Za-z0-9.-]+(:[0-9]+)?$")
BASE_MARK = "<!--base-->"


@dataclass(frozen=True)
class StaticFile:
    body: str
    content_type: str
    etag: str


def _file(body: str, content_type: str) -> StaticFile:
    return StaticFile(body, content_type, '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"')


@cache
def files() -> dict[str, StaticFile]:
    """Every servable file by name (read once per container: the files ship with the function)."""
    table = {}
    for path in sorted(STATIC.iterdir()):
        content_type = TYPES.get(path.suffix)
        if not path.is_file() or content_type is None:
            continue
        table[path.name] = _file(path.read_text(encoding="utf-8"), content_type)
    return table


def _headers(file: StaticFile) -> dict[str, str]:
    return {"Cache-Control": "no-cache", "ETag": file.etag, "X-Content-Type-Options": "nosniff"}


def _serve(file: StaticFile, extra: dict[str, str] | None = None) -> Response[str]:
    headers = {**_headers(file), **(extra or {})}
    if_none = router.current_event.headers.get("if-none-match") or router.current_event.headers.get(
        "If-None-Match"
    )
    if if_none and file.etag in [tag.strip() for tag in if_none.split(",")]:
        return Response(status_code=304, body="", headers=headers)
    return Response(status_code=200, content_type=file.content_type, body=file.body, headers=headers)


def stage_prefix(request_path: str | None, path: str) -> str:
    """The part of the requested URL before the API's own path: API Gateway's stage (``/v1``), or ""."""
    if not request_path:
        return ""
    requested, own = request_path.rstrip("/"), path.rstrip("/")
    if not requested.endswith(own):
        return ""
    prefix = requested[: len(requested) - len(own)]
    return prefix if SAFE_PREFIX.match(prefix) and ".." not in prefix else ""


@router.get("/", include_in_schema=False, operation_id="console")
def console() -> Response[str]:
    event = router.current_event
    prefix = stage_prefix(event.request_context.path, event.path)
    page = files()[INDEX]
    base = f'<base href="{html.escape(prefix + "/", quote=True)}">'
    css = files()["console.css"].body
    style = "'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() + "'"
    body = page.body.replace(BASE_MARK, base, 1).replace(STYLESHEET, f"<style>{css}</style>", 1)
    # the ETag covers the page as sent: the same file under another stage is another page
    csp = CSP.format(style=style, token=_token_origin())
    return _serve(_file(body, page.content_type), {"Content-Security-Policy": csp})


def _token_origin() -> str:
    """With Cognito sign-in, the hosted UI's origin: the console exchanges its code there."""
    domain = load_settings(ConsoleAuthEnv).cognito_domain_url
    if not domain:
        return ""
    url = urlsplit(domain)
    origin = f"{url.scheme}://{url.netloc}"
    return f" {origin}" if url.scheme == "https" and SAFE_ORIGIN.match(url.netloc) else ""


@router.get("/static/<name>", include_in_schema=False, operation_id="console_file")
def console_file(name: str) -> Response[str]:
    file = files().get(name)
    if file is None or name == INDEX:
        raise NotFound("no such console file")
    return _serve(file)
