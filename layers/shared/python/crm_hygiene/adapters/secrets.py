"""SecretStore adapters: environment variables (local runs) and AWS Secrets Manager (Lambda)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from crm_hygiene.errors import NotFound


class EnvSecretStore:
    """Reads a secret from an environment variable named like the secret (``HUBSPOT_TOKEN``)."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ

    def get(self, name: str) -> str:
        value = self._environ.get(name)
        if not value:
            raise NotFound(f"secret {name!r} is not set in the environment")
        return value


class AwsSecretStore:
    """Reads a secret from AWS Secrets Manager through powertools (cached for ``max_age`` seconds).

    ``field`` picks one key when the secret string is a JSON object.
    """

    def __init__(self, *, max_age: int = 300, client: Any | None = None, field: str | None = None) -> None:
        self._max_age = max_age
        self._client = client
        self._field = field

    def get(self, name: str) -> str:
        from aws_lambda_powertools.utilities import parameters

        try:
            if self._client is not None:
                provider = parameters.SecretsProvider(boto3_client=self._client)
                value: Any = provider.get(
                    name, max_age=self._max_age, transform="json" if self._field else None
                )
            else:
                value = parameters.get_secret(
                    name, max_age=self._max_age, transform="json" if self._field else None
                )
        except parameters.exceptions.GetParameterError as exc:
            raise NotFound(f"secret {name!r} could not be read") from exc
        if self._field:
            value = value.get(self._field) if isinstance(value, dict) else None
        if not isinstance(value, str) or not value:
            raise NotFound(f"secret {name!r} has no usable value")
        return value
