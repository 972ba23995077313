"""``providers.yaml``: which providers to use, how far to trust them, and what a run may spend.

Validated strictly (unknown keys are errors, reported with their line). Relative paths are read
relative to the YAML file. Secrets are never written here: ``auth.secret`` names an environment
variable or an AWS Secrets Manager secret. See docs/enrichment.md for the reference.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from crm_hygiene.errors import InputError
from crm_hygiene.standard.loader import _line_index, _line_of  # same YAML line reporting as the standard
from crm_hygiene.types import FieldName

_STRICT = ConfigDict(extra="forbid", frozen=True)
_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"

DEFAULT_PRIORITY: dict[str, int] = {"human": 100, "activity": 60, "file": 50, "http": 40, "derived": 30}
"""Trust ranks: a CRM value typed by a person beats every provider; an observed signature beats a list."""


class Prior(BaseModel):
    """A provider's prior reliability: Beta(mean x strength, (1 - mean) x strength).

    Attributes:
        mean: Expected share of its values that reviewers approve.
        strength: How many review outcomes the prior is worth (small: learns fast).
        fields: Per-field means that differ from ``mean`` (same strength).
    """

    model_config = _STRICT

    mean: float = Field(default=0.8, gt=0.0, lt=1.0)
    strength: float = Field(default=10.0, gt=0.0)
    fields: dict[FieldName, Annotated[float, Field(gt=0.0, lt=1.0)]] = Field(default_factory=dict)

    def for_field(self, name: FieldName) -> tuple[float, float]:
        """(alpha, beta) of the prior for ``name``."""
        mean = self.fields.get(name, self.mean)
        return mean * self.strength, (1.0 - mean) * self.strength


KIND_PRIORS: dict[str, Prior] = {
    "derived": Prior(mean=0.9, strength=20, fields={"country": 0.95, "time_zone": 0.95,
                     "phone_line_type": 0.97, "state": 0.85, "company": 0.9, "name": 0.85}),
    "activity": Prior(mean=0.85, strength=10),
    "file": Prior(mean=0.8, strength=10),
    "http": Prior(mean=0.75, strength=10),
}  # fmt: skip
"""Default priors by provider type, when the providers config gives none."""


class _Base(BaseModel):
    model_config = _STRICT

    name: str = Field(pattern=_NAME)
    enabled: bool = True
    priority: int | None = Field(default=None, description="trust rank; default by type (DEFAULT_PRIORITY)")
    reliability: Prior | None = None
    fields: tuple[FieldName, ...] | None = Field(default=None, description="only these fields")


class DerivedConfig(_Base):
    """Offline facts derived from the record itself and from the CRM's own companies."""

    type: Literal["derived"]
    name: str = Field(default="derived", pattern=_NAME)


class ActivityConfig(_Base):
    """An activity log (CSV or JSON lines): emails and meetings with the participant's signature.

    ``columns`` maps a role (timestamp, email, name, contact_id, title, company, phone) to the
    log's own column name when the default aliases do not find it.
    """

    type: Literal["activity"]
    name: str = Field(default="activity_log", pattern=_NAME)
    path: Path
    columns: dict[str, str] = Field(default_factory=dict)


class FileConfig(_Base):
    """A list provider's CSV, keyed by email, domain or LinkedIn URL.

    Attributes:
        key: What rows are keyed by.
        key_column: The column holding the key.
        columns: Logical field -> the CSV's column.
        observed_at_column: A column with the date each row was verified, if any.
        as_of: The list's date when it has no such column.
    """

    type: Literal["file"]
    path: Path
    key: Literal["email", "domain", "linkedin"] = "email"
    key_column: str
    columns: dict[FieldName, str] = Field(min_length=1)
    observed_at_column: str | None = None
    as_of: str | None = None


class AuthConfig(BaseModel):
    """Where the API key comes from and how it is sent (header, or a query parameter)."""

    model_config = _STRICT

    secret: str = Field(min_length=1, description="env variable or Secrets Manager name, never the key")
    store: Literal["env", "aws"] = "env"
    header: str = "Authorization"
    scheme: str | None = "Bearer"
    query_param: str | None = None


