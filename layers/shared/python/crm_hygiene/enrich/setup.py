"""Builds the providers of a run from ``providers.yaml`` (HTTP ones through a driver's factory)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from crm_hygiene.enrich.config import (
    ActivityConfig,
    DerivedConfig,
    FileConfig,
    HttpConfig,
    Prior,
    ProviderConfig,
    ProvidersConfig,
)
from crm_hygiene.enrich.directory import CrmDirectory
from crm_hygiene.enrich.engine import Limits
from crm_hygiene.enrich.provider import HttpProviderFactory, Provider
from crm_hygiene.enrich.providers.activity import ActivityLogProvider, read_activities
from crm_hygiene.enrich.providers.derived import DerivedProvider
from crm_hygiene.enrich.providers.file_import import FileImportProvider
from crm_hygiene.errors import InputError
from crm_hygiene.ports import SecretStore
from crm_hygiene.standard.model import DataStandard


@dataclass
class EnrichSetup:
    """Everything a run needs besides the records."""

    config: ProvidersConfig
    providers: list[Provider]
    priors: dict[str, Prior]
    limits: Limits
    directory: CrmDirectory


def with_activity(config: ProvidersConfig, activity: Path | None) -> ProvidersConfig:
    """Adds an activity-log provider for ``--activity`` (replacing a configured one's file)."""
    if activity is None:
        return config
    providers: list[ProviderConfig] = [p for p in config.providers if not isinstance(p, ActivityConfig)]
    existing = next((p for p in config.providers if isinstance(p, ActivityConfig)), None)
    added = (
        existing.model_copy(update={"path": activity})
        if existing
        else ActivityConfig(type="activity", path=activity)
    )
    return config.model_copy(update={"providers": [*providers, added]})


def build_setup(
    config: ProvidersConfig,
    *,
    standard: DataStandard,
    directory_files: Sequence[Path | None] = (),
    secrets: Mapping[str, SecretStore] | None = None,
    index_people: bool = False,
    http: HttpProviderFactory | None = None,
) -> EnrichSetup:
    """Builds the providers (derived always on), the CRM directory, priors and per-provider limits.

    Args:
        directory_files: CRM exports the derived provider learns companies from (besides ``crm:``).
        secrets: Secret stores by kind ("env", "aws") for HTTP providers' API keys.
        index_people: Also index contacts by email (to name managers in reports-to signals).
        http: Builds HTTP providers (the adapter ``adapters.enrich_http.HttpProvider``); without it
            a config naming an HTTP provider is refused.
    """
    config = config.with_derived()
    files = [config.crm.companies, config.crm.contacts, *directory_files]
    unique = list(dict.fromkeys(Path(f).resolve() for f in files if f is not None))
    directory = CrmDirectory.from_files(*unique, index_people=index_people)
    providers: list[Provider] = []
    priors: dict[str, Prior] = {}
    max_calls: dict[str, int | None] = {}
    concurrency: dict[str, int] = {}
    for item in config.providers:
        if not item.enabled:
            continue
        rank = item.priority if item.priority is not None else config.trust.rank(item.name, item.type)
        providers.append(_provider(item, rank, standard, directory, secrets or {}, http))
        if item.reliability is not None:
            priors[item.name] = item.reliability
        if isinstance(item, HttpConfig):
            max_calls[item.name] = item.max_calls
            concurrency[item.name] = item.concurrency
    return EnrichSetup(config, providers, priors, Limits(max_calls, concurrency), directory)


def _only(item: ProviderConfig) -> frozenset[str] | None:
    return frozenset(item.fields) if item.fields else None


def _provider(
    item: ProviderConfig,
    rank: int,
    standard: DataStandard,
    directory: CrmDirectory,
    secrets: Mapping[str, SecretStore],
    http: HttpProviderFactory | None,
) -> Provider:
    if isinstance(item, DerivedConfig):
        return DerivedProvider(
            directory,
            name=item.name,
            default_region=standard.default_phone_region,
            priority=rank,
            only=_only(item),
        )
    if isinstance(item, ActivityConfig):
        index = read_activities(item.path, item.columns)
        return ActivityLogProvider(
            index, name=item.name, priority=rank, directory=directory, only=_only(item)
        )
    if isinstance(item, FileConfig):
        return FileImportProvider(item, priority=rank)
    if http is None:
        raise InputError(f"provider {item.name!r}: HTTP providers are not available in this run")
    store = secrets.get(item.auth.store) if item.auth is not None else None
    if item.auth is not None and store is None:
        raise InputError(f"provider {item.name!r}: no {item.auth.store!r} secret store available")
    return http(item, secrets=store, priority=rank)
