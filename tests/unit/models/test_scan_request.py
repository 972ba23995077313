"""``ScanRequest``: the SQS body between a CRM's webhook receiver and the entry scan."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from crm_hygiene.models.messages import ScanRequest


def test_a_request_queued_before_it_named_its_crm_still_parses_as_hubspots() -> None:
    # Given a message body as the previous version queued it (HubSpot was the only CRM with webhooks)
    body = '{"object_type": "contact", "record_id": "101", "reason": "changed", "properties": ["phone"]}'
    request = ScanRequest.model_validate_json(body)
    assert (request.source, request.record_id, request.properties) == ("hubspot", "101", ["phone"])


def test_the_source_is_a_known_crm_kind() -> None:
    assert (
        ScanRequest(object_type="deal", record_id="7", reason="created", source="internal").source
        == "internal"
    )
    with pytest.raises(ValidationError):
        ScanRequest.model_validate(
            {"object_type": "deal", "record_id": "7", "reason": "created", "source": "x"}
        )