class HttpConfig(_Base):
    """A JSON-over-HTTP provider; a ``preset`` fills ``params``, ``mapping`` and ``identity``.

    Attributes:
        url: Endpoint; may hold ``{email}`` / ``{domain}`` placeholders (URL-encoded).
        params: Query parameters, with the same placeholders.
        mapping: Logical field -> dotted path in the JSON answer (``person.company.name``,
            ``person.phones[0]``); merged over the preset's.
        identity: Path of the email (person) or domain (company) the answer is about: an answer
            about someone else is a ``wrong_person`` fault and nothing from it is used.
        rate_limit: Requests per second the provider allows; the client stays ``headroom`` under.
        burst: Requests that may go back to back after a pause (1: evenly spaced, which also keeps
            providers that count in sliding windows happy).
        cache_ttl: Seconds a good answer is reused (0: no cache); ``cache_file`` keeps it across runs.
    """

    type: Literal["http"]
    preset: Literal["person_by_email", "company_by_domain"] | None = None
    url: str = Field(pattern=r"^https?://")
    method: Literal["GET", "POST"] = "GET"
    params: dict[str, str] = Field(default_factory=dict)
    json_body: dict[str, str] | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    auth: AuthConfig | None = None
    key: Literal["email", "domain"] | None = None
    mapping: dict[FieldName, str] = Field(default_factory=dict)
    identity: str | None = None
    observed_at: str | None = None
    provider_confidence: str | None = None
    rate_limit: float = Field(default=5.0, gt=0.0)
    headroom: float = Field(default=0.95, gt=0.0, le=1.0)
    burst: int = Field(default=1, ge=1)
    timeout: float = Field(default=10.0, gt=0.0)
    max_attempts: int = Field(default=4, ge=1, le=10)
    backoff: float = Field(default=0.5, ge=0.0)
    breaker_threshold: int = Field(default=5, ge=1)
    breaker_reset: float = Field(default=30.0, gt=0.0)
    cache_ttl: float = Field(default=86_400.0, ge=0.0)
    cache_file: Path | None = None
    cost_per_call: float = Field(default=0.0, ge=0.0)
    max_calls: int | None = Field(default=None, ge=0)
    concurrency: int = Field(default=4, ge=1, le=64)

    @model_validator(mode="after")
    def _shape(self) -> HttpConfig:
        if self.preset is None and (not self.mapping or self.key is None):
            raise ValueError("without a preset, 'key' and 'mapping' are required")
        return self


ProviderConfig = Annotated[
    DerivedConfig | ActivityConfig | FileConfig | HttpConfig, Field(discriminator="type")
]


class Budget(BaseModel):
    """What one run may spend on remote providers, in calls and in money (None: no limit)."""

    model_config = _STRICT

    max_calls: int | None = Field(default=None, ge=0)
    max_cost: float | None = Field(default=None, ge=0.0)


class Waterfall(BaseModel):
    """When to stop asking, when sources disagree, and the budget.

    Attributes:
        stop_at: A field counts as filled once its combined confidence reaches this; remote
            providers are asked only for fields not yet filled.
        conflict_floor: Two different values both at or above this confidence are a conflict.
    """

    model_config = _STRICT

    stop_at: float = Field(default=0.8, gt=0.0, le=1.0)
    conflict_floor: float = Field(default=0.5, gt=0.0, le=1.0)
    budget: Budget = Field(default_factory=Budget)


class Trust(BaseModel):
    """How a CRM value compares with a provider's.

    Attributes:
        existing_source: What filled the CRM's current values ("human" unless you know better,
            e.g. "import" for a CRM loaded from an old list).
        priorities: Source (a provider name or type, or "human" / "import") -> rank.
    """

    model_config = _STRICT

    existing_source: str = "human"
    priorities: dict[str, int] = Field(default_factory=dict)

    def rank(self, source: str, kind: str | None = None) -> int:
        """The rank of a source by name, else by provider type, else 0 ("import": 20)."""
        table = {**DEFAULT_PRIORITY, "import": 20, **self.priorities}
        if source in table:
            return table[source]
        return table.get(kind or "", 0)


class CrmFiles(BaseModel):
    """The CRM's own records used by the derived provider (company by email domain, and back)."""

    model_config = _STRICT

    companies: Path | None = None
    contacts: Path | None = None


