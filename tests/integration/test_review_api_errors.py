"""Review API errors: one typed body ({code, message, details}) for every status, never backend text.

Issue 10, "Outputs": the review API answered DynamoDB's and moto's own error text in 400s
(``GET /reviews?run_id=`` answered ``ValidationException: ... cannot contain an empty string value.
Key: run_id``), and powertools' 422 shape was not the documented one.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from review_api_handler import lambda_handler, openapi_schema
from review_errors import CODES, ErrorBody

from crm_hygiene.models.review import ReviewItem
from crm_hygiene.wiring.aws import AwsDeps
from tests.events.factory import FakeContext, api_event

BACKEND_WORDS = (
    "ValidationException",
    "AttributeValue",
    "ClientError",
    "botocore",
    "moto",
    "arn:aws",
    "Traceback",
)


def call(
    deps: AwsDeps, method: str, path: str, body: object = None, **kw: Any
) -> tuple[int, dict[str, Any], Any]:
    response = lambda_handler(api_event(method, path, body, **kw), FakeContext(), deps=deps.review())
    payload = json.loads(response["body"]) if response["body"] else None
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    headers.update({k.lower(): ", ".join(v) for k, v in (response.get("multiValueHeaders") or {}).items()})
    return response["statusCode"], headers, payload


def typed_error(status: int, payload: Any) -> ErrorBody:
    """The body as the ErrorBody model (it fails on any other shape), its code carrying this status."""
    body = ErrorBody.model_validate(payload)
    assert CODES[body.code].status == status
    text = json.dumps(payload)
    assert not [w for w in BACKEND_WORDS if w in text], text
    return body


def queued(deps: AwsDeps) -> ReviewItem:
    item = ReviewItem(
        review_id="0123456789abcdef01234567", run_id="20261207T000000-abcdef01", kind="malformed",
        change_kind="normalize", object_type="contact", record_id="1", field="country", current_value="USA",
        suggested_value="US", evidence="", confidence=0.99, protected=False, decision="review", status="queued",
        source="normalize.country",
    )  # fmt: skip
    deps.queue.put_new([item])
    return item


def test_empty_filters_are_422_not_dynamodb_text(deps: AwsDeps) -> None:
    # The report's request: before, 400 {"error": "HygieneError", "message": "ValidationException: ..."}
    for query in ({"run_id": ""}, {"kind": ""}, {"cursor": ""}):
        status, _, payload = call(deps, "GET", "/reviews", query=query)
        body = typed_error(status, payload)
        assert (status, body.code) == (422, "validation_error")
        assert [d.location for d in body.details] == [["query", next(iter(query))]]
    status, _, payload = call(deps, "GET", "/metrics", query={"run_id": ""})
    assert (status, typed_error(status, payload).code) == (422, "validation_error")
    status, _, payload = call(deps, "POST", "/reviews/decisions",
                              {"decisions": [{"review_id": "", "decision": {"decision": "approve"}}]})  # fmt: skip
    assert (status, typed_error(status, payload).code) == (422, "validation_error")


def test_a_forged_cursor_is_400_in_our_words(deps: AwsDeps) -> None:
    queued(deps)
    for forged in ("not-base64!", base64.urlsafe_b64encode(b'{"nope": 1}').decode()):
        status, _, payload = call(deps, "GET", "/reviews", query={"cursor": forged})
        body = typed_error(status, payload)
        assert (status, body.code) == (400, "invalid_request") and "cursor" in body.message


def _client_error(code: str, message: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "GetItem")


@pytest.mark.parametrize(
    ("raised", "status", "code"),
    [
        (_client_error("AccessDeniedException", "User: arn:aws:iam::123:role/x is not authorized"), 502, "backend_error"),
        (_client_error("ValidationException", "One or more parameter values are not valid"), 502, "backend_error"),
        (_client_error("ProvisionedThroughputExceededException", "Rate exceeded for table t"), 503, "throttled"),
        (RuntimeError("jane.doe@example.com broke the parser"), 500, "internal"),
        (KeyError("jane.doe@example.com"), 500, "internal"),
    ],
)  # fmt: skip
def test_backend_failures_answer_a_fixed_message_and_log_no_values(
    deps: AwsDeps, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
    raised: Exception, status: int, code: str,
) -> None:  # fmt: skip
    item = queued(deps)

    def broken(**_: Any) -> Any:
        raise raised

    monkeypatch.setattr(deps.queue._table, "get_item", broken)  # type: ignore[attr-defined]
    got, headers, payload = call(deps, "GET", f"/reviews/{item.review_id}")
    body = typed_error(got, payload)
    assert (got, body.code) == (status, code)
    assert body.message == CODES[body.code].meaning  # never the exception's text
    assert ("retry-after" in headers) is (code == "throttled")
    [record] = [r for r in caplog.records if r.getMessage() == "request failed"]
    logged = json.dumps(record.__dict__, default=str)
    assert record.error_type in (type(raised).__name__, "BackendError", "Throttled")  # type: ignore[attr-defined]
    assert "jane.doe" not in logged and "arn:aws" not in logged


def test_every_error_status_answers_the_typed_body(deps: AwsDeps) -> None:
    item = queued(deps)
    cases: list[tuple[tuple[Any, ...], int, str | None]] = [
        (("GET", "/reviews/0123456789abcdef0123abcd"), 404, "not_found"),
        (("GET", "/no/such/route"), 404, "not_found"),
        (("DELETE", "/reviews"), 405, "method_not_allowed"),
        (("GET", "/reviews/decisions"), 405, "method_not_allowed"),  # the concrete path wins, as in OpenAPI
        (("POST", f"/changes/{item.review_id}/rollback"), 409, "conflict"),
        (("POST", f"/reviews/{item.review_id}/decision", {"decision": "maybe"}), 422, "validation_error"),
        (("POST", f"/reviews/{item.review_id}/decision", "{not json"), 422, "validation_error"),
        (("GET", "/reviews", None), 200, None),
    ]
    for request, status, code in cases:
        got, headers, payload = call(deps, *request)
        assert got == status, (request, payload)
        if code is not None:
            assert typed_error(got, payload).code == code
        if got == 405:
            assert headers["allow"] in ("GET", "POST", "GET, POST")
    got, _, payload = call(deps, "POST", f"/reviews/{item.review_id}/decision", "decision=approve",
                           headers={"content-type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert (got, typed_error(got, payload).code) == (415, "unsupported_media_type")
    got, _, payload = call(
        deps, "POST", f"/reviews/{item.review_id}/decision", {"decision": "approve"}, user=None
    )
    assert (got, typed_error(got, payload).code) == (401, "unauthenticated")
    # a validation error says where and which rule, not the input (it may hold record values)
    got, _, payload = call(deps, "POST", f"/reviews/{item.review_id}/decision",
                           {"decision": "edit_and_approve", "value": "", "note": "jane.doe@example.com"})  # fmt: skip
    body = typed_error(got, payload)
    assert body.details and all(d.location[0] == "body" and d.rule for d in body.details)
    assert "jane.doe" not in json.dumps(payload)


def test_the_openapi_documents_every_error_with_the_typed_body() -> None:
    schema = json.loads(openapi_schema())
    assert "HTTPValidationError" not in json.dumps(schema)
    assert set(schema["components"]["schemas"]["ErrorBody"]["properties"]) == {"code", "message", "details"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            answers = operation["responses"]
            assert {"422", "500", "403", "429", "504"} <= set(answers), (method, path)
            if "requestBody" in operation:
                assert "415" in answers, (method, path)
            for status, answer in answers.items():
                assert "application/json" in answer.get("content", {}), (method, path, status)
                if int(status) >= 400:
                    ref = answer["content"]["application/json"]["schema"]["$ref"]
                    # the one answer that is not an error body: a failed audit verification is
                    # answered with its report (each problem found), as documented in docs/audit.md
                    expected = (
                        "/VerificationReport" if (path, status) == ("/audit/verify", "409") else "/ErrorBody"
                    )
                    assert ref.endswith(expected), (method, path, status)
    decide = schema["paths"]["/reviews/{review_id}/decision"]["post"]["responses"]
    assert {"200", "401", "404", "409", "410", "422"} <= set(decide)
    assert set(schema["paths"]["/reviews/{review_id}"]["get"]["responses"]) >= {"200", "404"}
