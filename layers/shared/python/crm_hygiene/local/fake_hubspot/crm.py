"""The fake portal's records: objects with property history, merges that mint new ids and leave
aliases, archived records, unique emails, associations, and the events a webhook would carry.

Thread-safe through one re-entrant lock: the server handles requests on several threads.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from crm_hygiene.local.fake_hubspot.catalog import (
    ENGAGEMENT_TYPES,
    MODIFIED,
    OBJECT_TYPES,
    SINGULAR,
    Owners,
    PropertyDef,
    default_properties,
)
from crm_hygiene.local.fake_hubspot.values import (
    FakeError,
    iso,
    not_found,
    number,
    property_error,
    to_ms,
    validation,
)

MAX_IDENTITIES = 250
Event = dict[str, Any]


@dataclass(frozen=True)
class Source:
    """Who made a change: what property history and webhooks report as its source."""

    kind: str  # INTEGRATION, CRM_UI, IMPORT
    source_id: str


@dataclass(slots=True)
class FakeObject:
    id: int
    props: dict[str, str]
    created_ms: int
    updated_ms: int
    archived_ms: int | None = None
    merged_into: int | None = None
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def live(self) -> bool:
        return self.archived_ms is None and self.merged_into is None


class ObjectTable:
    """One object type's records, by id, in id order."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.objects: dict[int, FakeObject] = {}
        self._order: list[int] = []
        self._sorted = True
        self.aliases: dict[int, int] = {}

    def add(self, obj: FakeObject) -> None:
        if self._order and obj.id < self._order[-1]:
            self._sorted = False
        self.objects[obj.id] = obj
        self._order.append(obj.id)

    def order(self) -> list[int]:
        if not self._sorted:
            self._order.sort()
            self._sorted = True
        return self._order

    def resolve(self, object_id: int) -> FakeObject | None:
        """The record an id means now: merged ids follow to the survivor."""
        for _ in range(MAX_IDENTITIES + 1):
            if object_id not in self.aliases:
                break
            object_id = self.aliases[object_id]
        obj = self.objects.get(object_id)
        return obj if obj is not None and obj.merged_into is None else None

    def live(self) -> Iterator[FakeObject]:
        for object_id in self.order():
            obj = self.objects[object_id]
            if obj.live:
                yield obj

    def page(self, after: int, limit: int, archived: bool) -> tuple[list[FakeObject], int | None]:
        """Up to ``limit`` records with id ≥ ``after`` and the id that starts the next page."""
        order = self.order()
        out: list[FakeObject] = []
        for position in range(bisect.bisect_left(order, after), len(order)):
            obj = self.objects[order[position]]
            if obj.merged_into is not None or (obj.archived_ms is not None) != archived:
                continue
            if len(out) == limit:
                return out, obj.id
            out.append(obj)
        return out, None


# Association type ids (crm-apis.md A.10): (from, to) -> (unlabeled, primary); directional.
DEFAULT_TYPES: dict[tuple[str, str], tuple[int, int | None]] = {
    ("contacts", "companies"): (279, 1),
    ("companies", "contacts"): (280, 2),
    ("deals", "companies"): (341, 5),
    ("companies", "deals"): (342, 6),
    ("contacts", "deals"): (4, None),
    ("deals", "contacts"): (3, None),
    ("notes", "contacts"): (202, None),
    ("contacts", "notes"): (201, None),
    ("notes", "companies"): (190, None),
    ("companies", "notes"): (189, None),
    ("notes", "deals"): (214, None),
    ("deals", "notes"): (213, None),
}
REVERSE = {279: 280, 280: 279, 1: 2, 2: 1, 341: 342, 342: 341, 5: 6, 6: 5, 4: 3, 3: 4,
           202: 201, 201: 202, 190: 189, 189: 190, 214: 213, 213: 214}  # fmt: skip
PAIR_OF: dict[int, tuple[str, str]] = {
    type_id: pair for pair, ids in DEFAULT_TYPES.items() for type_id in ids if type_id is not None
}
"""Association type id -> (from type, to type): what a create's ``associations`` input names."""
LABELS = {1: "Primary", 2: "Primary", 5: "Primary", 6: "Primary"}
AssocType = tuple[str, int]  # (category, type id)


