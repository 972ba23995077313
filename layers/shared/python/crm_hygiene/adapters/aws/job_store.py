"""``DynamoJobStore``: background jobs in the jobs table (layout in docs/pipeline.md).

- a job's header: pk ``job#<job id>``, sk ``job``; the ``Job`` fields (times as ISO strings);
- a chunk of its plan: pk ``job#<job id>``, sk ``chunk#<index, 6 digits>``; ``tasks`` (JSON) and,
  once done, ``results`` (JSON);
- the current job of a subject: pk ``subject#<kind>#<subject>``, sk ``current``; ``job_id``.

Headers are written only if still at the version read; a chunk's results and the header moving
the checkpoint past it go in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from crm_hygiene.adapters.aws.errors import aws_errors
from crm_hygiene.errors import Conflict, NotFound
from crm_hygiene.models.jobs import Job, JobItemResult, JobTask
from crm_hygiene.types import JobKind

_HEADER = "job"


def _pk(job_id: str) -> str:
    return f"job#{job_id}"


def _chunk_sk(index: int) -> str:
    return f"chunk#{index:06d}"


def _subject_key(kind: JobKind, subject: str) -> dict[str, str]:
    return {"pk": f"subject#{kind}#{subject}", "sk": "current"}


def _header(job: Job) -> dict[str, Any]:
    return {"pk": _pk(job.job_id), "sk": _HEADER, **job.model_dump(mode="json", exclude_none=True,
                                                                  exclude={"processed"})}  # fmt: skip


def _job(item: dict[str, Any]) -> Job:
    body = {k: int(v) if isinstance(v, Decimal) else v for k, v in item.items() if k not in ("pk", "sk")}
    return Job.model_validate(body)


class DynamoJobStore:
    """Implements ``JobStore`` on one table; takes a boto3 DynamoDB ``Table`` resource."""

    def __init__(self, table: Any) -> None:
        self._table = table
        self._client = table.meta.client  # a resource's client: it (de)serializes Python values itself

    def create(self, job: Job, *, replaces: str | None, plan: Sequence[Sequence[JobTask]] | None) -> Job:
        if plan is not None:
            self._write_chunks(job.job_id, plan)
            job = job.model_copy(update={"total": sum(len(c) for c in plan), "chunks": len(plan)})
        subject = {**_subject_key(job.kind, job.subject), "job_id": job.job_id}
        if replaces is None:
            condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
        else:
            condition = {
                "ConditionExpression": "job_id = :replaced",
                "ExpressionAttributeValues": {":replaced": replaces},
            }
        try:
            self._transact([
                {"Put": {"TableName": self._table.name, "Item": subject, **condition}},
                {"Put": {"TableName": self._table.name, "Item": _header(job),
                         "ConditionExpression": "attribute_not_exists(pk)"}},
            ])  # fmt: skip
        except Conflict:
            raise Conflict(f"another {job.kind} job on this subject started meanwhile") from None
        return job

    def current(self, kind: JobKind, subject: str) -> Job | None:
        with aws_errors():
            item = self._table.get_item(Key=_subject_key(kind, subject), ConsistentRead=True).get("Item")
        return self.get(str(item["job_id"])) if item else None

    def get(self, job_id: str) -> Job:
        with aws_errors():
            item = self._table.get_item(Key={"pk": _pk(job_id), "sk": _HEADER}, ConsistentRead=True).get(
                "Item"
            )
        if item is None:
            raise NotFound(f"job {job_id} does not exist")
        return _job(item)

    def update(self, job: Job, **changes: Any) -> Job:
        updated = job.model_copy(update={**changes, "version": job.version + 1})
        try:
            with aws_errors():
                self._table.put_item(
                    Item=_header(updated),
                    ConditionExpression="attribute_exists(pk) AND version = :v",
                    ExpressionAttributeValues={":v": job.version},
                )
        except Conflict:
            self.get(job.job_id)  # NotFound when there is no such job at all
            raise Conflict(f"job {job.job_id} changed since it was read") from None
        return updated

    def put_plan(self, job: Job, plan: Sequence[Sequence[JobTask]]) -> Job:
        self._write_chunks(job.job_id, plan)
        return self.update(job, total=sum(len(c) for c in plan), chunks=len(plan))

    def _write_chunks(self, job_id: str, plan: Sequence[Sequence[JobTask]]) -> None:
        with aws_errors(), self._table.batch_writer() as batch:
            for index, tasks in enumerate(plan):
                body = json.dumps([t.model_dump(mode="json", exclude_none=True) for t in tasks])
                batch.put_item(Item={"pk": _pk(job_id), "sk": _chunk_sk(index), "tasks": body})

    def chunk(self, job_id: str, index: int) -> list[JobTask]:
        item = self._chunk(job_id, index)
        return [JobTask.model_validate(t) for t in json.loads(item["tasks"])]

    def _chunk(self, job_id: str, index: int) -> dict[str, Any]:
        with aws_errors():
            key = {"pk": _pk(job_id), "sk": _chunk_sk(index)}
            item: dict[str, Any] | None = self._table.get_item(Key=key, ConsistentRead=True).get("Item")
        if item is None:
            raise NotFound(f"job {job_id} has no chunk {index}")
        return item

    def complete_chunk(self, job: Job, index: int, results: Sequence[JobItemResult], **changes: Any) -> Job:
        if job.next_chunk != index:
            raise Conflict(f"job {job.job_id} is at chunk {job.next_chunk}, not {index}")
        done = sum(r.outcome == "done" for r in results)
        updated = job.model_copy(update={
            **changes, "next_chunk": index + 1, "done": job.done + done,
            "errors": job.errors + len(results) - done, "version": job.version + 1,
        })  # fmt: skip
        stored = json.dumps([r.model_dump(mode="json", exclude_none=True) for r in results])
        try:
            self._transact([
                {"Update": {"TableName": self._table.name,
                            "Key": {"pk": _pk(job.job_id), "sk": _chunk_sk(index)},
                            "UpdateExpression": "SET results = :r",
                            "ConditionExpression": "attribute_exists(pk)",
                            "ExpressionAttributeValues": {":r": stored}}},
                {"Put": {"TableName": self._table.name, "Item": _header(updated),
                         "ConditionExpression": "version = :v",
                         "ExpressionAttributeValues": {":v": job.version}}},
            ])  # fmt: skip
        except Conflict:
            raise Conflict(f"job {job.job_id} changed since it was read") from None
        return updated

    def results(self, job_id: str, first_chunk: int, chunks: int) -> list[list[JobItemResult]]:
        if chunks <= 0:
            return []
        with aws_errors():
            response = self._table.query(
                KeyConditionExpression="pk = :pk AND sk BETWEEN :first AND :last",
                ExpressionAttributeValues={
                    ":pk": _pk(job_id),
                    ":first": _chunk_sk(first_chunk),
                    ":last": _chunk_sk(first_chunk + chunks - 1),
                },  # fmt: skip
                ConsistentRead=True,
            )
        return [
            [JobItemResult.model_validate(r) for r in json.loads(item["results"])]
            for item in response.get("Items", [])
            if "results" in item
        ]

    def _transact(self, items: list[dict[str, Any]]) -> None:
        with aws_errors():
            self._client.transact_write_items(TransactItems=items)
