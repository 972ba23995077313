"""The CRM registry: one entry per CRM kind, saying how to build its store and its webhook receiver.

The kinds themselves are named once, in ``crm_hygiene.models.crm`` (``CrmKind``, ``CRM_KINDS``); settings,
infra and the demo read them there, and ``CONNECTORS`` has exactly one entry per kind (a test checks
both). Adding a CRM is: its name in ``CrmKind``, an adapter implementing ``CrmStore`` (and, if the CRM
sends change notifications, a ``WebhookReceiver``), one entry here, and the contract suite in
``tests/contract`` passing for it.

Builders take the container's clients (``CrmClients``: ``AwsDeps`` in Lambda) and import their adapter on
first use, so a function never loads a CRM client it does not talk to.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel

from crm_hygiene.errors import NotFound, StandardError
from crm_hygiene.models.crm import CRM_KINDS, CrmKind
from crm_hygiene.ports import CrmStore, IdempotencyStore
from crm_hygiene.webhooks.receiver import WebhookReceiver


class CrmClients(Protocol):
    """What a builder may use: the function's settings and its lazily made AWS clients."""

    @property
    def settings(self) -> BaseModel: ...

    @property
    def dynamodb(self) -> Any: ...

    @property
    def idempotency(self) -> IdempotencyStore: ...

    @property
    def webhook_secret(self) -> str: ...


@dataclass(frozen=True)
class CrmConnector:
    """One CRM kind.

    Attributes:
        kind: Its name (``CRM_KIND``, the ``crm_kind`` context key, ``/webhooks/{kind}``).
        label: What to call it in messages.
        store: Builds its ``CrmStore``.
        webhook: Builds its webhook receiver; None when the CRM sends no webhooks (``POST
            /webhooks/{kind}`` then answers 404).
        settings: Environment variables it needs besides the common ones (checked before building).
        webhook_settings: What its webhook receiver needs on the webhook function.
    """

    kind: CrmKind
    label: str
    store: Callable[[CrmClients], CrmStore]
    webhook: Callable[[CrmClients], WebhookReceiver] | None = None
    settings: tuple[str, ...] = ()
    webhook_settings: tuple[str, ...] = ()


def _internal_store(clients: CrmClients) -> CrmStore:
    from crm_hygiene.adapters.aws.crm_store import DynamoCrmStore

    return DynamoCrmStore(clients.dynamodb.Table(_setting(clients.settings, "CRM_TABLE")))


def _hubspot_store(clients: CrmClients) -> CrmStore:
    from crm_hygiene.adapters.crm.hubspot import HubSpotCrmStore
    from crm_hygiene.adapters.secrets import AwsSecretStore

    token = AwsSecretStore().get(_setting(clients.settings, "HUBSPOT_TOKEN_SECRET_NAME"))
    base_url = _setting(clients.settings, "HUBSPOT_BASE_URL")
    return HubSpotCrmStore.from_settings(base_url=base_url, token=token)


def _hubspot_webhook(clients: CrmClients) -> WebhookReceiver:
    from crm_hygiene.webhooks.hubspot import HubSpotWebhookReceiver

    app_id = str(_setting(clients.settings, "HUBSPOT_APP_ID"))  # required: see webhook_settings
    return HubSpotWebhookReceiver(clients.webhook_secret, clients.idempotency, ignore_sources={app_id})


CONNECTORS: Mapping[CrmKind, CrmConnector] = {
    "internal": CrmConnector(
        kind="internal",
        label="the internal CRM table (DynamoDB)",
        store=_internal_store,
        settings=("CRM_TABLE",),
    ),
    "hubspot": CrmConnector(
        kind="hubspot",
        label="HubSpot",
        store=_hubspot_store,
        webhook=_hubspot_webhook,
        settings=("HUBSPOT_TOKEN_SECRET_NAME",),
        webhook_settings=("WEBHOOK_SECRET_NAME", "HUBSPOT_APP_ID"),
    ),
}
if tuple(CONNECTORS) != CRM_KINDS:  # pragma: no cover - an import-time guard for a new kind
    raise RuntimeError(f"CRM registry {tuple(CONNECTORS)} does not match CRM_KINDS {CRM_KINDS}")


def connector(kind: CrmKind) -> CrmConnector:
    """The registry entry of ``kind``."""
    return CONNECTORS[kind]


def crm_store(clients: CrmClients, kind: CrmKind) -> CrmStore:
    """The configured CRM's store.

    Raises:
        StandardError: a setting that CRM needs is missing (names the variable).
    """
    entry = CONNECTORS[kind]
    _require(clients.settings, entry, entry.settings)
    return entry.store(clients)


def webhook_receiver(clients: CrmClients, kind: CrmKind, requested: str) -> WebhookReceiver:
    """The receiver behind ``POST /webhooks/{requested}`` in a deployment whose CRM is ``kind``.

    Raises:
        NotFound: ``requested`` is not this deployment's CRM, or that CRM sends no webhooks (404).
        StandardError: a setting its receiver needs is missing.
    """
    entry = CONNECTORS[kind]
    if requested != kind:
        raise NotFound(f"no webhook at this path: this deployment's CRM is {entry.label}")
    if entry.webhook is None:
        raise NotFound(f"{entry.label} sends no webhooks: there is no webhook for CRM_KIND={kind}")
    _require(clients.settings, entry, entry.webhook_settings)
    return entry.webhook(clients)


def _setting(settings: BaseModel, variable: str) -> Any:
    """A setting by its environment variable name (the field's alias)."""
    for name, info in type(settings).model_fields.items():
        if info.alias == variable:
            return getattr(settings, name)
    return None


def _require(settings: BaseModel, entry: CrmConnector, variables: tuple[str, ...]) -> None:
    missing = [v for v in variables if not _setting(settings, v)]
    if missing:
        raise StandardError("settings", [(v, None, f"required when CRM_KIND={entry.kind}") for v in missing])
