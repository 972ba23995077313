"""Every ``CrmStore`` behind one fixture, so one suite checks that they all behave alike (STYLE point 22).

``crm`` is parametrized over the in-memory store, the internal table on moto (built through the CRM
registry, as the functions build it) and HubSpot against its fake (in-process, on a virtual clock).
Each ``CrmUnderTest`` also says what its CRM does differently on purpose (``resolves_merged_ids``,
``merge_mints_new_id``, ``break_backend``), so the suite states every difference instead of skipping.
A new adapter joins by adding one builder to ``BUILDERS``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from crm_hygiene.adapters.aws.crm_store import DynamoCrmStore
from crm_hygiene.adapters.crm.hubspot import HubSpotCrmStore
from crm_hygiene.memory import InMemoryCrmStore
from crm_hygiene.models.record import Record
from crm_hygiene.ports import CrmStore
from crm_hygiene.settings import PipelineSettings
from crm_hygiene.types import FieldName, RecordId
from crm_hygiene.wiring.aws import AwsDeps, clear_deps
from crm_hygiene.wiring.crm import crm_store
from tests.fakes.hubspot import VirtualClock, make_fake, store_for
from tests.integration.conftest import create_resources

Fields = Mapping[FieldName, str]


@dataclass
class CrmUnderTest:
    """One ``CrmStore`` and what the suite needs to arrange a case outside the port.

    Attributes:
        name: The test id.
        store: The store under test.
        seed: Creates contacts with these canonical fields; returns their ids in the same order.
        edit: Someone else (a person in the CRM) changes one field of a record; its last-modified moves.
        advance: Lets ``seconds`` of the CRM's time pass.
        now: The CRM's current time.
        break_backend: Makes every further call fail in the backend; None when there is no backend to
            fail (the in-memory store).
        resolves_merged_ids: Reading a merged-away id returns its survivor (HubSpot follows merges)
            instead of leaving it out (the internal table).
        merge_mints_new_id: A contact merge gives the survivor a new id (HubSpot), instead of keeping
            the primary's.
    """

    name: str
    store: CrmStore
    seed: Callable[[Sequence[Fields]], list[RecordId]]
    edit: Callable[[RecordId, FieldName, str], None]
    advance: Callable[[float], None]
    now: Callable[[], dt.datetime]
    break_backend: Callable[[], None] | None
    resolves_merged_ids: bool = False
    merge_mints_new_id: bool = False


START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class _Clock:
    def __init__(self) -> None:
        self.moment = START

    def advance(self, seconds: float) -> None:
        self.moment += dt.timedelta(seconds=seconds)

    def now(self) -> dt.datetime:
        return self.moment


def _internal_seeder(
    put: Callable[[Sequence[Record]], None], clock: _Clock
) -> Callable[[Sequence[Fields]], list[RecordId]]:
    counter = iter(range(100_001, 1_000_000))

    def seed(rows: Sequence[Fields]) -> list[RecordId]:
        ids = [str(next(counter)) for _ in rows]
        put(
            [
                Record(
                    object_type="contact",
                    record_id=i,
                    fields={**row, "record_id": i, "updated_at": _stamp(clock.now())},
                    source="internal",
                )
                for i, row in zip(ids, rows, strict=True)
            ]
        )
        return ids

    return seed


def _edited(record: Record, field: FieldName, value: str, clock: _Clock) -> Record:
    return record.model_copy(
        update={"fields": {**record.fields, field: value, "updated_at": _stamp(clock.now())}}
    )


def _memory() -> Iterator[CrmUnderTest]:
    store, clock = InMemoryCrmStore(), _Clock()

    def edit(record_id: RecordId, field: FieldName, value: str) -> None:
        [record] = store.get_records("contact", [record_id])
        store.add([_edited(record, field, value, clock)])

    yield CrmUnderTest(
        name="memory", store=store, seed=_internal_seeder(store.add, clock), edit=edit,
        advance=clock.advance, now=clock.now, break_backend=None,
    )  # fmt: skip


def _dynamodb() -> Iterator[CrmUnderTest]:
    with mock_aws():
        env = create_resources()
        saved = dict(os.environ)
        os.environ.update(env)
        clear_deps()
        try:
            store = crm_store(AwsDeps(PipelineSettings.model_validate(env)), "internal")
            assert isinstance(store, DynamoCrmStore)
            clock = _Clock()

            def edit(record_id: RecordId, field: FieldName, value: str) -> None:
                [record] = store.get_records("contact", [record_id])
                store.put_records([_edited(record, field, value, clock)])

            def break_backend() -> None:
                boto3.client("dynamodb").delete_table(TableName=env["CRM_TABLE"])

            yield CrmUnderTest(
                name="dynamodb", store=store, seed=_internal_seeder(store.put_records, clock), edit=edit,
                advance=clock.advance, now=clock.now, break_backend=break_backend,
            )  # fmt: skip
        finally:
            os.environ.clear()
            os.environ.update(saved)
            clear_deps()


def _hubspot() -> Iterator[CrmUnderTest]:
    clock = VirtualClock(START.timestamp())
    fake = make_fake(clock)
    store: HubSpotCrmStore = store_for(fake, clock)

    def properties(row: Fields) -> dict[str, Any]:
        catalog = store.catalog("contact")
        out: dict[str, Any] = {}
        for field, value in row.items():
            spec = catalog.spec_of(field)
            assert spec is not None, f"{field} is not a plain HubSpot property"
            out[spec.name] = spec.to_wire(value)
        return out

    def seed(rows: Sequence[Fields]) -> list[RecordId]:
        return [str(fake.crm.create("contacts", properties(row), system=True).id) for row in rows]

    def edit(record_id: RecordId, field: FieldName, value: str) -> None:
        fake.ui_update("contacts", record_id, properties({field: value}))

    def break_backend() -> None:
        fake.tokens.clear()  # the app was uninstalled: every call is refused with 401

    yield CrmUnderTest(
        name="hubspot", store=store, seed=seed, edit=edit, advance=clock.sleep,
        now=lambda: dt.datetime.fromtimestamp(clock(), dt.UTC), break_backend=break_backend,
        resolves_merged_ids=True, merge_mints_new_id=True,
    )  # fmt: skip
    store.close()


BUILDERS: dict[str, Callable[[], Iterator[CrmUnderTest]]] = {
    "memory": _memory,
    "dynamodb": _dynamodb,
    "hubspot": _hubspot,
}


@pytest.fixture(params=list(BUILDERS))
def crm(request: pytest.FixtureRequest) -> Iterator[CrmUnderTest]:
    yield from BUILDERS[request.param]()
