"""Secret stores: environment and Secrets Manager (on moto), with clear NotFound errors."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from crm_hygiene.adapters.secrets import AwsSecretStore, EnvSecretStore
from crm_hygiene.errors import NotFound


def test_env_secret_store() -> None:
    store = EnvSecretStore({"HUBSPOT_TOKEN": "pat-123", "EMPTY": ""})
    assert store.get("HUBSPOT_TOKEN") == "pat-123"
    for name in ("MISSING", "EMPTY"):
        with pytest.raises(NotFound, match=name):
            store.get(name)


@pytest.fixture
def secretsmanager() -> Iterator[object]:
    with mock_aws():
        yield boto3.client("secretsmanager", region_name="us-east-1")


def test_aws_secret_store_plain_and_json(secretsmanager: object) -> None:
    client = secretsmanager
    client.create_secret(Name="hubspot/token", SecretString="pat-abc")  # type: ignore[attr-defined]
    client.create_secret(Name="provider", SecretString=json.dumps({"api_key": "k-1"}))  # type: ignore[attr-defined]
    assert AwsSecretStore(client=client, max_age=0).get("hubspot/token") == "pat-abc"
    assert AwsSecretStore(client=client, max_age=0, field="api_key").get("provider") == "k-1"
    with pytest.raises(NotFound):
        AwsSecretStore(client=client, max_age=0).get("nope")
    with pytest.raises(NotFound):
        AwsSecretStore(client=client, max_age=0, field="other").get("provider")
