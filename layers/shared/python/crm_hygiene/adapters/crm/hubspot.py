"""HubSpot as a ``CrmStore``: the CRM v3 object API and v4 associations, paced to the account's limits.

Reads page with ``after`` (list), batch-read 100 ids per request, and find changes with the search API
by keyset slices on the last-modified timestamp (never near the 10,000-result window, and no record
is skipped when others change during the scan). Writes are optimistic: each batch of up to 100 records
is read just before it is written, and a field that no longer holds the expected value is a
``conflict``, never overwritten. HubSpot has no conditional update, so the window between that read
and the write is as short as one request. Writes are sent once per attempt and never resent
without reading the record first: after an answer that leaves the outcome unknown (any 5xx, 503
included, a timeout, a dropped connection) or says it was not processed (429, 423, 477), the records
are read again with their property history; a field holding the new value counts as applied, one
whose history shows our value was written and then changed again (or holding anything else) is a
conflict, and only a field still holding the expected old value is written again. Merges are
confirmed by resolving both ids; a lifecycle stage moved back (clear, set, restore) that may be left
empty is reported with ``WriteResult.restore``. docs/hubspot.md has the exact rules.

Merges mint a new id for contacts and companies; old ids keep resolving to the survivor and are
listed in ``hs_merged_object_ids``, which every read requests, so a write or merge addressed to an
old id reaches the surviving record (batch update refuses old ids, so the current id is sent).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict

from crm_hygiene.adapters.crm.hubspot_limits import (
    DailyLimitReached,
    HubSpotLimits,
    PacedBucket,
    RateLimitWatcher,
)
from crm_hygiene.adapters.crm.hubspot_properties import (
    ASSOCIATED_FIELDS,
    MERGED_IDS,
    MODIFIED_PROPERTY,
    OBJECT_PATHS,
    InvalidValue,
    PropertyCatalog,
    PropertySpec,
    epoch_ms,
)
from crm_hygiene.adapters.http import CallStats, NotSent, ResilientClient, ServiceError, UncertainOutcome
from crm_hygiene.adapters.secrets import EnvSecretStore
from crm_hygiene.errors import Conflict, HygieneError, NotFound, Throttled
from crm_hygiene.models.crm import FieldInfo, FieldWrite, MergeResult, RecordPage, WriteResult, WriteStatus
from crm_hygiene.models.record import Record
from crm_hygiene.models.unmerge import AssociationImage, RecordImage
from crm_hygiene.ports import SecretStore
from crm_hygiene.resilience import Clock, RetryPolicy, Sleep
from crm_hygiene.types import FieldName, ObjectType, RecordId

DEFAULT_BASE_URL: Final = "https://api.hubapi.com"
TOKEN_SECRET: Final = "HUBSPOT_TOKEN"
BATCH_LIMIT: Final = 100
HISTORY_BATCH_LIMIT: Final = 50
SEARCH_PAGE: Final = 200
ASSOCIATION_BATCH_LIMIT: Final = 1000
# Statuses that say a write was not processed and may be sent again after a re-read (423 Locked,
# 477 Migration in Progress).
_NOT_PROCESSED: Final = frozenset({423, 477})
_RETRY_STATUSES: Final = frozenset({429, 500, 502, 503, 504, 423, 477, 524})
_PRIMARY_TYPE_IDS: Final = frozenset({1, 2, 5, 6})
NOTE_TYPE_IDS: Final[dict[ObjectType, int]] = {"contact": 202, "company": 190, "deal": 214}
"""note -> contact / company / deal association type ids (HUBSPOT_DEFINED)."""
TO_NOTE_TYPE_IDS: Final[dict[ObjectType, int]] = {"contact": 201, "company": 189, "deal": 213}
"""contact / company / deal -> note association type ids (HUBSPOT_DEFINED): a create's inline link."""


def unmerge_marker(object_type: ObjectType, old_id: RecordId) -> str:
    """What a ``merged_from`` note's body says to name the merged-away record it is about; the ``;``
    ends the id (``company 12;`` is not in ``company 123;``)."""
    return f"crm-hygiene unmerge: {object_type} {old_id};"


class HubSpotError(HygieneError):
    """HubSpot refused a request; ``category`` is its error category (no values from the body)."""

    def __init__(self, message: str, *, status: int | None = None, category: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.category = category


class HubSpotAuthError(HubSpotError):
    """The token is missing, invalid, expired or lacks a scope (401/403)."""


class Association(BaseModel):
    """One associated record, with the association's labels and type ids."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    to_id: RecordId
    type_ids: list[int]
    labels: list[str]

    @property
    def primary(self) -> bool:
        return bool(_PRIMARY_TYPE_IDS.intersection(self.type_ids))


@dataclass
class _Current:
    """A record as read just now: its current id, stored property values and (optionally) history."""

    id: str
    properties: dict[str, str]
    updated_at: str
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


@dataclass
class _Pending:
    """A write on its way: where it goes and what was seen when it was checked."""

    index: int
    write: FieldWrite
    spec: PropertySpec
    wire: str
    target: str = ""
    seen_at: str = ""


def _error_detail(body: str) -> tuple[str, str]:
    """(category, detail) of a HubSpot error body without its messages, which may quote values."""
    try:
        data = json.loads(body or "{}")
    except ValueError:
        return "", ""
    if not isinstance(data, dict):
        return "", ""
    category = str(data.get("category") or data.get("errorType") or "")
    errors = [e for e in data.get("errors") or [] if isinstance(e, dict)]
    codes = sorted({str(e["code"]) for e in errors if e.get("code")})
    names = sorted({str(n) for e in errors for n in (e.get("context") or {}).get("propertyName") or []})
    parts = [category, ",".join(codes), f"properties {','.join(names)}" if names else ""]
    return category, " ".join(p for p in parts if p)


def _translate(exc: ServiceError, what: str) -> HygieneError:
    """The one place HubSpot's HTTP errors become domain errors."""
    category, detail = _error_detail(exc.body)
    message = f"HubSpot {what}: HTTP {exc.status} {detail}".rstrip()
    if exc.status == 404:
        return NotFound(message)
    if exc.status in (401, 403):
        return HubSpotAuthError(message, status=exc.status, category=category)
    if exc.status == 409:
        return Conflict(message)
    return HubSpotError(message, status=exc.status, category=category)


class _BearerAuth(httpx.Auth):
    """Asks for the token on every request, so a rotated secret is picked up (stores cache it)."""

    def __init__(self, token: Callable[[], str]) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token()}"
        yield request


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class _Sent:
    """What one write request left open: writes whose outcome is unknown (``unsure``: 5xx, timeout,
    dropped connection) and writes HubSpot did not process (``later``: 429, 423, 477, refused)."""

    unsure: list[_Pending] = field(default_factory=list)
    later: list[_Pending] = field(default_factory=list)


