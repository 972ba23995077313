"""Real event shapes for handler tests: SQS batches, API Gateway REST proxy events, Lambda context."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel


def sqs_event(messages: Sequence[BaseModel | dict[str, Any] | str], queue: str = "apply") -> dict[str, Any]:
    records = []
    for message in messages:
        if isinstance(message, BaseModel):
            body = message.model_dump_json()
        else:
            body = message if isinstance(message, str) else json.dumps(message)
        records.append({
            "messageId": str(uuid.uuid4()), "receiptHandle": uuid.uuid4().hex, "body": body,
            "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1700000000000",
                           "SenderId": "AIDA", "ApproximateFirstReceiveTimestamp": "1700000000000"},
            "messageAttributes": {}, "md5OfBody": "0" * 32, "eventSource": "aws:sqs",
            "eventSourceARN": f"arn:aws:sqs:us-east-1:123456789012:{queue}", "awsRegion": "us-east-1",
        })  # fmt: skip
    return {"Records": records}


def api_event(method: str, path: str, body: Any = None, *, query: dict[str, str] | None = None,
              user: str | None = "arn:aws:iam::123456789012:user/reviewer", headers: dict[str, str] | None = None,
              ) -> dict[str, Any]:  # fmt: skip
    """A REST API (v1) proxy event as API Gateway sends it to the review API function."""
    return {
        "resource": "/{proxy+}", "path": path, "httpMethod": method,
        "headers": {"content-type": "application/json", **(headers or {})}, "multiValueHeaders": {},
        "queryStringParameters": query, "multiValueQueryStringParameters": {k: [v] for k, v in (query or {}).items()} or None,
        "pathParameters": {"proxy": path.lstrip("/")}, "stageVariables": None, "isBase64Encoded": False,
        "requestContext": {"requestId": uuid.uuid4().hex, "stage": "v1", "httpMethod": method, "path": f"/v1{path}",
                           "resourcePath": "/{proxy+}", "accountId": "123456789012",
                           "identity": {"sourceIp": "127.0.0.1", "userArn": user, "caller": user, "user": user}},
        "body": json.dumps(body) if body is not None and not isinstance(body, str) else body,
    }  # fmt: skip


@dataclass
class FakeContext:
    """A Lambda context with a fixed remaining time (seconds)."""

    remaining_seconds: float = 600.0
    function_name: str = "test-function"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:test-function"
    aws_request_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def get_remaining_time_in_millis(self) -> int:
        return int(self.remaining_seconds * 1000)
