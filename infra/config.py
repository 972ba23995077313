"""The stack's configuration: one pydantic model read from CDK context.

Every key can be set in ``cdk.json`` (``context``), with ``cdk deploy -c key=value`` or, without the
CLI, through ``CDK_CONTEXT_JSON``. ``-c`` values arrive as strings; pydantic's lax mode turns
``"true"``/``"365"`` into the right types, and a bad value stops the synth with the key's name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from crm_hygiene.enrich.config import parse_providers
from crm_hygiene.errors import InputError
from crm_hygiene.models.crm import CrmKind
from infra import names
from infra.names import Names

# CloudWatch Logs accepts only these retention periods.
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
MAX_REVIEW_TIMEOUT_SECONDS = 364 * 86_400  # a standard workflow runs at most one year


class ConfigError(ValueError):
    """The CDK context does not describe a valid stack."""


class StackConfig(BaseModel):
    """What differs between deployments. Defaults are the shipped behaviour (docs/deploy.md)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stage: str = Field("dev", pattern=r"^[a-z][a-z0-9-]{0,11}$")
    schedule: str = Field("cron(0 6 ? * MON *)", pattern=r"^(cron|rate)\(.+\)$")
    audit_retention_days: int = Field(365, ge=1, le=36_500)
    audit_retention_mode: Literal["COMPLIANCE", "GOVERNANCE"] = "COMPLIANCE"
    # The scheduled audit verification, which also signs the next digest of every chain head.
    audit_verify_schedule: str = Field("rate(1 day)", pattern=r"^(cron|rate)\(.+\)$")
    # The newest digest older than this is reported (a digest deleted without a trace): 2 x the schedule.
    audit_digest_max_age_seconds: int = Field(2 * 86_400, ge=120)
    # A stack upgraded from unkeyed (SHA-256) audit entries accepts them once its first digest pins them.
    audit_allow_legacy: bool = False
    review_timeout_seconds: int = Field(7 * 86_400, ge=60, le=MAX_REVIEW_TIMEOUT_SECONDS)
    scan_partitions: int = Field(4, ge=1, le=1_000)
    scan_max_concurrency: int = Field(4, ge=1, le=1_000)
    distributed_map: bool = False
    cognito: bool = False
    # The hosted UI's domain, https://<prefix>.auth.<region>.amazoncognito.com (unique in the region;
    # Cognito refuses "aws", "amazon" and "cognito" in it). Default crm-hygiene-<stage>-<account id>.
    cognito_domain_prefix: str | None = Field(None, pattern=r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
    # Where Cognito may send a reviewer back after sign-in and sign-out; default the API's stage URL.
    cognito_callback_urls: tuple[str, ...] = ()
    alarm_email: str | None = Field(None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    crm_kind: CrmKind = "internal"
    hubspot_token_secret_name: str | None = None
    webhook_secret_name: str | None = None
    hubspot_app_id: str | None = Field(None, pattern=r"^[0-9]+$")
    standard_parameter: str | None = None
    providers_file: Path | None = None
    log_retention_days: int = 30
    api_rate_limit: float = Field(50.0, gt=0)
    api_burst_limit: int = Field(100, ge=1)
    queue_age_alarm_seconds: int = Field(3 * 86_400, ge=60)

    @field_validator(
        "alarm_email",
        "cognito_domain_prefix",
        "hubspot_token_secret_name",
        "webhook_secret_name",
        "hubspot_app_id",
        "standard_parameter",
        "providers_file",
        mode="before",
    )
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("cognito_domain_prefix")
    @classmethod
    def _allowed_prefix(cls, value: str | None) -> str | None:
        if value is not None and any(word in value for word in ("aws", "amazon", "cognito")):
            raise ValueError('Cognito refuses a domain prefix holding "aws", "amazon" or "cognito"')
        return value

    @field_validator("cognito_callback_urls", mode="before")
    @classmethod
    def _url_list(cls, value: Any) -> Any:
        # -c cognito_callback_urls=https://a/,https://b/ arrives as one string
        return [u.strip() for u in value.split(",") if u.strip()] if isinstance(value, str) else value

    @field_validator("cognito_callback_urls")
    @classmethod
    def _https_urls(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for url in value:  # Cognito accepts http only for localhost
            if not (url.startswith("https://") or url.startswith("http://localhost")):
                raise ValueError(f"{url}: a callback URL must be https:// (http:// only for localhost)")
        return value

    @field_validator("hubspot_app_id", mode="before")
    @classmethod
    def _app_id_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value  # -c hubspot_app_id=123 or JSON 123

    @model_validator(mode="after")
    def _hubspot_needs_its_app_id(self) -> StackConfig:
        # Without it the webhook cannot tell our own writes from a person's: every fix we apply would
        # come back as a scan request.
        if self.crm_kind == "hubspot" and self.hubspot_app_id is None:
            raise ValueError("hubspot_app_id: required with crm_kind=hubspot (the HubSpot app's id)")
        return self

    @field_validator("log_retention_days")
    @classmethod
    def _known_retention(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            raise ValueError(f"CloudWatch Logs accepts only {LOG_RETENTION_DAYS}")
        return value

    @field_validator("providers_file")
    @classmethod
    def _deployable_providers(cls, value: Path | None) -> Path | None:
        """The file must parse (errors as file:line) and name only providers the enrich function can run."""
        if value is not None:
            _providers_text(value)
        return value

    def providers_yaml(self) -> str | None:
        """The providers file's text (stored as an SSM parameter), when one is configured."""
        return None if self.providers_file is None else _providers_text(self.providers_file)

    @property
    def names(self) -> Names:
        return Names(self.stage)

    @property
    def hubspot_secret(self) -> str:
        return self.hubspot_token_secret_name or self.names.hubspot_token_secret

    @property
    def crm_secrets(self) -> dict[str, str]:
        """Environment variable → Secrets Manager name, for each secret the configured CRM needs (its API
        token); none for the internal table. The CRM registry (``crm_hygiene.wiring.crm``) lists the
        same variables, and tests/infra checks that the two agree."""
        if self.crm_kind == "hubspot":
            return {names.ENV_HUBSPOT_TOKEN_SECRET_NAME: self.hubspot_secret}
        return {}

    @property
    def webhook_secret(self) -> str:
        return self.webhook_secret_name or self.names.webhook_secret


def _providers_text(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ValueError(f"{path}: {exc.strerror}") from None
    try:
        parse_providers(text, str(path)).check_deployable(str(path))
    except InputError as exc:
        raise ValueError(str(exc)) from None
    return text


class _Node(Protocol):
    def try_get_context(self, key: str) -> Any: ...


def config_from_context(node: _Node) -> StackConfig:
    """Reads every ``StackConfig`` key that the context sets; the rest keep their defaults.

    Raises:
        ConfigError: a value is invalid (the message names the key).
    """
    values = {key: node.try_get_context(key) for key in StackConfig.model_fields}
    try:
        return StackConfig.model_validate({k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"invalid CDK context: {problems}") from exc
