"""The CRM object endpoints of the fake (crm-apis.md A.2–A.9): list, read, create, update, archive,
batch read/update/create/archive, search, merge, and the JSON shapes they answer with."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from crm_hygiene.local.fake_hubspot.catalog import DEFAULT_PROPERTIES, MODIFIED, SINGULAR
from crm_hygiene.local.fake_hubspot.crm import DEFAULT_TYPES, PAIR_OF, FakeCrm, FakeObject
from crm_hygiene.local.fake_hubspot.search import search
from crm_hygiene.local.fake_hubspot.values import FakeError, iso, validation

BATCH_LIMIT = 100
HISTORY_LIMIT = 50
LIST_LIMIT = 100
Json = dict[str, Any]
Query = Mapping[str, list[str]]


def _one(query: Query, name: str, default: str = "") -> str:
    values = query.get(name)
    return values[0] if values else default


def _names(query: Query, name: str) -> list[str] | None:
    if name not in query:
        return None
    return [n for value in query[name] for n in value.split(",") if n]


def _flag(query: Query, name: str) -> bool:
    return _one(query, name, "false").lower() == "true"


def object_json(
    crm: FakeCrm, object_type: str, obj: FakeObject, properties: Sequence[str] | None,
    history: Sequence[str] | None = None, associations: Sequence[str] = (),
) -> Json:  # fmt: skip
    """A ``SimplePublicObject``. Requested properties without a value are ``null`` for contacts and
    left out for other objects: the docs disagree, so clients must accept both (crm-apis.md A.2)."""
    wanted = list(properties if properties is not None else DEFAULT_PROPERTIES[object_type])
    wanted += ["hs_object_id", "createdate", MODIFIED[object_type]]
    props: dict[str, str | None] = {}
    for name in dict.fromkeys(wanted):
        value = obj.props.get(name, "")
        if value:
            props[name] = value
        elif object_type == "contacts":
            props[name] = None
    body: Json = {
        "id": str(obj.id),
        "properties": props,
        "createdAt": iso(obj.created_ms),
        "updatedAt": iso(obj.updated_ms),
        "archived": obj.archived_ms is not None,
    }
    if obj.archived_ms is not None:
        body["archivedAt"] = iso(obj.archived_ms)
    if history:
        body["propertiesWithHistory"] = {name: crm.history(obj, name) for name in history}
    if associations:
        body["associations"] = _inline_associations(crm, object_type, obj, associations)
    return body


def _inline_associations(crm: FakeCrm, object_type: str, obj: FakeObject, to_types: Sequence[str]) -> Json:
    out: Json = {}
    for to_type in to_types:
        unlabeled, primary = DEFAULT_TYPES.get((object_type, to_type), (0, None))
        results: list[Json] = []
        for to_id, types in sorted(crm.associations.types(object_type, obj.id, to_type).items()):
            ids = {t for _, t in types}
            stem = f"{SINGULAR[object_type]}_to_{SINGULAR[to_type]}"
            if primary is not None and primary in ids:
                results.insert(0, {"id": str(to_id), "type": stem})
            if unlabeled in ids:
                results.append({"id": str(to_id), "type": f"{stem}_unlabeled" if primary else stem})
        if results:
            out[to_type] = {"results": results}
    return out


def list_objects(crm: FakeCrm, object_type: str, query: Query) -> Json:
    history = _names(query, "propertiesWithHistory")
    limit = int(_one(query, "limit", "10") or 10)
    top = HISTORY_LIMIT if history else LIST_LIMIT
    if not 1 <= limit <= top:
        raise validation(f"limit must be between 1 and {top}")
    after = int(_one(query, "after", "0") or 0)
    with crm.lock:
        page, next_id = crm.table(object_type).page(after, limit, _flag(query, "archived"))
        results = [
            object_json(
                crm,
                object_type,
                obj,
                _names(query, "properties"),
                history,
                _names(query, "associations") or (),
            )
            for obj in page
        ]
    body: Json = {"results": results}
    if next_id is not None:
        link = f"https://api.hubapi.com/crm/v3/objects/{object_type}?limit={limit}&after={next_id}"
        body["paging"] = {"next": {"after": str(next_id), "link": link}}
    return body


def get_object(crm: FakeCrm, object_type: str, object_id: str, query: Query) -> Json:
    with crm.lock:
        obj = _find(crm, object_type, object_id, _one(query, "idProperty"), _flag(query, "archived"))
        return object_json(
            crm, object_type, obj, _names(query, "properties"), _names(query, "propertiesWithHistory"),
            _names(query, "associations") or (),
        )  # fmt: skip


def _find(
    crm: FakeCrm, object_type: str, object_id: str, id_property: str, archived: bool = False
) -> FakeObject:
    if id_property and id_property != "hs_object_id":
        found = crm.find_by(object_type, id_property, object_id)
        if found is None:
            raise FakeError(404, "OBJECT_NOT_FOUND", f"resource not found: {id_property}")
        return found
    return crm.get(object_type, object_id, archived=archived)


def create_object(crm: FakeCrm, object_type: str, body: Json) -> Json:
    """``POST /crm/v3/objects/{type}``: properties, and ``associations`` made with it
    (``[{"to": {"id"}, "types": [{"associationCategory", "associationTypeId"}]}]``; the type id names
    the associated object's type). Every associated record must exist, or nothing is created."""
    _require_create(object_type, body.get("properties") or {})
    with crm.lock:
        links = [_link(crm, object_type, a) for a in body.get("associations") or []]
        obj = crm.create(object_type, body.get("properties") or {})
        for to_type, to_id, types in links:
            crm.associations.add(object_type, obj.id, to_type, to_id, types)
        return object_json(crm, object_type, obj, list((body.get("properties") or {}).keys()))


def _link(crm: FakeCrm, object_type: str, item: Any) -> tuple[str, int, set[tuple[str, int]]]:
    if not isinstance(item, dict):
        raise validation("each association needs to and types")
    types = {
        (str(t.get("associationCategory")), int(t.get("associationTypeId") or 0))
        for t in item.get("types") or []
        if isinstance(t, dict)
    }
    pairs = {PAIR_OF.get(t) for _, t in types}
    pair = pairs.pop() if len(pairs) == 1 else None
    if pair is None or pair[0] != object_type:
        raise validation(f"invalid association types for a {object_type} record")
    to_type = pair[1]
    target = crm.get(to_type, str((item.get("to") or {}).get("id")))
    return to_type, target.id, types


def _require_create(object_type: str, props: Mapping[str, Any]) -> None:
    if object_type == "deals" and not all(props.get(n) for n in ("dealname", "dealstage", "pipeline")):
        raise validation("a deal needs dealname, dealstage and pipeline")
    if object_type == "companies" and not (props.get("name") or props.get("domain")):
        raise validation("a company needs a name or a domain")


def update_object(crm: FakeCrm, object_type: str, object_id: str, query: Query, body: Json) -> Json:
    with crm.lock:
        obj = _find(crm, object_type, object_id, _one(query, "idProperty"))
        props = body.get("properties") or {}
        crm.update(object_type, obj.id, props)
        return object_json(crm, object_type, obj, list(props.keys()))


def archive_object(crm: FakeCrm, object_type: str, object_id: str) -> None:
    crm.archive(object_type, object_id)


def _inputs(body: Json, limit: int, what: str) -> list[Json]:
    inputs = body.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise validation("inputs must be a non-empty list")
    if len(inputs) > limit:
        raise validation(f"The maximum number of inputs supported in a batch request{what} is {limit}")
    return [i for i in inputs if isinstance(i, dict)]


def _batch(results: list[Json], errors: list[Json], now: str) -> tuple[int, Json]:
    body: Json = {
        "status": "COMPLETE",
        "results": results,
        "requestedAt": now,
        "startedAt": now,
        "completedAt": now,
    }
    if errors:
        body.update(numErrors=len(errors), errors=errors)
    return (207 if errors else 200), body


def _missing(object_type: str, ids: Sequence[str]) -> Json:
    kind = object_type.upper().rstrip("S").replace("COMPANIE", "COMPANY")
    return {
        "status": "error", "category": "OBJECT_NOT_FOUND", "subCategory": None,
        "message": f"Could not get some {kind} objects, they may be deleted or not exist.",
        "context": {"ids": list(ids)}, "errors": [], "links": {},
    }  # fmt: skip


def batch_read(crm: FakeCrm, object_type: str, query: Query, body: Json) -> tuple[int, Json]:
    """Batch endpoints address records by their current id: old ids of merged records are missing."""
    history = list(body.get("propertiesWithHistory") or [])
    inputs = _inputs(
        body, HISTORY_LIMIT if history else BATCH_LIMIT, " for property histories" if history else ""
    )
    id_property = str(body.get("idProperty") or "")
    results: list[Json] = []
    missing: list[str] = []
    with crm.lock:
        for item in inputs:
            obj = _exact(crm, object_type, str(item.get("id", "")), id_property, _flag(query, "archived"))
            if obj is None:
                missing.append(str(item.get("id", "")))
            else:
                results.append(object_json(crm, object_type, obj, body.get("properties"), history))
    return _batch(results, [_missing(object_type, missing)] if missing else [], iso(crm.now_ms()))


def _exact(
    crm: FakeCrm, object_type: str, object_id: str, id_property: str, archived: bool
) -> FakeObject | None:
    if id_property and id_property != "hs_object_id":
        return crm.find_by(object_type, id_property, object_id)
    try:
        obj = crm.table(object_type).objects.get(int(object_id))
    except ValueError:
        return None
    if obj is None or obj.merged_into is not None or (obj.archived_ms is not None) != archived:
        return None
    return obj


def batch_update(
    crm: FakeCrm, object_type: str, body: Json, *, missing_status: int = 207
) -> tuple[int, Json]:
    """All inputs are validated first: one bad property value fails the whole batch with a 400."""
    inputs = _inputs(body, BATCH_LIMIT, "")
    ids = [str(i.get("id", "")) for i in inputs]
    if len(set(ids)) != len(ids):
        raise validation("Duplicate IDs found in batch input")
    with crm.lock:
        for item in inputs:
            crm.clean(object_type, item.get("properties") or {})
        found = {i: _exact(crm, object_type, i, "", False) for i in ids}
        missing = [i for i, obj in found.items() if obj is None]
        if missing and missing_status == 400:
            raise FakeError(400, "VALIDATION_ERROR", "some ids do not exist", context={"ids": missing})
        results: list[Json] = []
        for item in inputs:
            obj = found[str(item.get("id", ""))]
            if obj is not None:
                props = item.get("properties") or {}
                crm.update(object_type, obj.id, props)
                results.append(object_json(crm, object_type, obj, list(props.keys())))
        errors = [_missing(object_type, missing)] if missing else []
        return _batch(results, errors, iso(crm.now_ms()))


def batch_create(crm: FakeCrm, object_type: str, body: Json) -> tuple[int, Json]:
    inputs = _inputs(body, BATCH_LIMIT, "")
    with crm.lock:
        for item in inputs:
            _require_create(object_type, item.get("properties") or {})
            crm.clean(object_type, item.get("properties") or {})
        created = [crm.create(object_type, item.get("properties") or {}) for item in inputs]
        results = [
            object_json(crm, object_type, o, list(i.get("properties") or {}))
            for o, i in zip(created, inputs, strict=True)
        ]
    status, answer = _batch(results, [], iso(crm.now_ms()))
    return (201 if status == 200 else status), answer


def batch_archive(crm: FakeCrm, object_type: str, body: Json) -> None:
    with crm.lock:
        for item in _inputs(body, BATCH_LIMIT, ""):
            if crm.find(object_type, str(item.get("id", ""))) is not None:
                crm.archive(object_type, str(item["id"]))


def search_objects(crm: FakeCrm, object_type: str, body: Json) -> Json:
    page, total, next_after = search(crm, object_type, body)
    with crm.lock:
        results = [object_json(crm, object_type, obj, body.get("properties")) for obj in page]
    answer: Json = {"total": total, "results": results}
    if next_after is not None:
        answer["paging"] = {"next": {"after": str(next_after)}}
    return answer


def merge_objects(crm: FakeCrm, object_type: str, body: Json) -> Json:
    primary, secondary = body.get("primaryObjectId"), body.get("objectIdToMerge")
    if primary is None or secondary is None:
        raise validation("primaryObjectId and objectIdToMerge are required")
    survivor = crm.merge(object_type, str(primary), str(secondary))
    with crm.lock:
        return object_json(crm, object_type, survivor, None)
