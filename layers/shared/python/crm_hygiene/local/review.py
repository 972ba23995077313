"""``crm-hygiene review``: a person's own export, scanned and reviewed on the local stack.

The same stack as the demo (moto in this process, the synthesized template deployed, the real
handlers): the export is loaded as it is into the internal CRM table (header mapping as ``scan``
reads it: ``csvio.records``), the weekly schedule is fired, and the review API and its console
are served. Decisions apply to that local copy, never to a CRM. What the review decided is saved
into the session folder (``services/writeback/session.py``) every few seconds and when it stops;
``crm-hygiene apply --from`` reads it from there.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import boto3

from crm_hygiene.adapters.aws.crm_store import DynamoCrmStore
from crm_hygiene.csvio.records import read_records
from crm_hygiene.local import demo
from crm_hygiene.local.stack import LocalStack, up
from crm_hygiene.models.audit import AuditEntry
from crm_hygiene.models.merge import pair_keys_of
from crm_hygiene.models.messages import ApplyMessage
from crm_hygiene.observability import logger
from crm_hygiene.services.writeback.core import Reviewed
from crm_hygiene.services.writeback.session import EXPORT, Session, SessionStart, open_session, save_snapshot
from crm_hygiene.settings import PipelineSettings
from crm_hygiene.types import ObjectType
from crm_hygiene.wiring.aws import AwsDeps

STANDARD_PARAMETER = "/crm-hygiene/local/standard"
SAVE_EVERY = 5.0
"""Seconds between two saves of the session while the console is served."""


@dataclass
class ReviewRun:
    """A review session on the local stack."""

    folder: Path
    start: SessionStart
    run: demo.DemoRun
    carried: list[AuditEntry] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def session(self) -> Session:
        return self.start.session

    def save(self) -> Session:
        """Writes what the review decided so far into the session folder."""
        with self._lock:
            deps = self.run.deps
            self.start.session = save_snapshot(
                self.folder,
                self.session,
                crm=deps.crm,
                queue=deps.queue,
                audit=deps.audit,
                carried=self.carried,
            )
            return self.start.session

    def stop(self) -> None:
        self.run.stop()


def start_review(folder: Path, input_path: Path, object_type: ObjectType, standard: Path | None) -> ReviewRun:
    """Brings the stack up with the export loaded (or the earlier session's copy restored) and scans it."""
    start = open_session(folder, input_path, object_type, standard)
    log = folder / "lambda.log"
    log.write_text("")
    stack = up(log_path=log)
    secret_name = stack.function_env("Webhook")["WEBHOOK_SECRET_NAME"]
    boto3.client("secretsmanager").create_secret(Name=secret_name, SecretString=demo.LOCAL_WEBHOOK_SECRET)
    if standard is not None:
        _deploy_standard(stack, standard)
    env = stack.function_env()
    os.environ.update(env)
    run = demo.DemoRun(stack=stack, deps=AwsDeps(PipelineSettings.model_validate(env)))
    review = ReviewRun(folder=folder, start=start, run=run)
    try:
        _load_export(run.deps, folder / EXPORT, object_type)
        if start.previous is not None:
            review.carried = _restore(run.deps, start.previous)
        demo.scan(run)
        review.save()
    except BaseException:
        run.stop()
        raise
    return review


def _deploy_standard(stack: LocalStack, standard: Path) -> None:
    """The standard as the deployment reads it (an SSM parameter), and every function pointed at it."""
    boto3.client("ssm").put_parameter(
        Name=STANDARD_PARAMETER, Value=standard.read_text(encoding="utf-8"), Type="String", Overwrite=True
    )
    client = boto3.client("lambda")
    for name in (pid for t, pid in stack.resources.values() if t == "AWS::Lambda::Function"):
        config = client.get_function_configuration(FunctionName=name)
        variables = config.get("Environment", {}).get("Variables", {})
        client.update_function_configuration(
            FunctionName=name,
            Environment={"Variables": {**variables, "STANDARD_PARAMETER": STANDARD_PARAMETER}},
        )


def _crm(deps: AwsDeps[PipelineSettings]) -> DynamoCrmStore:
    store = deps.crm
    if not isinstance(store, DynamoCrmStore):
        raise TypeError("a local review runs on the internal CRM table")
    return store


def _load_export(deps: AwsDeps[PipelineSettings], export: Path, object_type: ObjectType) -> int:
    """The export, as it is, into the internal CRM table (in batches: constant memory)."""
    store, batch, loaded = _crm(deps), [], 0
    for record in read_records(export, object_type):
        batch.append(record)
        if len(batch) == 500:
            store.put_records(batch)
            loaded, batch = loaded + len(batch), []
    store.put_records(batch)
    return loaded + len(batch)


def _restore(deps: AwsDeps[PipelineSettings], previous: Reviewed) -> list[AuditEntry]:
    """Over the export just loaded: the earlier session's changed records (current values), its
    merges, its decided items and its rejections; the scan then queues again what is still open.
    Returns the earlier audit, carried into the next save."""
    store = _crm(deps)
    store.put_records(list(previous.records.values()))
    for record_id, survivor in previous.merged_away.items():
        store.merge(previous.object_type, survivor, record_id)
    decided = [i for i in previous.items if i.status not in ("queued", "blocked", "proposed")]
    deps.queue.put_new(decided)
    for item in decided:
        if item.status == "rejected":
            deps.memory.remember_rejection(item.review_id, item.note or "rejected", item.decided_by or "")
            if item.proposal is not None:
                for key in pair_keys_of(item.object_type, item.proposal.members):
                    deps.memory.remember_rejection(key, item.note or "rejected", item.decided_by or "")
    pending = [i for i in decided if i.status in ("approved", "edited") and i.change_kind != "merge"]
    if pending:  # decided as the last session stopped, not applied yet: the apply step finishes them
        deps.apply_queue.send([ApplyMessage(review_id=i.review_id, run_id=i.run_id) for i in pending])
    return list(previous.audit)


def keep_saving(review: ReviewRun, stop: threading.Event, every: float = SAVE_EVERY) -> threading.Thread:
    """Saves the session every ``every`` seconds (longer when saving takes long) until ``stop`` is set;
    a save failing is retried next time, and the last save happens when the review stops."""

    def loop() -> None:
        wait, saved_at = every, -1
        while not stop.wait(wait):
            began = time.monotonic()
            try:
                size = audit_size(review)
                if size == saved_at:
                    continue  # nothing happened: every decision, write and rollback appends to the audit
                review.save()
                saved_at = size
            except Exception:  # noqa: BLE001  # the next tick tries again; stopping saves last
                logger.warning("saving the review session failed; trying again")
            # a large export takes a while to save: never spend more than a quarter of the time on it
            wait = max(every, 3 * (time.monotonic() - began))

    thread = threading.Thread(target=loop, name="review-save", daemon=True)
    thread.start()
    return thread


def audit_size(review: ReviewRun) -> int:
    """How many entries the stack's audit holds (moto counts a table's items as they are written)."""
    table = boto3.client("dynamodb").describe_table(TableName=review.run.deps.settings.audit_table)
    return int(table["Table"].get("ItemCount", 0))


def settle_and_save(review: ReviewRun, timeout: float = 60) -> Session:
    """Lets decisions in flight land (applies, merges, jobs), then saves."""
    try:
        demo.settle(review.run.deps, timeout=timeout)
    except TimeoutError:
        pass  # saved as it is: what had not landed is saved as decided, and a resume finishes it
    return review.save()
