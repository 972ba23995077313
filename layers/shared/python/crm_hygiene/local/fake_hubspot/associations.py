"""v4 association endpoints of the fake (crm-apis.md A.10)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crm_hygiene.local.fake_hubspot.catalog import TYPE_IDS
from crm_hygiene.local.fake_hubspot.crm import DEFAULT_TYPES, AssocType, FakeCrm
from crm_hygiene.local.fake_hubspot.values import iso, validation

Json = dict[str, Any]
PAGE_LIMIT = 500
BATCH_READ_LIMIT = 1000
BATCH_CREATE_LIMIT = 2000
_TYPE_OF = {v: k for k, v in TYPE_IDS.items()}


def _types_json(crm: FakeCrm, types: set[AssocType]) -> list[Json]:
    return [
        {"category": category, "typeId": type_id, "label": crm.associations.label(type_id)}
        for category, type_id in sorted(types, key=lambda t: t[1])
    ]


def list_associations(
    crm: FakeCrm, from_type: str, from_id: str, to_type: str, query: Mapping[str, list[str]]
) -> Json:
    limit = min(int((query.get("limit") or ["500"])[0] or 500), PAGE_LIMIT)
    after = int((query.get("after") or ["0"])[0] or 0)
    with crm.lock:
        obj = crm.get(from_type, from_id)
        links = sorted(crm.associations.types(from_type, obj.id, to_type).items())
    page = [(i, t) for i, t in links if i >= after][: limit + 1]
    body: Json = {
        "results": [{"toObjectId": i, "associationTypes": _types_json(crm, t)} for i, t in page[:limit]]
    }
    if len(page) > limit:
        body["paging"] = {"next": {"after": str(page[limit][0])}}
    return body


def associate_default(crm: FakeCrm, from_type: str, from_id: str, to_type: str, to_id: str) -> Json:
    with crm.lock:
        source, target = crm.get(from_type, from_id), crm.get(to_type, to_id)
        unlabeled, _ = DEFAULT_TYPES.get((from_type, to_type), (0, None))
        if not unlabeled:
            raise validation(f"no default association from {from_type} to {to_type}")
        crm.associations.add(from_type, source.id, to_type, target.id, {("HUBSPOT_DEFINED", unlabeled)})
        now = iso(crm.now_ms())
    spec = {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": unlabeled}
    result = {"from": {"id": str(source.id)}, "to": {"id": str(target.id)}, "associationSpec": spec}
    return {"status": "COMPLETE", "results": [result], "startedAt": now, "completedAt": now}


def associate_labelled(
    crm: FakeCrm, from_type: str, from_id: str, to_type: str, to_id: str, body: Any
) -> Json:
    """Replaces the pair's labels with the given types (include old ones to keep them)."""
    if not isinstance(body, list) or not body:
        raise validation("a list of association types is required")
    types = {(str(t.get("associationCategory")), int(t.get("associationTypeId") or 0)) for t in body}
    with crm.lock:
        source, target = crm.get(from_type, from_id), crm.get(to_type, to_id)
        crm.associations.replace(from_type, source.id, to_type, target.id, types)
    labels = [label for _, t in sorted(types) if (label := crm.associations.label(t))]
    return {
        "fromObjectTypeId": _TYPE_OF.get(from_type, from_type), "fromObjectId": source.id,
        "toObjectTypeId": _TYPE_OF.get(to_type, to_type), "toObjectId": target.id, "labels": labels,
    }  # fmt: skip


def dissociate(crm: FakeCrm, from_type: str, from_id: str, to_type: str, to_id: str) -> None:
    with crm.lock:
        crm.associations.remove(from_type, int(from_id), to_type, int(to_id))


def batch_read(crm: FakeCrm, from_type: str, to_type: str, body: Json) -> tuple[int, Json]:
    inputs = body.get("inputs") or []
    if len(inputs) > BATCH_READ_LIMIT:
        raise validation(f"The maximum number of inputs supported in a batch request is {BATCH_READ_LIMIT}")
    results: list[Json] = []
    errors: list[Json] = []
    with crm.lock:
        for item in inputs:
            from_id = str(item.get("id", ""))
            obj = crm.find(from_type, from_id)
            links = crm.associations.types(from_type, obj.id, to_type) if obj is not None else {}
            if not links:
                errors.append(_none_found(from_type, from_id, to_type))
                continue
            to = [
                {"toObjectId": i, "associationTypes": _types_json(crm, t)} for i, t in sorted(links.items())
            ]
            results.append({"from": {"id": from_id}, "to": to})
        now = iso(crm.now_ms())
    answer: Json = {"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now}
    if errors:
        answer.update(numErrors=len(errors), errors=errors)
    return (207 if errors else 200), answer


def _none_found(from_type: str, from_id: str, to_type: str) -> Json:
    return {
        "status": "error",
        "category": "OBJECT_NOT_FOUND",
        "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
        "message": f"No {to_type} is associated with {from_type} {from_id}.",
        "context": {"fromObjectId": [from_id]},
    }


def batch_create(crm: FakeCrm, from_type: str, to_type: str, body: Json) -> tuple[int, Json]:
    inputs = body.get("inputs") or []
    if len(inputs) > BATCH_CREATE_LIMIT:
        raise validation(f"The maximum number of inputs supported in a batch request is {BATCH_CREATE_LIMIT}")
    with crm.lock:
        for item in inputs:
            source = crm.get(from_type, str((item.get("from") or {}).get("id")))
            target = crm.get(to_type, str((item.get("to") or {}).get("id")))
            types = {
                (str(t.get("associationCategory")), int(t.get("associationTypeId") or 0))
                for t in item.get("types") or []
            }
            crm.associations.add(from_type, source.id, to_type, target.id, types)
        now = iso(crm.now_ms())
    return 201, {"status": "COMPLETE", "results": [], "startedAt": now, "completedAt": now}


def labels(crm: FakeCrm, from_type: str, to_type: str) -> Json:
    unlabeled, primary = DEFAULT_TYPES.get((from_type, to_type), (0, None))
    results = [{"category": "HUBSPOT_DEFINED", "typeId": unlabeled, "label": None}]
    if primary is not None:
        results.append({"category": "HUBSPOT_DEFINED", "typeId": primary, "label": "Primary"})
    results += [
        {"category": "USER_DEFINED", "typeId": t, "label": label}
        for t, label in sorted(crm.associations.user_labels.items())
    ]
    return {"results": results}