class Associations:
    """Both directions of every association, with its types (labels)."""

    def __init__(self) -> None:
        self._links: dict[tuple[str, int, str], dict[int, set[AssocType]]] = {}
        self.user_labels: dict[int, str] = {}

    def types(self, from_type: str, from_id: int, to_type: str) -> dict[int, set[AssocType]]:
        return self._links.get((from_type, from_id, to_type), {})

    def add(self, from_type: str, from_id: int, to_type: str, to_id: int, types: set[AssocType]) -> None:
        self._links.setdefault((from_type, from_id, to_type), {}).setdefault(to_id, set()).update(types)
        back = {(c, REVERSE.get(t, t)) for c, t in types}
        self._links.setdefault((to_type, to_id, from_type), {}).setdefault(from_id, set()).update(back)

    def replace(self, from_type: str, from_id: int, to_type: str, to_id: int, types: set[AssocType]) -> None:
        self.remove(from_type, from_id, to_type, to_id)
        self.add(from_type, from_id, to_type, to_id, types)

    def remove(self, from_type: str, from_id: int, to_type: str, to_id: int) -> None:
        self._links.get((from_type, from_id, to_type), {}).pop(to_id, None)
        self._links.get((to_type, to_id, from_type), {}).pop(from_id, None)

    def move(self, object_type: str, old_id: int, new_id: int) -> None:
        """Re-points every association of ``old_id`` to ``new_id`` (a merge)."""
        for to_type in (*OBJECT_TYPES, *ENGAGEMENT_TYPES):
            for to_id, types in list(self.types(object_type, old_id, to_type).items()):
                self.remove(object_type, old_id, to_type, to_id)
                if not (object_type == to_type and to_id == new_id):
                    self.add(object_type, new_id, to_type, to_id, types)

    def label(self, type_id: int) -> str | None:
        return LABELS.get(type_id) or self.user_labels.get(type_id)


