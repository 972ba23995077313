"""What API Gateway answers itself (403 IAM, 429 throttle, 504 timeout...) is in the review API's ErrorBody."""

from __future__ import annotations

import json

from review_errors import CODES, GATEWAY, ErrorBody

from infra.components.api import GATEWAY_ERRORS
from tests.infra.conftest import Synth


def test_gateway_answers_use_the_api_error_body(synth: Synth) -> None:
    responses = synth.of_type("AWS::ApiGateway::GatewayResponse")
    by_type = {r["Properties"]["ResponseType"]: r["Properties"] for r in responses.values()}
    assert set(by_type) == {t.response_type for t, _ in GATEWAY_ERRORS}
    for response_type, code in GATEWAY_ERRORS:
        assert code in CODES
        template = by_type[response_type.response_type]["ResponseTemplates"]["application/json"]
        # as API Gateway renders it: $context.error.messageString is the message, already quoted
        rendered = template.replace(
            "$context.error.messageString", json.dumps("Missing Authentication Token")
        )
        assert ErrorBody.model_validate_json(rendered).code == code
    # every status the OpenAPI says the gateway answers has its response here
    assert set(GATEWAY) <= {code for _, code in GATEWAY_ERRORS}