@dataclass(frozen=True)
class _Step:
    """One checked PATCH: ``done`` (the field holds what was sent), ``held`` (still the expected value:
    not applied), ``changed`` (someone else set ``stored``), ``unknown`` (could not be read)."""

    outcome: Literal["done", "held", "changed", "unknown"]
    stored: str


def _result(
    p: _Pending,
    status: WriteStatus,
    *,
    current: str | None = None,
    detail: str = "",
    restore: str | None = None,
) -> WriteResult:
    result = p.write.result(status, current, detail)
    return result.model_copy(update={"restore": restore}) if restore is not None else result


def _merged(
    object_type: ObjectType,
    ids: tuple[str, str],
    surviving: str,
    uncertain: int,
    *,
    detail: str | None = None,
) -> MergeResult:
    if detail is None:
        detail = (
            "merged: confirmed by reading both ids after an uncertain answer"
            if uncertain
            else "already merged"
        )
    return MergeResult(
        object_type=object_type,
        primary_id=ids[0],
        merged_ids=list(ids),
        surviving_id=surviving,
        detail=detail,
    )


class HubSpotCrmStore:
    """The ``CrmStore`` port on HubSpot's CRM API. Build it with :meth:`from_settings`.

    Args:
        http: Client for all calls but search, paced to the app's rolling window.
        search_http: Client for search calls, paced to the search limit (5/s per account).
        sleep: Used for the pauses before re-reading after a failed write.
        settle_seconds: The pause after an ambiguous answer: a request that timed out may still land.
        write_attempts: Ambiguous attempts (5xx, timeout, dropped) of one write, merge or lifecycle
            step before it is reported failed; attempts HubSpot refused to process (429, 423, 477)
            are bounded by the retry policy's ``max_attempts``. Every resend follows a read.
        metadata_ttl: Seconds property metadata is cached.
        extra_properties: Per object type, more properties to read into ``Record.custom``.
    """

    def __init__(
        self,
        http: ResilientClient,
        search_http: ResilientClient | None = None,
        *,
        sleep: Sleep = time.sleep,
        clock: Clock = time.monotonic,
        settle_seconds: float = 5.0,
        write_attempts: int = 3,
        metadata_ttl: float = 600.0,
        extra_properties: Mapping[ObjectType, Sequence[str]] | None = None,
    ) -> None:
        self._http = http
        self._search = search_http or http
        self._sleep = sleep
        self._clock = clock
        self.settle_seconds = settle_seconds
        self.write_attempts = write_attempts
        self.metadata_ttl = metadata_ttl
        self._extra = {k: tuple(v) for k, v in (extra_properties or {}).items()}
        self._catalogs: dict[ObjectType, tuple[float, PropertyCatalog]] = {}

    @classmethod
    def from_settings(
        cls,
        *,
        base_url: str = DEFAULT_BASE_URL,
        token: str | None = None,
        secrets: SecretStore | None = None,
        token_name: str = TOKEN_SECRET,
        limits: HubSpotLimits | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Sleep = time.sleep,
        clock: Clock = time.monotonic,
        **options: Any,
    ) -> HubSpotCrmStore:
        """The one way to build the connector.

        Args:
            base_url: ``https://api.hubapi.com``, or a fake's URL.
            token: A private-app / static / OAuth access token; when None it is read on every request
                from ``secrets`` (default: the environment) under ``token_name``.
            limits: The account's limits to pace to (default: Free/Starter, 100 per 10 s, search 5/s).
            timeout: Seconds per request (connect: at most 10).
            retry: Backoff for retries (default: 8 attempts, 0.5 s doubling to 10 s, full jitter).
            transport: An httpx transport (tests: a mock or the fake's in-process transport).
            sleep, clock: Injected in tests so pacing and backoff take no real time.
            options: Passed to the constructor (``settle_seconds``, ``write_attempts``...).
        """
        if token is not None:
            fixed = token

            def provider() -> str:
                return fixed

        else:
            store = secrets or EnvSecretStore()

            def provider() -> str:
                return store.get(token_name)

        limits = limits or HubSpotLimits()
        retry = retry or RetryPolicy(
            max_attempts=8, base_delay=0.5, max_delay=10.0, retry_statuses=_RETRY_STATUSES
        )
        client = httpx.Client(
            base_url=base_url,
            auth=_BearerAuth(provider),
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "crm-hygiene"},
        )

        def paced(rate: float, hold: float) -> ResilientClient:
            bucket = PacedBucket(rate, clock=clock, sleep=sleep)
            watcher = RateLimitWatcher(bucket, limits, fallback_hold=hold)
            return ResilientClient(client, limiter=bucket, retry=retry, sleep=sleep, on_response=watcher)

        general = paced(limits.general_rate(), 1.0)
        search = paced(limits.search_rate(), 1.0)
        return cls(general, search, sleep=sleep, clock=clock, **options)

    def close(self) -> None:
        self._http.client.close()

    def __enter__(self) -> HubSpotCrmStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def stats(self) -> dict[str, CallStats]:
        """Request counts of the general and the search client (the same object when shared)."""
        return {"general": self._http.stats, "search": self._search.stats}

    # -- metadata -----------------------------------------------------------------------------------

    def catalog(self, object_type: ObjectType) -> PropertyCatalog:
        """This portal's property metadata for ``object_type`` (cached ``metadata_ttl`` seconds)."""
        cached = self._catalogs.get(object_type)
        if cached is not None and self._clock() - cached[0] < self.metadata_ttl:
            return cached[1]
        body = self._get(f"/crm/v3/properties/{OBJECT_PATHS[object_type]}", {"archived": "false"})
        catalog = PropertyCatalog(object_type, body.get("results") or [])
        self._catalogs[object_type] = (self._clock(), catalog)
        return catalog

    def field_info(self, object_type: ObjectType) -> dict[FieldName, FieldInfo]:
        return self.catalog(object_type).field_info()

    # -- reads --------------------------------------------------------------------------------------

    def list_records(
        self, object_type: ObjectType, *, cursor: str | None = None, limit: int = 100
    ) -> RecordPage:
        catalog = self.catalog(object_type)
        params: dict[str, str] = {
            "limit": str(max(1, min(limit, BATCH_LIMIT))),
            "properties": ",".join(self._properties(catalog)),
            "archived": "false",
        }
        if cursor:
            params["after"] = cursor
        associated = ASSOCIATED_FIELDS.get(object_type, {})
        if associated:
            params["associations"] = ",".join(sorted(set(associated.values())))
        body = self._get(f"/crm/v3/objects/{OBJECT_PATHS[object_type]}", params)
        records = [
            catalog.to_record(
                obj, associated=_inline_associations(obj, associated), extra=self._extra_of(catalog)
            )
            for obj in body.get("results") or []
        ]
        after = ((body.get("paging") or {}).get("next") or {}).get("after")
        return RecordPage(records=records, next_cursor=str(after) if after else None)

    def get_records(self, object_type: ObjectType, record_ids: Sequence[RecordId]) -> list[Record]:
        catalog = self.catalog(object_type)
        wanted = list(dict.fromkeys(str(i) for i in record_ids))
        found = self._read_objects(object_type, wanted, self._properties(catalog))
        objects: dict[str, Mapping[str, Any]] = {}
        for requested in wanted:
            obj = found.get(requested)
            if obj is not None:
                objects.setdefault(str(obj["id"]), obj)
        return self._to_records(object_type, catalog, list(objects.values()))

    def changed_since(self, object_type: ObjectType, since: datetime) -> Iterator[Record]:
        """Records modified at or after ``since``, oldest change first.

        Keyset slices on the last-modified timestamp: every request starts at the newest timestamp
        seen so far (skipping the ids already yielded at it), so the 10,000-result window is never
        reached and records that change during the scan cannot shift others out of view. When one
        page is all one timestamp (bulk imports), that timestamp is drained by id. A record changed
        again during the scan is yielded again. Search is eventually consistent: start the next
        incremental scan a few minutes before this one started.
        """
        catalog = self.catalog(object_type)
        modified = MODIFIED_PROPERTY[object_type]
        stamp = int(since.replace(tzinfo=since.tzinfo or UTC).timestamp() * 1000)
        seen: set[str] = set()
        while True:
            page = self._search_page(object_type, catalog, [_filter(modified, "GTE", stamp)], modified)
            fresh = [
                obj for obj in page if not (_stamp_of(obj, modified) == stamp and str(obj["id"]) in seen)
            ]
            yield from self._to_records(object_type, catalog, fresh)
            if len(page) < SEARCH_PAGE:
                return
            newest = max(_stamp_of(obj, modified) for obj in page)
            if newest > stamp:
                stamp, seen = newest, {str(o["id"]) for o in page if _stamp_of(o, modified) == newest}
                continue
            yield from self._drain_stamp(object_type, catalog, stamp, seen | {str(o["id"]) for o in page})
            stamp, seen = stamp + 1, set()

    def _drain_stamp(
        self, object_type: ObjectType, catalog: PropertyCatalog, stamp: int, seen: set[str]
    ) -> Iterator[Record]:
        """Every record modified exactly at ``stamp`` not in ``seen``, by ascending id."""
        modified = MODIFIED_PROPERTY[object_type]
        last_id = 0
        while True:
            filters = [_filter(modified, "EQ", stamp), _filter("hs_object_id", "GT", last_id)]
            page = self._search_page(object_type, catalog, filters, "hs_object_id")
            yield from self._to_records(object_type, catalog, [o for o in page if str(o["id"]) not in seen])
            if len(page) < SEARCH_PAGE:
                return
            last_id = max(int(o["id"]) for o in page)

    def _search_page(
        self, object_type: ObjectType, catalog: PropertyCatalog, filters: list[dict[str, str]], sort: str
    ) -> list[Mapping[str, Any]]:
        body = {
            "filterGroups": [{"filters": filters}],
            "sorts": [{"propertyName": sort, "direction": "ASCENDING"}],
            "properties": [*self._properties(catalog), MODIFIED_PROPERTY[object_type]],
            "limit": SEARCH_PAGE,
            "after": "0",
        }
        path = f"/crm/v3/objects/{OBJECT_PATHS[object_type]}/search"
        answer = self._post(self._search, path, body, idempotent=True)
        return list(answer.get("results") or [])

    def get_record(self, object_type: ObjectType, record_id: RecordId) -> Record | None:
        """One record by id, following merges (an old id returns the surviving record)."""
        catalog = self.catalog(object_type)
        obj = self._get_one(object_type, str(record_id), self._properties(catalog))
        return None if obj is None else self._to_records(object_type, catalog, [obj])[0]

    def property_history(
        self, object_type: ObjectType, record_id: RecordId, properties: Sequence[str]
    ) -> dict[str, list[dict[str, Any]]]:
        """Each property's history (newest first: value, timestamp, sourceType, sourceId...)."""
        current = self._read_current(object_type, [str(record_id)], list(properties), history=True)
        found = current.get(str(record_id))
        if found is None:
            raise NotFound(f"HubSpot {object_type} {record_id}: not found")
        return found.history

    def _properties(self, catalog: PropertyCatalog) -> list[str]:
        return catalog.properties_to_read(self._extra_of(catalog))

    def _extra_of(self, catalog: PropertyCatalog) -> tuple[str, ...]:
        return self._extra.get(catalog.object_type, ())

    def _to_records(
        self, object_type: ObjectType, catalog: PropertyCatalog, objects: Sequence[Mapping[str, Any]]
    ) -> list[Record]:
        associated = ASSOCIATED_FIELDS.get(object_type, {})
        links: dict[FieldName, dict[str, list[str]]] = {
            name: self._associated_ids(object_type, path, [str(o["id"]) for o in objects])
            for name, path in associated.items()
            if objects
        }
        extra = self._extra_of(catalog)
        return [
            catalog.to_record(
                obj, associated={n: ids.get(str(obj["id"]), []) for n, ids in links.items()}, extra=extra
            )
            for obj in objects
        ]

    def _read_objects(
        self, object_type: ObjectType, ids: Sequence[str], properties: Sequence[str], *,
        history: bool = False, history_of: Sequence[str] = (),
    ) -> dict[str, Mapping[str, Any]]:  # fmt: skip
        """requested id -> object, following merges; ids that do not exist (or are archived) are absent.

        Batch read first; ids it does not answer for (old ids of merged records are not resolved by
        batch endpoints) are read one by one, which follows merges.
        """
        path = f"/crm/v3/objects/{OBJECT_PATHS[object_type]}/batch/read"
        found: dict[str, Mapping[str, Any]] = {}
        for chunk in _chunks(list(ids), HISTORY_BATCH_LIMIT if history else BATCH_LIMIT):
            body: dict[str, Any] = {
                "properties": [*properties, MERGED_IDS],
                "inputs": [{"id": i} for i in chunk],
            }
            if history:
                body["propertiesWithHistory"] = list(history_of)
            answer = self._post(self._http, path, body, idempotent=True)
            for obj in answer.get("results") or []:
                for alias in _ids_of(obj):
                    if alias in chunk:
                        found.setdefault(alias, obj)
            for missing in (i for i in chunk if i not in found):
                obj = self._get_one(object_type, missing, properties, history_of if history else ())
                if obj is not None:
                    found[missing] = obj
        return found

    def _get_one(
        self, object_type: ObjectType, record_id: str, properties: Sequence[str], history: Sequence[str] = ()
    ) -> Mapping[str, Any] | None:
        params = {"properties": ",".join([*properties, MERGED_IDS]), "archived": "false"}
        if history:
            params["propertiesWithHistory"] = ",".join(history)
        try:
            return self._get(
                f"/crm/v3/objects/{OBJECT_PATHS[object_type]}/{quote(record_id, safe='')}", params
            )
        except NotFound:
            return None

    def _read_current(
        self, object_type: ObjectType, ids: Sequence[str], properties: Sequence[str], *, history: bool = False
    ) -> dict[str, _Current]:
        objects = self._read_objects(
            object_type,
            ids,
            [*properties, MODIFIED_PROPERTY[object_type]],
            history=history,
            history_of=properties,
        )
        return {requested: _current_of(obj) for requested, obj in objects.items()}

    # -- associations --------------------------------------------------------------------------------

    def associations(self, object_type: ObjectType, record_id: RecordId, to_path: str) -> list[Association]:
        """Records of type ``to_path`` ("companies", "contacts", "deals") associated with this one."""
        return self._linked(OBJECT_PATHS[object_type], str(record_id), to_path)

    def _linked(self, from_path: str, record_id: str, to_path: str) -> list[Association]:
        """``associations`` from any object type's path ("notes" among them), every page."""
        path = f"/crm/v4/objects/{from_path}/{quote(record_id, safe='')}/associations/{to_path}"
        out: list[Association] = []
        after: str | None = None
        while True:
            params = {"limit": "500", **({"after": after} if after else {})}
            body = self._get(path, params)
            out.extend(_association(item) for item in body.get("results") or [])
            after = ((body.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return out

    def associate(
        self, object_type: ObjectType, record_id: RecordId, to_path: str, to_id: RecordId,
        *, labels: Sequence[tuple[str, int]] = (),
    ) -> None:  # fmt: skip
        """Associates two records: the default (unlabeled) type, or the given (category, type id)s.

        A labelled association *replaces* the pair's labels, so pass every label to keep.
        """
        base = f"/crm/v4/objects/{OBJECT_PATHS[object_type]}/{quote(str(record_id), safe='')}/associations"
        try:
            if labels:
                spec = [{"associationCategory": c, "associationTypeId": t} for c, t in labels]
                self._http.request("PUT", f"{base}/{to_path}/{quote(str(to_id), safe='')}", json=spec)
            else:
                self._http.request("PUT", f"{base}/default/{to_path}/{quote(str(to_id), safe='')}")
        except ServiceError as exc:
            raise _translate(exc, "associate") from None

    def _associated_ids(
        self, object_type: ObjectType, to_path: str, ids: Sequence[str]
    ) -> dict[str, list[str]]:
        """from id -> associated ids (primary first), by v4 batch read (1,000 ids per request)."""
        path = f"/crm/v4/associations/{OBJECT_PATHS[object_type]}/{to_path}/batch/read"
        out: dict[str, list[str]] = {}
        for chunk in _chunks(list(ids), ASSOCIATION_BATCH_LIMIT):
            answer = self._post(self._http, path, {"inputs": [{"id": i} for i in chunk]}, idempotent=True)
            for item in answer.get("results") or []:
                links = sorted((_association(t) for t in item.get("to") or []), key=lambda a: not a.primary)
                out[str((item.get("from") or {}).get("id"))] = list(dict.fromkeys(a.to_id for a in links))
        return out

    # -- merge ----------------------------------------------------------------------------------------

    def merge(self, object_type: ObjectType, primary_id: RecordId, secondary_id: RecordId) -> MergeResult:
        """Merges through HubSpot's merge endpoint; the survivor may have a new id (``surviving_id``).

        Both ids are resolved before every attempt, so a merge is never sent for records that are
        already one: when they resolve to one record (an earlier attempt whose answer was lost did it,
        or someone else did) the merge is reported done with the survivor's id. The request is sent
        once per attempt; after an answer that leaves the outcome unknown (5xx, timeout, dropped
        connection) the ids are read again before anything is resent, and a refusal that follows
        such an answer is checked the same way (HubSpot refuses to merge records already merged).

        Raises:
            NotFound: either record does not exist.
            HubSpotError: HubSpot refused the merge (e.g. 414, too many merges on one profile), or the
                records were still separate after the last attempt (``category`` ``MERGE_NOT_DONE``).
        """
        if str(primary_id) == str(secondary_id):
            raise HubSpotError("cannot merge a record with itself", status=None, category="VALIDATION_ERROR")
        ids = (str(primary_id), str(secondary_id))
        path = f"/crm/v3/objects/{OBJECT_PATHS[object_type]}/merge"
        uncertain = refused = 0
        while True:
            primary, secondary = (self._resolve(object_type, i) for i in ids)
            if primary == secondary:
                return _merged(object_type, ids, primary, uncertain)
            if uncertain >= self.write_attempts or refused >= self._http.retry.max_attempts:
                raise HubSpotError(
                    f"merge of {object_type} records not done: both ids are still separate after "
                    f"{uncertain} uncertain answer(s) and {refused} refusal(s) to process it; retry later",
                    status=None, category="MERGE_NOT_DONE",
                )  # fmt: skip
            body = {"primaryObjectId": primary, "objectIdToMerge": secondary}
            try:
                outcome, survivor = self._send_merge(path, body)
            except ServiceError as exc:
                if uncertain:  # the refusal may be "already merged" by our own lost attempt
                    primary, secondary = (self._resolve(object_type, i) for i in ids)
                    if primary == secondary:
                        return _merged(object_type, ids, primary, uncertain)
                raise _translate(exc, "merge") from None
            if outcome == "done":
                return _merged(object_type, ids, survivor, 0, detail="")
            if outcome == "uncertain":
                uncertain += 1
                self._sleep(self.settle_seconds)
            else:
                refused += 1
                self._sleep(self._backoff(refused))

    def _send_merge(
        self, path: str, body: Mapping[str, Any]
    ) -> tuple[Literal["done", "uncertain", "refused"], str]:
        """One merge request, sent once: ("done", survivor id), "uncertain" or "refused" (not processed).

        Raises:
            ServiceError: HubSpot refused the merge for good (a 4xx other than 423/477).
            DailyLimitReached: nothing more can be sent today.
        """
        try:
            answer = self._http.request("POST", path, json=body, once=True)
        except UncertainOutcome:
            return "uncertain", ""
        except DailyLimitReached:
            raise
        except (Throttled, NotSent):
            return "refused", ""
        except ServiceError as exc:
            if exc.status in _NOT_PROCESSED:
                return "refused", ""
            raise
        return "done", str(answer.json()["id"])

    def _resolve(self, object_type: ObjectType, record_id: str) -> str:
        obj = self._get_one(object_type, record_id, ["hs_object_id"])
        if obj is None:
            raise NotFound(f"HubSpot {object_type} {record_id}: not found")
        return str(obj["id"])

    def _backoff(self, attempt: int) -> float:
        """Jittered exponential pause before resending a write HubSpot did not process (a 429's
        ``Retry-After`` also holds the pacing bucket, so the next request waits at least that long)."""
        return self._http.retry.delay(attempt)

    # -- unmerge ---------------------------------------------------------------------------------------

    def snapshot(self, object_type: ObjectType, record_ids: Sequence[RecordId]) -> list[RecordImage]:
        """Every property with a value (consent such as ``hs_email_optout`` included) and every association
        with its types and labels, of the live records among ``record_ids`` (a merged-away id is left out)."""
        catalog = self.catalog(object_type)
        wanted = list(dict.fromkeys(str(i) for i in record_ids))
        found = self._read_objects(object_type, wanted, sorted(catalog.specs))
        live = [found[i] for i in wanted if i in found and str(found[i]["id"]) == i]
        records = {r.record_id: r for r in self._to_records(object_type, catalog, live)}
        return [
            RecordImage(
                object_type=object_type,
                record_id=str(obj["id"]),
                fields=dict(records[str(obj["id"])].fields),
                properties={
                    k: str(v) for k, v in (obj.get("properties") or {}).items() if v not in (None, "")
                },
                associations=self._association_images(object_type, str(obj["id"])),
            )
            for obj in live
        ]

    def _association_images(self, object_type: ObjectType, record_id: str) -> list[AssociationImage]:
        out: list[AssociationImage] = []
        base = f"/crm/v4/objects/{OBJECT_PATHS[object_type]}/{quote(record_id, safe='')}/associations"
        for to_path in OBJECT_PATHS.values():
            after: str | None = None
            while True:
                body = self._get(f"{base}/{to_path}", {"limit": "500", **({"after": after} if after else {})})
                for item in body.get("results") or []:
                    types = [t for t in item.get("associationTypes") or [] if isinstance(t, dict)]
                    out.append(AssociationImage(
                        to_type=to_path, to_id=str(item.get("toObjectId")),
                        types=[(str(t.get("category")), int(t.get("typeId") or 0)) for t in types],
                        labels=[str(t["label"]) for t in types if t.get("label")],
                    ))  # fmt: skip
                after = ((body.get("paging") or {}).get("next") or {}).get("after")
                if not after:
                    break
        return out

    def restore_merged(self, object_type: ObjectType, image: RecordImage, survivor_id: RecordId) -> RecordId:
        """HubSpot's merges cannot be undone: the merged-away record comes back as a new record from its
        image (every writable property; read-only and calculated ones are HubSpot's to set), with its
        associations and their labels, and one ``merged_from`` note on it and on the survivor.

        Crash-safe without search or custom properties: the note comes first, on the survivor, its body
        naming the old id with a stable marker (``crm-hygiene unmerge: <type> <old id>;``), and the record
        is created *with* its association to that note in the create request, so it never exists
        without the marker. A repeat finds the note among the survivor's (v4 associations, not search)
        and, when a record of the type other than the survivor is on it, that is the record an earlier
        attempt created: its associations are put in place again (labelled ``PUT``s are idempotent) and
        it is returned. A crash before the create leaves only the note, which the repeat reuses.

        A contact's email stays a key of the survivor after a merge (``hs_additional_emails``): it is
        removed there first (the contacts API's secondary-email endpoint), and a contact already
        holding it is taken as the record brought back (the note is put on it too).
        """
        survivor = self._resolve(object_type, str(survivor_id))
        old = str(image.record_id)
        note = self._merged_from_note(object_type, old, survivor)
        earlier = self._noted_record(object_type, note, survivor)
        if earlier is not None:
            self._reassociate(object_type, image, earlier)
            return earlier  # created by an earlier attempt
        email = image.properties.get("email", "") if object_type == "contact" else ""
        if email:
            holder = self._get_one_by_email(email)
            if holder is not None and holder != survivor:
                self.associate("contact", holder, "notes", note)  # a repeat finds it by the note
                return holder
            if holder == survivor:
                self._remove_secondary_email(survivor, email)
        catalog = self.catalog(object_type)
        properties = {
            k: v
            for k, v in image.properties.items()
            if (spec := catalog.specs.get(k)) is not None and spec.writable
        }
        body = {
            "properties": properties,
            "associations": [{"to": {"id": note}, "types": [
                {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": TO_NOTE_TYPE_IDS[object_type]}
            ]}],
        }  # fmt: skip
        path = f"/crm/v3/objects/{OBJECT_PATHS[object_type]}"
        created = str(self._post(self._http, path, body, idempotent=False)["id"])
        self._reassociate(object_type, image, created)
        return created

    def _reassociate(self, object_type: ObjectType, image: RecordImage, record: str) -> None:
        """The image's associations on ``record``, with their types and labels (a repeat is harmless)."""
        for link in image.associations:
            try:
                if link.to_type == OBJECT_PATHS[object_type] and link.to_id == str(image.record_id):
                    continue  # a link to itself
                self.associate(object_type, record, link.to_type, link.to_id, labels=link.types)
            except NotFound:
                continue  # the associated record is gone since: nothing to link

    def _merged_from_note(self, object_type: ObjectType, old: str, survivor: str) -> str:
        """The id of the survivor's ``merged_from`` note for ``old``: an earlier attempt's, or a new one."""
        marker = unmerge_marker(object_type, old)
        noted = [a.to_id for a in self._linked(OBJECT_PATHS[object_type], survivor, "notes")]
        for chunk in _chunks(list(dict.fromkeys(noted)), BATCH_LIMIT):
            answer = self._post(
                self._http, "/crm/v3/objects/notes/batch/read",
                {"properties": ["hs_note_body"], "inputs": [{"id": i} for i in chunk]}, idempotent=True,
            )  # fmt: skip
            found = sorted(
                int(n["id"])
                for n in answer.get("results") or []
                if marker in str((n.get("properties") or {}).get("hs_note_body") or "")
            )
            if found:
                return str(found[0])
        text = (
            f"merged_from: {marker} {old} had been merged into {survivor} (HubSpot merges cannot be "
            f"undone); crm-hygiene's unmerge brings it back as a new {object_type}: the other "
            f"{object_type} this note is on"
        )
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        body = {
            "properties": {"hs_note_body": text, "hs_timestamp": stamp},
            "associations": [{"to": {"id": survivor}, "types": [
                {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": NOTE_TYPE_IDS[object_type]}
            ]}],
        }  # fmt: skip
        return str(self._post(self._http, "/crm/v3/objects/notes", body, idempotent=False)["id"])

    def _noted_record(self, object_type: ObjectType, note: str, survivor: str) -> str | None:
        """The record of ``object_type`` on the note other than the survivor (an earlier attempt's), if
        any and still live (an id merged since resolves to the record it lives on)."""
        others = sorted(
            {a.to_id for a in self._linked("notes", note, OBJECT_PATHS[object_type])} - {survivor}, key=int
        )
        for other in others:
            obj = self._get_one(object_type, other, ["hs_object_id"])
            if obj is not None and str(obj["id"]) != survivor:
                return str(obj["id"])
        return None

    def _get_one_by_email(self, email: str) -> str | None:
        try:
            obj = self._get(f"/crm/v3/objects/contacts/{quote(email, safe='')}",
                            {"idProperty": "email", "properties": "email"})  # fmt: skip
        except NotFound:
            return None
        return str(obj["id"])

    def _remove_secondary_email(self, contact_id: str, email: str) -> None:
        path = f"/contacts/v1/secondary-email/{quote(contact_id, safe='')}/email/{quote(email, safe='')}"
        try:
            self._http.request("DELETE", path)
        except ServiceError as exc:
            if exc.status != 404:  # not a secondary email of the survivor (any more)
                raise _translate(exc, "remove secondary email") from None

    # -- writes ---------------------------------------------------------------------------------------

    def write_fields(self, object_type: ObjectType, writes: Sequence[FieldWrite]) -> list[WriteResult]:
        """Applies each write only where the field still holds ``expected_old``; never blindly twice.

        Writes to one record share one batch input; 100 records per ``batch/update`` request, each
        batch read just before it is written. Results come back in the order of ``writes``.
        """
        catalog = self.catalog(object_type)
        results: dict[int, WriteResult] = {}
        pending: list[_Pending] = []
        for index, write in enumerate(writes):
            prepared = _prepare(catalog, index, write)
            if isinstance(prepared, WriteResult):
                results[index] = prepared
            else:
                pending.append(prepared)
        for round_ in _rounds(pending):
            for chunk in _by_record(round_, BATCH_LIMIT):
                self._apply_chunk(object_type, catalog, chunk, results)
        return [results[i] for i in range(len(writes))]

    def _apply_chunk(
        self,
        object_type: ObjectType,
        catalog: PropertyCatalog,
        chunk: list[_Pending],
        results: dict[int, WriteResult],
    ) -> None:
        ids = list(dict.fromkeys(p.write.record_id for p in chunk))
        names = list(dict.fromkeys(p.spec.name for p in chunk))
        try:
            current = self._read_current(object_type, ids, names)
        except HygieneError as exc:
            for p in chunk:
                results[p.index] = _result(
                    p, "failed", detail=f"not applied: could not read the record ({exc})"
                )
            return
        ready: list[_Pending] = []
        for p in chunk:
            verdict = _check(catalog, p, current.get(p.write.record_id))
            if verdict is None:
                ready.append(p)
            else:
                results[p.index] = verdict
        backward = [p for p in ready if _moves_back(p, current[p.write.record_id])]
        ready = [p for p in ready if p not in backward]
        self._send(object_type, catalog, ready, results)
        self._move_back(object_type, catalog, backward, current, results)

    def _send(
        self,
        object_type: ObjectType,
        catalog: PropertyCatalog,
        queue: list[_Pending],
        results: dict[int, WriteResult],
    ) -> None:
        """Write; after any failure, read the records again and resend only what still holds the
        expected old value. Bounded: ``write_attempts`` uncertain rounds, the retry policy's attempts
        for rounds HubSpot refused to process (429, 423, 477, connection refused)."""
        uncertain = refused = 0
        while queue:
            sent = self._update_batch(object_type, catalog, queue, results)
            if not sent.unsure and not sent.later:
                return
            uncertain += bool(sent.unsure)
            refused += bool(sent.later)
            self._sleep(self.settle_seconds if sent.unsure else self._backoff(refused))
            queue = self._reverify(object_type, catalog, sent, results)
            if uncertain >= self.write_attempts or refused >= self._http.retry.max_attempts:
                break
        for p in queue:
            results[p.index] = _result(
                p, "failed",
                detail=f"not applied after {uncertain} uncertain and {refused} refused attempt(s); "
                "the record still holds the expected value (read after the last attempt)",
            )  # fmt: skip

    def _update_batch(
        self,
        object_type: ObjectType,
        catalog: PropertyCatalog,
        queue: list[_Pending],
        results: dict[int, WriteResult],
    ) -> _Sent:
        """One ``batch/update``, sent once: the writes whose outcome is unknown or that were not processed."""
        inputs = [
            {"id": target, "objectWriteTraceId": target, "properties": props}
            for target, props in _inputs(queue).items()
        ]
        path = f"/crm/v3/objects/{OBJECT_PATHS[object_type]}/batch/update"
        try:
            response = self._http.request("POST", path, json={"inputs": inputs}, once=True)
        except UncertainOutcome:
            return _Sent(unsure=queue)
        except DailyLimitReached as exc:
            _fail_all(queue, results, f"not applied: {exc}")
            return _Sent()
        except (Throttled, NotSent):
            return _Sent(later=queue)
        except ServiceError as exc:
            if exc.status in (400, 409):  # one bad input (or a taken email) fails the whole batch
                return self._update_each(object_type, queue, results)
            if exc.status in _NOT_PROCESSED:
                return _Sent(later=queue)
            _fail_all(queue, results, f"not applied: {_translate(exc, 'batch update')}")
            return _Sent()
        return _Sent(unsure=_read_answer(catalog, response.json(), queue, results))

    def _update_each(
        self, object_type: ObjectType, queue: list[_Pending], results: dict[int, WriteResult]
    ) -> _Sent:
        """Single PATCH per record, each sent once, so one invalid value fails only its own record."""
        sent = _Sent()
        for target, props in _inputs(queue).items():
            items = [p for p in queue if p.target == target]
            path = f"/crm/v3/objects/{OBJECT_PATHS[object_type]}/{quote(target, safe='')}"
            try:
                self._http.request("PATCH", path, json={"properties": props}, once=True)
            except UncertainOutcome:
                sent.unsure.extend(items)
                continue
            except DailyLimitReached as exc:
                _fail_all(items, results, f"not applied: {exc}")
                continue
            except (Throttled, NotSent):
                sent.later.extend(items)
                continue
            except ServiceError as exc:
                if exc.status in _NOT_PROCESSED:
                    sent.later.extend(items)
                else:
                    _fail_all(items, results, f"not applied: {_translate(exc, 'update')}", exc.status)
                continue
            for p in items:
                results[p.index] = _result(p, "applied")
        return sent

    def _reverify(
        self,
        object_type: ObjectType,
        catalog: PropertyCatalog,
        sent: _Sent,
        results: dict[int, WriteResult],
    ) -> list[_Pending]:
        """Reads the records again, with history; returns the writes that certainly did not land and
        whose field still holds the expected old value (the only ones that may be resent)."""
        unsure = [*sent.unsure, *sent.later]
        ids = list(dict.fromkeys(p.target for p in unsure))
        names = list(dict.fromkeys(p.spec.name for p in unsure))
        try:
            current = self._read_current(object_type, ids, names, history=True)
        except HygieneError as exc:
            _fail_all(sent.unsure, results, f"outcome unknown: could not re-read ({exc}); check the record")
            _fail_all(sent.later, results, f"not applied: could not read the record before resending ({exc})")
            return []
        resend: list[_Pending] = []
        for p in unsure:
            found = current.get(p.target)
            verdict = _verify(catalog, p, found)
            if verdict is not None:
                results[p.index] = verdict
            elif found is not None:
                p.target, p.seen_at = found.id, found.updated_at
                resend.append(p)
        return resend

    def _move_back(
        self, object_type: ObjectType, catalog: PropertyCatalog, items: list[_Pending],
        current: Mapping[str, _Current], results: dict[int, WriteResult],
    ) -> None:  # fmt: skip
        """HubSpot's lifecycle stage only moves forward: clear it, set it, restore the old one if
        setting fails. A result that may leave the stage empty carries ``restore`` (the old stage)."""
        for p in items:
            old = current[p.write.record_id].properties.get(p.spec.name, "")
            results[p.index] = self._step_back(object_type, catalog, p, old)

    def _step_back(
        self, object_type: ObjectType, catalog: PropertyCatalog, p: _Pending, old: str
    ) -> WriteResult:
        name, restore = p.spec.name, catalog.canonical(p.write.field, old)
        # Read again just before clearing: other writes of the batch may have taken several rounds
        # since the guard read, and a clear is unconditional (a person's stage would be wiped out).
        now = self._field_now(object_type, p.target, name)
        if now is None:
            return _result(
                p, "failed", detail="not applied: could not read the record before clearing the stage"
            )
        if not p.spec.same(now, p.write.expected_old):
            return _check(catalog, p, _Current(p.target, {name: now}, p.seen_at)) or _result(p, "failed")
        cleared = self._patch_checked(object_type, p, name, "", expected=now)
        if cleared.outcome == "unknown":
            return _result(
                p, "failed", restore=restore,
                detail="outcome unknown: clearing the stage failed and the record could not be read; "
                "the stage may be empty",
            )  # fmt: skip
        if cleared.outcome != "done":
            return self._not_moved(catalog, p, cleared, "could not clear the stage to move it back")
        moved = self._patch_checked(object_type, p, name, p.wire, expected="")
        if moved.outcome == "done":
            return _result(p, "applied", detail="cleared first: lifecycle stages only move forward")
        if moved.outcome == "changed":
            return _result(
                p, "conflict", current=catalog.canonical(p.write.field, moved.stored),
                detail="someone set the stage while it was cleared to move it back",
            )  # fmt: skip
        back = self._patch_checked(object_type, p, name, old, expected="")
        if back.outcome == "done":
            return _result(
                p,
                "failed",
                detail="not applied: setting the earlier stage failed; the old stage was restored",
            )
        if back.outcome == "changed":
            return _result(
                p, "failed", current=catalog.canonical(p.write.field, back.stored),
                detail="not applied: setting the earlier stage failed; someone has set the stage since",
            )  # fmt: skip
        return _result(
            p, "failed", restore=restore,
            detail="not applied: setting the earlier stage failed and restoring the old one failed too; "
            "the stage may be empty: restore it",
        )  # fmt: skip

    def _not_moved(self, catalog: PropertyCatalog, p: _Pending, step: _Step, what: str) -> WriteResult:
        if step.outcome == "changed":
            current = catalog.canonical(p.write.field, step.stored)
            return _result(p, "conflict", current=current, detail="the value changed since it was read")
        return _result(p, "failed", detail=f"not applied: {what} (the old stage is still there)")

    def _patch_checked(
        self, object_type: ObjectType, p: _Pending, name: str, wire: str, *, expected: str
    ) -> _Step:
        """One property PATCH, sent once per attempt; after any failure the field is read before
        anything is resent, and resent only while it still holds ``expected``."""
        url = f"/crm/v3/objects/{OBJECT_PATHS[object_type]}/{quote(p.target, safe='')}"
        for attempt in range(1, self.write_attempts + 1):
            final = False
            try:
                self._http.request("PATCH", url, json={"properties": {name: wire}}, once=True)
                return _Step("done", wire)
            except UncertainOutcome:
                self._sleep(self.settle_seconds)
            except (Throttled, NotSent) as exc:
                final = isinstance(exc, DailyLimitReached)
                self._sleep(self._backoff(attempt))
            except ServiceError as exc:
                final = exc.status not in _NOT_PROCESSED  # refused: resending will not help
                self._sleep(0 if final else self._backoff(attempt))
            stored = self._field_now(object_type, p.target, name)
            if stored is None:
                return _Step("unknown", "")
            if p.spec.same(stored, wire):
                return _Step("done", stored)
            if not p.spec.same(stored, expected):
                return _Step("changed", stored)
            if final:
                break
        return _Step("held", expected)

    def _field_now(self, object_type: ObjectType, target: str, name: str) -> str | None:
        """The field's stored value read now; None when the record cannot be read."""
        try:
            found = self._read_current(object_type, [target], [name]).get(target)
        except HygieneError:
            return None
        return None if found is None else found.properties.get(name, "")

    # -- plumbing -------------------------------------------------------------------------------------

    def _get(self, path: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        try:
            response = self._http.request("GET", path, params=params)
        except ServiceError as exc:
            raise _translate(exc, f"GET {path.split('?')[0]}") from None
        data: dict[str, Any] = response.json()
        return data

    def _post(
        self, client: ResilientClient, path: str, body: Mapping[str, Any], *, idempotent: bool | None = None
    ) -> dict[str, Any]:
        try:
            response = client.request("POST", path, json=body, idempotent=idempotent)
        except ServiceError as exc:
            raise _translate(exc, f"POST {path}") from None
        data: dict[str, Any] = response.json()
        return data


# -- pure helpers of the write path ---------------------------------------------------------------------


def _prepare(catalog: PropertyCatalog, index: int, write: FieldWrite) -> _Pending | WriteResult:
    spec = catalog.spec_of(write.field)
    if spec is None:
        if write.field in catalog.field_info():
            return write.result("read_only", detail="not a plain property in HubSpot")
        return write.result("failed", detail="no such field in HubSpot")
    if not spec.writable:
        return write.result("read_only", detail=f"{spec.name} is read-only or calculated in HubSpot")
    try:
        wire = spec.to_wire(write.new_value)
    except InvalidValue as exc:
        return write.result("failed", detail=str(exc))
    return _Pending(index, write, spec, wire)


def _rounds(pending: list[_Pending]) -> list[list[_Pending]]:
    """Splits writes so one (record, field) appears once per round; a second write waits for the first."""
    rounds: list[list[_Pending]] = []
    seen: dict[tuple[str, str], int] = {}
    for p in pending:
        key = (p.write.record_id, p.write.field)
        n = seen.get(key, 0)
        seen[key] = n + 1
        while len(rounds) <= n:
            rounds.append([])
        rounds[n].append(p)
    return rounds


def _by_record(pending: list[_Pending], size: int) -> Iterator[list[_Pending]]:
    """Chunks of writes touching at most ``size`` records."""
    groups: dict[str, list[_Pending]] = {}
    for p in pending:
        groups.setdefault(p.write.record_id, []).append(p)
    ids = list(groups)
    for chunk in _chunks(ids, size):
        yield [p for record_id in chunk for p in groups[record_id]]


def _check(catalog: PropertyCatalog, p: _Pending, found: _Current | None) -> WriteResult | None:
    """None when the write may go ahead; else its result (already done, conflict, not found)."""
    if found is None:
        return _result(p, "not_found", detail="no such record (deleted, archived or never existed)")
    stored = found.properties.get(p.spec.name, "")
    p.target, p.seen_at = found.id, found.updated_at
    if p.spec.same(stored, p.write.new_value):
        return _result(p, "applied", detail="already held the new value")
    if p.spec.same(stored, p.write.expected_old):
        return None
    return _result(
        p,
        "conflict",
        current=catalog.canonical(p.write.field, stored),
        detail="the value changed since it was read",
    )


def _verify(catalog: PropertyCatalog, p: _Pending, found: _Current | None) -> WriteResult | None:
    """After an uncertain write: applied, conflict or gone; None when it certainly did not land."""
    if found is None:
        return _result(p, "not_found", detail="the record disappeared while the write was uncertain")
    stored = found.properties.get(p.spec.name, "")
    if p.spec.same(stored, p.write.new_value):
        return _result(p, "applied", detail="verified by reading the record again after an uncertain answer")
    current = catalog.canonical(p.write.field, stored)
    if _written_since(p, found.history.get(p.spec.name, [])):
        return _result(p, "conflict", current=current, detail="applied, then changed again by someone else")
    if p.spec.same(stored, p.write.expected_old):
        return None
    return _result(p, "conflict", current=current, detail="the value changed since it was read")


def _written_since(p: _Pending, history: Iterable[Mapping[str, Any]]) -> bool:
    """Whether the history shows the new value written after the record was last read (ours)."""
    since = epoch_ms(p.seen_at) if p.seen_at else None
    for entry in history:
        when = epoch_ms(str(entry.get("timestamp") or ""))
        if (
            since is not None
            and when is not None
            and when > since
            and p.spec.same(str(entry.get("value") or ""), p.write.new_value)
        ):
            return True
    return False


def _moves_back(p: _Pending, found: _Current) -> bool:
    if p.spec.name != "lifecyclestage" or not p.wire:
        return False
    now, new = p.spec.position(found.properties.get(p.spec.name, "")), p.spec.position(p.wire)
    return now is not None and new is not None and new < now


def _inputs(queue: Iterable[_Pending]) -> dict[str, dict[str, str]]:
    inputs: dict[str, dict[str, str]] = {}
    for p in queue:
        inputs.setdefault(p.target, {})[p.spec.name] = p.wire
    return inputs


def _read_answer(
    catalog: PropertyCatalog, body: Mapping[str, Any], queue: list[_Pending], results: dict[int, WriteResult]
) -> list[_Pending]:
    """Results of a 200/207 batch update; returns the writes it says nothing about."""
    done = {str(o.get("id")): o.get("properties") or {} for o in body.get("results") or []}
    errors = _batch_errors(body)
    unsure: list[_Pending] = []
    for p in queue:
        if p.target in done:
            stored = done[p.target].get(p.spec.name)
            if stored is None or p.spec.same(str(stored), p.write.new_value):
                results[p.index] = _result(p, "applied")
            else:
                current = catalog.canonical(p.write.field, str(stored))
                results[p.index] = _result(p, "failed", current=current, detail="HubSpot kept another value")
        elif p.target in errors:
            category = errors[p.target]
            status: WriteStatus = "not_found" if category == "OBJECT_NOT_FOUND" else "failed"
            results[p.index] = _result(p, status, detail=f"not applied: {category}")
        else:
            unsure.append(p)
    return unsure


def _batch_errors(body: Mapping[str, Any]) -> dict[str, str]:
    """record id -> error category, from a 207's ``errors`` (ids in context, trace ids, or ``id``)."""
    out: dict[str, str] = {}
    for error in body.get("errors") or []:
        context = error.get("context") or {}
        ids = [*(context.get("ids") or []), *(context.get("objectWriteTraceId") or [])]
        if error.get("id"):
            ids.append(error["id"])
        for record_id in ids:
            out[str(record_id)] = str(error.get("category") or "ERROR")
    return out


def _fail_all(
    items: Iterable[_Pending], results: dict[int, WriteResult], detail: str, status: int | None = None
) -> None:
    for p in items:
        results[p.index] = _result(p, "not_found" if status == 404 else "failed", detail=detail)


# -- pure helpers of the read path ----------------------------------------------------------------------


def _ids_of(obj: Mapping[str, Any]) -> list[str]:
    """The object's id and every id merged into it."""
    merged = str((obj.get("properties") or {}).get(MERGED_IDS) or "")
    return [str(obj["id"]), *(i for i in merged.split(";") if i)]


def _current_of(obj: Mapping[str, Any]) -> _Current:
    props = {k: "" if v is None else str(v) for k, v in (obj.get("properties") or {}).items()}
    history = {k: list(v or []) for k, v in (obj.get("propertiesWithHistory") or {}).items()}
    return _Current(
        id=str(obj["id"]), properties=props, updated_at=str(obj.get("updatedAt") or ""), history=history
    )


def _stamp_of(obj: Mapping[str, Any], modified: str) -> int:
    raw = str((obj.get("properties") or {}).get(modified) or obj.get("updatedAt") or "")
    return epoch_ms(raw) or 0


def _filter(name: str, operator: str, value: int) -> dict[str, str]:
    return {"propertyName": name, "operator": operator, "value": str(value)}


def _association(item: Mapping[str, Any]) -> Association:
    types = [t for t in item.get("associationTypes") or [] if isinstance(t, dict)]
    return Association(
        to_id=str(item.get("toObjectId")),
        type_ids=[int(t.get("typeId") or 0) for t in types],
        labels=[str(t["label"]) for t in types if t.get("label")],
    )


def _inline_associations(
    obj: Mapping[str, Any], associated: Mapping[FieldName, str]
) -> dict[FieldName, list[str]]:
    """Associated ids from a list response's ``associations`` (primary first, as HubSpot lists them)."""
    out: dict[FieldName, list[str]] = {}
    inline = obj.get("associations") or {}
    for name, path in associated.items():
        results = (inline.get(path) or {}).get("results") or []
        ordered = sorted(results, key=lambda r: "unlabeled" in str(r.get("type", "")))
        out[name] = list(dict.fromkeys(str(r.get("id")) for r in ordered))
    return out