class FakeCrm:
    """The portal's data. Every mutation goes through here, is counted, and emits its events."""

    def __init__(
        self, *, clock: Callable[[], float] = time.time, app_id: int = 1160452, portal_id: int = 62515,
        on_event: Callable[[Event], None] | None = None,
    ) -> None:  # fmt: skip
        self.clock = clock
        self.app_id = app_id
        self.portal_id = portal_id
        self.on_event = on_event
        self.properties = default_properties()
        self.owners = Owners(self.properties)
        self.tables = {name: ObjectTable(name) for name in (*OBJECT_TYPES, *ENGAGEMENT_TYPES)}
        self.associations = Associations()
        self.emails: dict[str, int] = {}
        self.unsubscribed: set[str] = set()  # subscription status belongs to the address, not the record
        self.writes: Counter[tuple[str, int, str]] = Counter()  # API writes per record property
        self.lock = threading.RLock()
        self._next_id = 1

    @property
    def api_source(self) -> Source:
        return Source("INTEGRATION", str(self.app_id))

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    def table(self, object_type: str) -> ObjectTable:
        return self.tables[object_type]

    def get(self, object_type: str, object_id: int | str, *, archived: bool = False) -> FakeObject:
        obj = self.find(object_type, object_id, archived=archived)
        if obj is None:
            raise not_found(object_type, object_id)
        return obj

    def find(self, object_type: str, object_id: int | str, *, archived: bool = False) -> FakeObject | None:
        try:
            obj = self.table(object_type).resolve(int(object_id))
        except ValueError:
            return None
        if obj is None or (obj.archived_ms is not None) != archived:
            return None
        return obj

    def find_by(self, object_type: str, name: str, value: str) -> FakeObject | None:
        """A record by a unique property (``idProperty``): email for contacts, domain for companies."""
        if object_type == "contacts" and name == "email":
            object_id = self.emails.get(value.strip().lower())
            return None if object_id is None else self.find(object_type, object_id)
        wanted = value.strip().lower()
        return next(
            (o for o in self.table(object_type).live() if o.props.get(name, "").lower() == wanted), None
        )

    # -- validation -----------------------------------------------------------------------------------

    def clean(self, object_type: str, props: Mapping[str, Any], *, system: bool = False) -> dict[str, str]:
        """Validated string values; raises a 400 naming every bad property (as HubSpot does)."""
        defs = self.properties[object_type]
        out: dict[str, str] = {}
        errors: list[dict[str, Any]] = []
        for name, raw in props.items():
            definition = defs.get(name)
            value = "" if raw is None else str(raw)
            problem = _problem(definition, name, value, system)
            if problem is not None:
                errors.append(problem)
                continue
            assert definition is not None
            out[name] = _stored(definition, value)
        if errors:
            raise validation(f"Property values were not valid: {len(errors)} error(s)", errors)
        return out

    def _check_unique(self, object_type: str, object_id: int | None, props: Mapping[str, str]) -> None:
        email = props.get("email", "").strip().lower()
        if object_type != "contacts" or not email:
            return
        holder = self.emails.get(email)
        if holder is not None and holder != object_id and self.find("contacts", holder) is not None:
            raise FakeError(409, "CONFLICT", f"Contact already exists. Existing ID: {holder}")

    def _check_lifecycle(self, object_type: str, obj: FakeObject, props: Mapping[str, str]) -> None:
        new = props.get("lifecyclestage")
        if not new or not obj.props.get("lifecyclestage"):
            return
        order = [value for value, _ in self.properties[object_type]["lifecyclestage"].options]
        old = obj.props["lifecyclestage"]
        if old in order and new in order and order.index(new) < order.index(old):
            raise validation(
                "lifecyclestage can only move forward; clear it first to set an earlier stage",
                [property_error("INVALID_OPTION", "lifecyclestage", "cannot move backwards")],
            )

    # -- mutations ------------------------------------------------------------------------------------

    def create(
        self, object_type: str, props: Mapping[str, Any], *, source: Source | None = None,
        object_id: int | None = None, created_ms: int | None = None, updated_ms: int | None = None,
        system: bool = False,
    ) -> FakeObject:  # fmt: skip
        """A new record (``system``: seeding, which may set read-only values such as createdate)."""
        with self.lock:
            values = self.clean(object_type, props, system=system)
            self._check_unique(object_type, None, values)
            self._consent(object_type, values)
            now = self.now_ms()
            new_id = object_id if object_id is not None else self._take_id()
            self._next_id = max(self._next_id, new_id + 1)
            created = created_ms or to_ms(values.get("createdate", "")) or now
            updated = updated_ms or to_ms(values.get(MODIFIED[object_type], "")) or created
            values.update(
                {"hs_object_id": str(new_id), "createdate": iso(created), MODIFIED[object_type]: iso(updated)}
            )
            obj = FakeObject(new_id, values, created, updated)
            self.table(object_type).add(obj)
            self._index_email(object_type, obj)
            if not system:
                self._record_writes(object_type, obj, values, source or self.api_source)
                self._emit(object_type, "creation", obj.id, source or self.api_source)
            return obj

    def update(
        self,
        object_type: str,
        object_id: int | str,
        props: Mapping[str, Any],
        *,
        source: Source | None = None,
    ) -> FakeObject:
        """PATCH semantics: follows merges; "" clears; a leading ";" appends to a multi-checkbox."""
        with self.lock:
            obj = self.get(object_type, object_id)
            values = self.clean(object_type, props)
            self._check_unique(object_type, obj.id, values)
            self._check_lifecycle(object_type, obj, values)
            self._apply(object_type, obj, values, source or self.api_source)
            return obj

    def _apply(self, object_type: str, obj: FakeObject, values: dict[str, str], source: Source) -> None:
        now = self.now_ms()
        changed = {}
        for name, value in values.items():
            if value.startswith(";") and self.properties[object_type][name].field_type == "checkbox":
                parts = [p for p in (*obj.props.get(name, "").split(";"), *value.split(";")) if p]
                value = ";".join(dict.fromkeys(parts))
            self._remember(obj, name, now)
            if obj.props.get(name, "") != value:
                changed[name] = value
            obj.props[name] = value
        self._record_writes(object_type, obj, values, source, now)
        obj.updated_ms = now
        obj.props[MODIFIED[object_type]] = iso(now)
        self._unindex_old_email(object_type, obj, changed)
        self._index_email(object_type, obj)
        for name, value in changed.items():
            self._emit(object_type, "propertyChange", obj.id, source, propertyName=name, propertyValue=value)

    def archive(self, object_type: str, object_id: int | str) -> None:
        with self.lock:
            obj = self.get(object_type, object_id)
            obj.archived_ms = self.now_ms()
            self._emit(object_type, "deletion", obj.id, self.api_source)

    def merge(
        self,
        object_type: str,
        primary_id: int | str,
        secondary_id: int | str,
        *,
        source: Source | None = None,
    ) -> FakeObject:
        """Contacts and companies: a new record with a new id, both old ids aliases of it. Deals:
        the secondary merges into the primary, which keeps its id. The primary's values win."""
        with self.lock:
            primary, secondary = self.get(object_type, primary_id), self.get(object_type, secondary_id)
            if primary.id == secondary.id:
                raise validation("the records are already merged")
            merged = [*_merged_ids(primary), *_merged_ids(secondary), primary.id, secondary.id]
            if len(merged) > MAX_IDENTITIES:
                raise FakeError(414, "VALIDATION_ERROR", "Cannot have more than 250 identities on a profile")
            props, moved = _merged_props(object_type, primary, secondary)
            props["hs_merged_object_ids"] = ";".join(str(i) for i in merged)
            survivor = self._survivor(object_type, primary, secondary, props)
            survivor.history = {**secondary.history, **primary.history}
            for old in (primary, secondary):
                if old is not survivor:
                    old.merged_into = survivor.id
                    self.table(object_type).aliases[old.id] = survivor.id
                    self.associations.move(object_type, old.id, survivor.id)
            self._index_email(object_type, survivor)
            self._emit(
                object_type, "merge", survivor.id, source or self.api_source, primaryObjectId=primary.id,
                mergedObjectIds=[secondary.id], newObjectId=survivor.id, numberOfPropertiesMoved=moved,
            )  # fmt: skip
            return survivor

    def _survivor(
        self, object_type: str, primary: FakeObject, secondary: FakeObject, props: dict[str, str]
    ) -> FakeObject:
        now = self.now_ms()
        if object_type == "deals":
            primary.props.update(props)
            primary.props[MODIFIED[object_type]] = iso(now)
            primary.updated_ms = now
            return primary
        new_id = self._take_id()
        created = min(primary.created_ms, secondary.created_ms)
        props.update(
            {"hs_object_id": str(new_id), "createdate": iso(created), MODIFIED[object_type]: iso(now)}
        )
        obj = FakeObject(new_id, props, created, now)
        self.table(object_type).add(obj)
        return obj

    def _consent(self, object_type: str, values: dict[str, str]) -> None:
        """HubSpot keeps email subscription status per address (crm-apis.md A.15): an address that
        unsubscribed stays unsubscribed, so a new contact with it is opted out too."""
        email = values.get("email", "").strip().lower()
        if object_type != "contacts" or not email:
            return
        if values.get("hs_email_optout") == "true":
            self.unsubscribed.add(email)
        elif email in self.unsubscribed:
            values["hs_email_optout"] = "true"

    def remove_additional_email(self, object_id: int | str, email: str) -> FakeObject:
        """``DELETE /contacts/v1/secondary-email/{vid}/email/{email}``: the address leaves the contact's
        ``hs_additional_emails`` and stops identifying it (a new contact may take it)."""
        with self.lock:
            obj = self.get("contacts", object_id)
            wanted = email.strip().lower()
            extra = [e for e in obj.props.get("hs_additional_emails", "").split(";") if e]
            if wanted not in {e.lower() for e in extra}:
                raise not_found("secondary email", email)
            kept = [e for e in extra if e.lower() != wanted]
            self._apply("contacts", obj, {"hs_additional_emails": ";".join(kept)}, self.api_source)
            if self.emails.get(wanted) == obj.id:
                del self.emails[wanted]
            return obj

    def set_owner_options(self, name: str) -> str:
        with self.lock:
            return self.owners.ensure(name)

    # -- history, events, counters --------------------------------------------------------------------

    def history(self, obj: FakeObject, name: str) -> list[dict[str, Any]]:
        """Newest first; a value never changed through the API shows as set at creation by import."""
        entries = obj.history.get(name)
        if entries is not None:
            return list(reversed(entries))
        value = obj.props.get(name, "")
        if not value:
            return []
        return [{"value": value, "timestamp": iso(obj.created_ms), "sourceType": "IMPORT", "sourceId": None}]

    def _remember(self, obj: FakeObject, name: str, now: int) -> None:
        if name not in obj.history:
            obj.history[name] = list(reversed(self.history(obj, name)))

    def _record_writes(
        self,
        object_type: str,
        obj: FakeObject,
        values: Mapping[str, str],
        source: Source,
        now: int | None = None,
    ) -> None:
        stamp = iso(now if now is not None else obj.created_ms)
        for name, value in values.items():
            if name in ("hs_object_id", "createdate", MODIFIED[object_type]):
                continue
            if source.kind == "INTEGRATION":  # what the connector did, not a person in the UI
                self.writes[(object_type, obj.id, name)] += 1
            entry = {
                "value": value,
                "timestamp": stamp,
                "sourceType": source.kind,
                "sourceId": source.source_id,
            }
            obj.history.setdefault(name, []).append(entry)

    def _emit(self, object_type: str, action: str, object_id: int, source: Source, **extra: Any) -> None:
        if self.on_event is None:
            return
        event: Event = {
            "subscriptionType": f"{SINGULAR[object_type]}.{action}",
            "objectId": object_id,
            "occurredAt": self.now_ms(),
            "changeSource": source.kind,
            "sourceId": source.source_id,
            **extra,
        }
        self.on_event(event)

    def _unindex_old_email(self, object_type: str, obj: FakeObject, changed: Mapping[str, str]) -> None:
        """A contact whose email changed (or was cleared) no longer holds the old address as a key."""
        if object_type != "contacts" or "email" not in changed:
            return
        kept = {
            e.strip().lower()
            for e in [obj.props.get("email", ""), *obj.props.get("hs_additional_emails", "").split(";")]
            if e.strip()
        }
        for email, holder in list(self.emails.items()):
            if holder == obj.id and email not in kept:
                del self.emails[email]

    def _index_email(self, object_type: str, obj: FakeObject) -> None:
        if object_type != "contacts":
            return
        for email in [obj.props.get("email", ""), *obj.props.get("hs_additional_emails", "").split(";")]:
            if email.strip():
                self.emails[email.strip().lower()] = obj.id

    def _take_id(self) -> int:
        new_id = self._next_id
        self._next_id += 1
        return new_id


