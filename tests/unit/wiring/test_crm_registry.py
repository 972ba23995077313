"""The CRM registry: one entry per CRM kind, read by settings, the demo and the webhook function."""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass, field
from typing import Any, get_args

import pytest

from crm_hygiene.cli import demo as demo_cli
from crm_hygiene.errors import NotFound, StandardError
from crm_hygiene.models.crm import CRM_KINDS
from crm_hygiene.settings import PipelineSettings
from crm_hygiene.webhooks import HubSpotWebhookReceiver, InMemoryIdempotencyStore, sign_v3
from crm_hygiene.wiring.crm import CONNECTORS, crm_store, webhook_receiver

ENV = {
    name: f"x-{name.lower()}"
    for name in (
        "CHANGE_QUEUE_TABLE", "AUDIT_TABLE", "AUDIT_BUCKET", "AUDIT_KEY_SECRET_NAME", "AUDIT_DIGEST_KEY_ID",
        "DECISION_MEMORY_TABLE", "HEALTH_TABLE",
        "MATCH_INDEX_TABLE", "IDEMPOTENCY_TABLE", "CRM_TABLE", "APPLY_QUEUE_URL", "ENRICH_QUEUE_URL",
        "SCAN_REQUESTS_QUEUE_URL", "MERGE_WORKFLOW_ARN", "TOPIC_HEALTH_ARN", "TOPIC_RELATIONSHIP_ARN",
        "TOPIC_PROVIDER_QUALITY_ARN", "TOPIC_MEASUREMENT_ARN", "TOPIC_ALERTS_ARN", "JOBS_TABLE",
        "JOBS_WORKFLOW_ARN", "SCAN_WORKFLOW_ARN",
    )
}  # fmt: skip


@dataclass
class Clients:
    """Stands in for ``AwsDeps``: no AWS call is made by what these tests build."""

    settings: PipelineSettings
    idempotency: InMemoryIdempotencyStore = field(default_factory=InMemoryIdempotencyStore)
    webhook_secret: str = "app-secret"
    dynamodb: Any = None


def clients(**env: str) -> Clients:
    return Clients(PipelineSettings.model_validate({**ENV, **env}))


def test_every_crm_kind_has_one_entry_and_every_reader_offers_the_same_kinds():
    assert tuple(CONNECTORS) == CRM_KINDS
    assert all(entry.kind == kind for kind, entry in CONNECTORS.items())
    assert get_args(PipelineSettings.model_fields["crm_kind"].annotation) == CRM_KINDS
    parser = argparse.ArgumentParser()
    demo_cli.register(parser)
    [crm_option] = [a for a in parser._actions if a.dest == "crm"]
    assert tuple(crm_option.choices or ()) == CRM_KINDS and crm_option.default == "internal"


def test_a_crm_missing_its_settings_fails_naming_the_variable():
    with pytest.raises(StandardError, match="HUBSPOT_TOKEN_SECRET_NAME.*CRM_KIND=hubspot"):
        crm_store(clients(CRM_KIND="hubspot"), "hubspot")


def test_the_webhook_receiver_is_the_configured_crms_and_ignores_our_apps_writes():
    # Given a HubSpot deployment whose app id is 77
    env = {"CRM_KIND": "hubspot", "WEBHOOK_SECRET_NAME": "hook", "HUBSPOT_APP_ID": "77"}
    receiver = webhook_receiver(clients(**env), "hubspot", "hubspot")
    assert isinstance(receiver, HubSpotWebhookReceiver)
    # When a signed delivery carries a change by our app (INTEGRATION, sourceId 77) and one by a person
    events = [
        {"eventId": 1, "subscriptionType": "contact.propertyChange", "objectId": 5, "propertyName": "phone",
         "changeSource": "INTEGRATION", "sourceId": "77", "appId": 77},
        {"eventId": 2, "subscriptionType": "contact.propertyChange", "objectId": 6, "propertyName": "phone",
         "changeSource": "CRM_UI", "sourceId": "userId:9", "appId": 77},
    ]  # fmt: skip
    body = json.dumps(events).encode()
    stamp = str(int(time.time() * 1000))
    uri = "https://hooks.example.com/webhooks/hubspot"
    headers = {"X-HubSpot-Signature-v3": sign_v3("app-secret", "POST", uri, body, stamp),
               "X-HubSpot-Request-Timestamp": stamp}  # fmt: skip
    result = receiver.receive(method="POST", uri=uri, headers=headers, body=body)
    # Then only the person's change is scanned: our own write does not come back as a scan
    assert result.status_code == 200 and [r.record_id for r in result.accepted] == ["6"]
    assert result.ignored == 1


def test_a_hubspot_webhook_needs_our_app_id():
    with pytest.raises(StandardError, match="HUBSPOT_APP_ID"):
        webhook_receiver(clients(CRM_KIND="hubspot", WEBHOOK_SECRET_NAME="hook"), "hubspot", "hubspot")


@pytest.mark.parametrize(
    ("kind", "requested", "reason"),
    [
        ("internal", "internal", "sends no webhooks"),
        ("internal", "hubspot", "this deployment's CRM is the internal CRM table"),
        ("hubspot", "internal", "this deployment's CRM is HubSpot"),
        ("hubspot", "salesforce", "this deployment's CRM is HubSpot"),
    ],
)
def test_a_webhook_for_another_crm_or_a_crm_without_webhooks_is_not_found(kind, requested, reason):
    with pytest.raises(NotFound, match=reason):
        webhook_receiver(clients(CRM_KIND=kind, WEBHOOK_SECRET_NAME="hook"), kind, requested)


def test_the_webhook_needs_its_secret_setting():
    with pytest.raises(StandardError, match="WEBHOOK_SECRET_NAME"):
        webhook_receiver(clients(CRM_KIND="hubspot"), "hubspot", "hubspot")
