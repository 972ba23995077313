"""Handler plumbing: one cached deps factory per function's settings, never fed by a test's injected
deps; each function validates only the environment it reads."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from scan_handler import lambda_handler as scan_lambda
from webhook_handler import lambda_handler as webhook_lambda

from crm_hygiene.errors import HygieneError
from crm_hygiene.models.messages import ScanRequest
from crm_hygiene.settings import EntryScanSettings, ScanSettings, WebhookSettings, load_settings
from crm_hygiene.wiring.aws import aws_deps
from tests.events.factory import FakeContext
from tests.integration.conftest import drain
from tests.integration.test_webhook_entry import SECRET, delivery, property_change


@dataclass
class Sent:
    messages: list[Any] = field(default_factory=list)

    def send(self, messages: Any) -> None:
        self.messages.extend(messages)


@dataclass
class FakeDeps:
    scan_requests: Sent = field(default_factory=Sent)


@dataclass
class AcceptAll:
    """A receiver that accepts every delivery as one scan request."""

    @dataclass
    class Result:
        accepted: list[ScanRequest]
        status_code: int = 200
        duplicates: int = 0
        ignored: int = 0
        reason: str = ""

        def body(self) -> dict[str, int]:
            return {"accepted": len(self.accepted)}

    def receive(self, **_: Any) -> AcceptAll.Result:
        return AcceptAll.Result([ScanRequest(object_type="contact", record_id="1", reason="changed")])

    def release(self, result: Any) -> None:
        raise AssertionError("not expected")


def test_injected_deps_never_land_in_the_cache(aws: dict[str, str]) -> None:
    # Given the webhook function's environment, and a test that injects its own deps first
    boto3.client("secretsmanager").create_secret(Name="hubspot/webhook", SecretString=SECRET)
    os.environ.update(WEBHOOK_SECRET_NAME="hubspot/webhook", CRM_KIND="hubspot", HUBSPOT_APP_ID="1160452")
    fake = FakeDeps()
    injected = webhook_lambda(delivery([property_change("100001", 1)]), FakeContext(),
                              deps=fake, receiver=AcceptAll())  # type: ignore[arg-type]  # fmt: skip
    assert injected["statusCode"] == 200 and len(fake.scan_requests.messages) == 1
    # When the function is invoked without deps (as Lambda does)
    real = webhook_lambda(delivery([property_change("100002", 2)]), FakeContext())
    # Then it used deps built from the environment: the real queue got the request, the fake nothing more
    assert real["statusCode"] == 200
    assert len(fake.scan_requests.messages) == 1
    assert [ScanRequest.model_validate_json(b).record_id for b in drain(aws["SCAN_REQUESTS_QUEUE_URL"])] == [
        "100002"
    ]
    assert aws_deps(WebhookSettings) is aws_deps(WebhookSettings)  # built once per container


def test_functions_sharing_a_process_each_read_their_own_environment(aws: dict[str, str]) -> None:
    # Given one process running several functions, as the local stack's executor does: the scan
    # function runs first, with its environment, which holds no webhook variable
    os.environ.pop("WEBHOOK_SECRET_NAME", None)
    plan = scan_lambda({"action": "plan", "object_types": ["contact"]}, FakeContext())
    assert plan["partitions"]
    # When the webhook function's environment is added (its own variables) and it is invoked
    boto3.client("secretsmanager").create_secret(Name="hubspot/webhook", SecretString=SECRET)
    os.environ.update(WEBHOOK_SECRET_NAME="hubspot/webhook", CRM_KIND="hubspot", HUBSPOT_APP_ID="1160452")
    answer = webhook_lambda(delivery([property_change("100003", 3)]), FakeContext())
    # Then it answers 200 (it used to fail, 502 through the local API: the settings cached by the
    # scan function had no WEBHOOK_SECRET_NAME)
    assert answer["statusCode"] == 200
    assert aws_deps(ScanSettings).settings is not aws_deps(WebhookSettings).settings


def test_one_functions_missing_variable_does_not_break_another(aws: dict[str, str]) -> None:
    # Given an environment without the scan-requests queue (only the webhook function reads it)
    del os.environ["SCAN_REQUESTS_QUEUE_URL"]
    os.environ["WEBHOOK_SECRET_NAME"] = "hubspot/webhook"
    # Then the entry scan's settings are complete, and the webhook's name what is missing
    assert load_settings(EntryScanSettings).crm_table == aws["CRM_TABLE"]
    with pytest.raises(HygieneError, match="SCAN_REQUESTS_QUEUE_URL"):
        load_settings(WebhookSettings)
