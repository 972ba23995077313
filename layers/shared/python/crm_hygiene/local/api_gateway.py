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
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
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
Invoke = Callable[[str, str, dict[str, str], bytes], tuple[int, dict[str, str], bytes]]
"""(method, target, headers, body) -> (status, headers, body): one HTTP request through an integration."""
JSON = {"content-type": "application/json"}


def gateway_error(status: int, code: str, message: str) -> tuple[int, dict[str, str], bytes]:
    """An answer API Gateway gives itself (504, 502), in the API's error shape (docs/review-api.md)."""
    return status, dict(JSON), json.dumps({"code": code, "message": message, "details": []}).encode()


def proxy_response(payload: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    """The HTTP answer for a Lambda proxy integration's result (``statusCode``, ``headers``, ``body``)."""
    raw = payload.get("body") or ""
    data = base64.b64decode(raw) if payload.get("isBase64Encoded") else raw.encode()
    headers = {k: str(v) for k, v in (payload.get("headers") or {}).items()}
    for key, values in (payload.get("multiValueHeaders") or {}).items():
        headers.setdefault(key, ", ".join(str(v) for v in values))
    return int(payload.get("statusCode", 200)), headers, data


class LambdaContext:
    """The parts of a Lambda context the handlers use, for an in-process invocation."""

    function_name = "local"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:local"
    log_group_name = "/aws/lambda/local"
    log_stream_name = "local"
    function_version = "$LATEST"

    def __init__(self) -> None:
        self.aws_request_id = uuid.uuid4().hex

    def get_remaining_time_in_millis(self) -> int:
        return INTEGRATION_TIMEOUT_S * 1000


def in_process(handler: Callable[[dict[str, Any], Any], dict[str, Any]]) -> Invoke:
    """An integration that calls a REST proxy handler in this process (tests: moto in-process, no Lambda).

    An exception out of the handler is answered as API Gateway answers a function error: a 502 that
    says nothing of the exception.
    """

    def invoke(
        method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        try:
            payload = handler(proxy_event(method, target, headers, body), LambdaContext())
        except Exception:  # noqa: BLE001 - API Gateway turns any function error into a 502
            return gateway_error(502, "bad_gateway", "the function failed")
        return proxy_response(payload)

    return invoke


class HttpFront:
    """Serves HTTP on 127.0.0.1 until ``stop()``, handing each request to an integration."""

    def __init__(self, invoke: Invoke, port: int = 0) -> None:
        self.invoke = invoke
        self.server = ThreadingHTTPServer(("127.0.0.1", port), _handler_class(self))
        self.port = int(self.server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="local-api", daemon=True)

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class LocalApi(HttpFront):
    """The stack's API on 127.0.0.1: the review API and webhook functions through moto's Lambda service."""

    def __init__(self, review_function: str, webhook_function: str, port: int = 0) -> None:
        self.review_function = review_function
        self.webhook_function = webhook_function
        # As API Gateway: one attempt (an invoke is not idempotent: a retried bulk decision would decide
        # everything twice), and a 29 s integration timeout answered 504.
        config = Config(read_timeout=INTEGRATION_TIMEOUT_S, retries={"total_max_attempts": 1})
        self._lambda = boto3.client("lambda", config=config)
        super().__init__(self._invoke_function, port)

    def _invoke_function(
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
            return gateway_error(504, "timeout", "the integration did not answer within 29 s")
        payload = json.loads(response["Payload"].read() or b"{}")
        if response.get("FunctionError"):
            # API Gateway answers 502 and never shows the function's error text; neither do we
            return gateway_error(502, "bad_gateway", "the function failed")
        return proxy_response(payload)


def _handler_class(front: HttpFront) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            status, headers, data = front.invoke(self.command, self.path, dict(self.headers.items()), body)
            try:
                self.send_response(status)
                for key, value in headers.items():
                    if key.lower() != "content-length":
                        self.send_header(key, value)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":  # a HEAD answer has headers only
                    self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                # the browser gave up on this request (a newer search aborts the older one): the
                # function has answered; there is nobody left to tell
                self.close_connection = True

        def __getattr__(self, name: str) -> Any:
            # every method reaches the integration, as API Gateway's ANY on {proxy+}: the function answers
            # an unknown one (405), not the HTTP server (501)
            if name.startswith("do_"):
                return self._serve
            raise AttributeError(name)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            return

    return Handler