def _problem(definition: PropertyDef | None, name: str, value: str, system: bool) -> dict[str, Any] | None:
    """The error entry for one property value, None when it may be written."""
    if definition is None:
        return property_error("PROPERTY_DOESNT_EXIST", name, f'Property "{name}" does not exist')
    if (definition.read_only or definition.calculated) and not system:
        return property_error("READ_ONLY_VALUE", name, f'Property "{name}" is read-only')
    if not value or system:
        return None
    if definition.type == "enumeration" and definition.options and not definition.external_options:
        parts = [p for p in value.split(";") if p] if definition.field_type == "checkbox" else [value]
        if any(p not in definition.option_values() for p in parts):
            return property_error("INVALID_OPTION", name, f'"{name}" was not one of the allowed options')
    if definition.type in ("datetime", "date") and to_ms(value) is None:
        return property_error("INVALID_DATE", name, f'"{name}" is not a valid date')
    if definition.type == "number" and number(value) is None:
        return property_error("INVALID_NUMBER", name, f'"{name}" is not a valid number')
    return None


def _stored(definition: PropertyDef, value: str) -> str:
    """How HubSpot keeps a written value: datetimes as ISO with milliseconds, dates as dates."""
    if not value:
        return ""
    if definition.type == "datetime":
        ms = to_ms(value)
        return iso(ms) if ms is not None else value
    if definition.type == "date":
        ms = to_ms(value)
        return iso(ms)[:10] if ms is not None else value
    return value


def _merged_ids(obj: FakeObject) -> list[int]:
    return [int(i) for i in obj.props.get("hs_merged_object_ids", "").split(";") if i]


def _merged_props(object_type: str, primary: FakeObject, secondary: FakeObject) -> tuple[dict[str, str], int]:
    """The primary's values, blanks filled from the secondary; the secondary's email becomes additional."""
    props = dict(primary.props)
    moved = 0
    for name, value in secondary.props.items():
        if value and not props.get(name):
            props[name] = value
            moved += 1
    email = secondary.props.get("email", "")
    if object_type == "contacts" and email and email.lower() != props.get("email", "").lower():
        extra = [e for e in props.get("hs_additional_emails", "").split(";") if e]
        props["hs_additional_emails"] = ";".join(dict.fromkeys([*extra, email]))
    return props, moved
