"""A local stand-in for API Gateway: HTTP on 127.0.0.1 → REST proxy events → the deployed functions.

moto cannot invoke REST API integrations (local-aws.md §6), so this adapter routes like the stack's
API: ``POST /webhooks/{crm}`` to the webhook function, everything else to the review API function,
both invoked through moto's Lambda service. The caller's identity (the reviewer in the audit trail)
comes from an ``X-Reviewer`` header, standing in for IAM or Cognito; this exists only locally.
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import ReadTimeoutError

LOCAL_REVIEWER = "local-reviewer"


def proxy_event(
    method: str, target: str, headers: dict[str, str], body: bytes, stage: str = "v1"
) -> dict[str, Any]:
    """The API Gateway REST (v1) proxy event for one HTTP request.

    Locally there is no stage prefix in the URL, so ``requestContext.path`` is the path as requested
    and ``X-Forwarded-Proto`` is http: a webhook signed for the URL it was sent to still verifies.
    """
    headers = {"X-Forwarded-Proto": "http", **headers}
    url = urlsplit(target)
    # As API Gateway's REST API: decoded values, the last one of a repeated key in queryStringParameters,
    # every one in order in multiValueQueryStringParameters; no raw query string (webhooks/request.py)
    pairs = parse_qsl(url.query, keep_blank_values=True)
    query = dict(pairs) or None
    multi: dict[str, list[str]] = {}
    for key, value in pairs:
        multi.setdefault(key, []).append(value)
    reviewer = headers.get("x-reviewer") or headers.get("X-Reviewer") or LOCAL_REVIEWER
    text: str | None
    encoded = False
    try:
        text = body.decode("utf-8") if body else None
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode(), True
    return {
        "resource": "/{proxy+}",
        "path": url.path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi or None,
        "pathParameters": {"proxy": url.path.lstrip("/")},
        "stageVariables": None,
        "isBase64Encoded": encoded,
        "requestContext": {
            "requestId": uuid.uuid4().hex,
            "stage": stage,
            "httpMethod": method,
            "path": url.path,
            "resourcePath": "/{proxy+}",
            "accountId": "123456789012",
            "identity": {
                "sourceIp": "127.0.0.1",
                "userArn": f"local:{reviewer}",
                "caller": reviewer,
                "user": reviewer,
            },
        },
        "body": text,
    }


def webhook_crm(path: str) -> str | None:
    """``{crm}`` when ``path`` is ``/webhooks/{crm}`` (the webhook function's route), else None."""
    parts = path.strip("/").split("/")
    if len(parts) == 2 and parts[0] == "webhooks" and parts[1]:
        return parts[1]
    return None


INTEGRATION_TIMEOUT_S = 29


class LocalApi:
    """Serves the stack's API on 127.0.0.1 until ``stop()``."""

    def __init__(self, review_function: str, webhook_function: str, port: int = 0) -> None:
        self.review_function = review_function
        self.webhook_function = webhook_function
        # As API Gateway: one attempt (an invoke is not idempotent: a retried bulk decision would decide
        # everything twice), and a 29 s integration timeout answered 504.
        config = Config(read_timeout=INTEGRATION_TIMEOUT_S, retries={"total_max_attempts": 1})
        self._lambda = boto3.client("lambda", config=config)
        handler = self._handler_class()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.port = int(self.server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="local-api", daemon=True)

    def start(self) -> LocalApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def invoke(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        crm = webhook_crm(urlsplit(target).path)
        function = self.review_function if crm is None else self.webhook_function
        event = proxy_event(method, target, headers, body)
        if crm is not None:  # the stack's POST /webhooks/{crm} resource
            event["resource"] = event["requestContext"]["resourcePath"] = "/webhooks/{crm}"
            event["pathParameters"] = {"crm": crm}
        try:
            response = self._lambda.invoke(FunctionName=function, Payload=json.dumps(event).encode())
        except ReadTimeoutError:
            return 504, {"Content-Type": "application/json"}, b'{"message": "Endpoint request timed out"}'
        payload = json.loads(response["Payload"].read() or b"{}")
        if response.get("FunctionError"):
            return (
                502,
                {"content-type": "application/json"},
                json.dumps({"message": "function error", "detail": payload.get("errorMessage")}).encode(),
            )
        raw = payload.get("body") or ""
        data = base64.b64decode(raw) if payload.get("isBase64Encoded") else raw.encode()
        return int(payload.get("statusCode", 200)), dict(payload.get("headers") or {}), data

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                status, headers, data = api.invoke(self.command, self.path, dict(self.headers.items()), body)
                self.send_response(status)
                for key, value in headers.items():
                    if key.lower() != "content-length":
                        self.send_header(key, value)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
                return

        return Handler