class ProvidersConfig(BaseModel):
    """The whole providers file.

    Attributes:
        providers: In any order: the waterfall orders them by learned quality and cost.
        fields: Fields to enrich (default: every enrichable field the input has a column for).
        decay_days: Days after which title / company are looked up again (default: the
            standard's ``staleness.max_days_without_activity``).
        state: The provider-quality state file (review outcomes), when not given on the command line.
    """

    model_config = _STRICT

    version: Literal[1] = 1
    providers: list[ProviderConfig] = Field(default_factory=lambda: _only_derived())
    waterfall: Waterfall = Field(default_factory=Waterfall)
    trust: Trust = Field(default_factory=Trust)
    crm: CrmFiles = Field(default_factory=CrmFiles)
    fields: tuple[FieldName, ...] | None = None
    decay_days: int | None = Field(default=None, ge=1)
    state: Path | None = None

    @model_validator(mode="after")
    def _unique_and_derived(self) -> ProvidersConfig:
        names = [p.name for p in self.providers]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"provider names must be unique: {', '.join(dupes)}")
        return self

    def deployment_problems(self) -> list[str]:
        """What the deployed enrich function cannot run: it has no local files (activity logs, list
        files, caches, CRM exports, a quality state file) and no environment variables holding API
        keys; its secrets come from Secrets Manager (``auth.store: aws``)."""
        problems = [
            f"providers.{p.name}: the {p.type} provider reads the local file {str(p.path)!r}"
            for p in self.providers
            if isinstance(p, ActivityConfig | FileConfig) and p.enabled
        ]
        for p in self.providers:
            if not isinstance(p, HttpConfig) or not p.enabled:
                continue
            if p.cache_file is not None:
                problems.append(f"providers.{p.name}.cache_file: a local file (use cache_ttl alone)")
            if p.auth is not None and p.auth.store != "aws":
                problems.append(
                    f"providers.{p.name}.auth.store: {p.auth.store!r}; only 'aws' (Secrets Manager) "
                    "is available to the enrich function"
                )
        files = {"crm.companies": self.crm.companies, "crm.contacts": self.crm.contacts, "state": self.state}
        problems += [f"{key}: a local file" for key, value in files.items() if value is not None]
        return problems

    def check_deployable(self, source: str) -> None:
        """Raises ``InputError`` listing ``deployment_problems`` (``source`` names the file or parameter)."""
        problems = self.deployment_problems()
        if problems:
            raise InputError(
                "providers the deployed enrich function cannot run\n"
                + "\n".join(f"{source}: {problem}" for problem in problems)
            )

    def with_derived(self) -> ProvidersConfig:
        """The derived provider is always on: added when the file does not list it."""
        if any(isinstance(p, DerivedConfig) for p in self.providers):
            return self
        return self.model_copy(update={"providers": [DerivedConfig(type="derived"), *self.providers]})


def _only_derived() -> list[ProviderConfig]:
    return [DerivedConfig(type="derived")]


def _resolve(data: Any, base: Path) -> Any:
    """Makes ``path`` / ``cache_file`` / ``state`` / crm paths relative to the YAML file's folder."""
    if not isinstance(data, dict):
        return data
    out = dict(data)
    for key in ("path", "cache_file", "state", "companies", "contacts"):
        value = out.get(key)
        if isinstance(value, str) and value and not Path(value).is_absolute():
            out[key] = str(base / value)
    for key in ("providers",):
        if isinstance(out.get(key), list):
            out[key] = [_resolve(item, base) for item in out[key]]
    if isinstance(out.get("crm"), dict):
        out["crm"] = _resolve(out["crm"], base)
    return out


def parse_providers(text: str, source: str = "<providers>", base: Path | None = None) -> ProvidersConfig:
    """Parses and validates a providers file; raises ``InputError`` naming each bad key and its line."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise InputError(str(getattr(exc, "problem", exc)), path=source, line=line) from None
    if node is None or not isinstance(data, dict):
        raise InputError("the providers file must be a mapping with a 'providers' list", path=source, line=1)
    lines = _line_index(node)
    try:
        return ProvidersConfig.model_validate(_resolve(data, base or Path(".")))
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p in _TYPE_TAGS))
            key = ".".join(str(p) for p in loc) or "(top level)"
            problems.append(f"{source}:{_line_of(lines, loc) or '?'}: {key}: {err['msg']}")
        raise InputError("invalid providers file\n" + "\n".join(problems)) from None


_TYPE_TAGS = frozenset({"derived", "activity", "file", "http"})


def load_providers(path: str | Path) -> ProvidersConfig:
    """Loads ``providers.yaml``; relative paths in it are relative to its folder."""
    file = Path(path)
    text = file.read_text(encoding="utf-8-sig")
    return parse_providers(text, str(path), file.resolve().parent)
