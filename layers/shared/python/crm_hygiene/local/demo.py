"""``crm-hygiene demo``: the whole loop on this machine, through the real handlers and event shapes.

moto's server runs in this process with the synthesized template deployed into it; the internal CRM
table is seeded with a generated messy CRM; the weekly schedule is fired; the scan workflow fans out
over partitions; auto fixes are applied through the apply queue; merges wait for a reviewer in the
merge workflow; the review API and the webhook are served on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from crm_hygiene.csvio.records import read_records
from crm_hygiene.local.api_gateway import LocalApi
from crm_hygiene.local.sample import generate_sample
from crm_hygiene.local.stack import LocalStack, up
from crm_hygiene.models.crm import CrmKind
from crm_hygiene.settings import PipelineSettings
from crm_hygiene.wiring.aws import AwsDeps

DEMO = Path(".demo")


@dataclass
class DemoRun:
    stack: LocalStack
    deps: AwsDeps[PipelineSettings]
    api: LocalApi | None = None
    runs: list[dict[str, Any]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    hubspot: Any | None = None  # the fake HubSpot server when the demo runs against it

    def stop(self) -> None:
        if self.api is not None:
            self.api.stop()
        if self.hubspot is not None:
            self.hubspot.stop()
        self.stack.stop()


def seed_crm(deps: AwsDeps, folder: Path) -> dict[str, int]:
    """Loads a generated export (contacts, companies, deals) into the internal CRM table."""
    from crm_hygiene.adapters.aws.crm_store import DynamoCrmStore

    store = deps.crm
    assert isinstance(store, DynamoCrmStore)
    counts = {}
    for name in ("contacts", "companies", "deals"):
        records = list(read_records(folder / f"{name}.csv"))
        store.put_records(records)
        counts[name] = len(records)
    return counts


def fire_schedule(stack: LocalStack) -> str:
    """What EventBridge would do at the scheduled time (moto never fires schedules): start its targets."""
    events, sfn = boto3.client("events"), boto3.client("stepfunctions")
    rule = stack.outputs["ScheduleRuleName"]
    started = ""
    for target in events.list_targets_by_rule(Rule=rule)["Targets"]:
        started = sfn.start_execution(
            stateMachineArn=target["Arn"],
            name=f"scheduled-{time.time_ns()}",
            input=target.get("Input") or "{}",
        )["executionArn"]
    if not started:
        raise RuntimeError(f"the schedule rule {rule} has no targets")
    return started


def wait_for(execution_arn: str, timeout: float = 600) -> dict[str, Any]:
    sfn = boto3.client("stepfunctions")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            if described["status"] != "SUCCEEDED":
                events = sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
                failures = [e for e in events if "Failed" in e["type"]][-2:]
                raise RuntimeError(f"{execution_arn} ended {described['status']}: {failures}")
            output: dict[str, Any] = json.loads(described.get("output") or "{}")
            return output
        time.sleep(0.2)
    raise TimeoutError(f"{execution_arn} still running after {timeout:.0f} s")


def settle(deps: AwsDeps, timeout: float = 120) -> None:
    """Waits until the work a scan or a review set off has landed: the apply and enrich queues drained,
    every running merge workflow waiting for a person (they all run on their own), and no background
    job (a run's rollback, large bulk decisions) still running."""
    deadline = time.monotonic() + timeout
    while True:
        pending = _busy_queues(deps) + _merges_not_in_review(deps) + _running_jobs(deps)
        if not pending:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"still busy after {timeout:.0f} s: {pending[:3]}")
        time.sleep(0.2)


def _busy_queues(deps: AwsDeps) -> list[str]:
    sqs: Any = boto3.client("sqs")
    names = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible")
    busy = []
    for url in (deps.settings.apply_queue_url, deps.settings.enrich_queue_url):
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(names))["Attributes"]
        if any(int(attributes.get(n, 0)) for n in names):
            busy.append(url.rsplit("/", 1)[-1])
    return busy


def _merges_not_in_review(deps: AwsDeps) -> list[str]:
    from crm_hygiene.errors import NotFound

    pages = boto3.client("stepfunctions").get_paginator("list_executions")
    running = pages.paginate(stateMachineArn=deps.settings.merge_workflow_arn, statusFilter="RUNNING")
    waiting = []
    for execution in (e for page in running for e in page["executions"]):
        try:
            item = deps.queue.get(execution["name"])
        except NotFound:
            item = None
        # settled: waiting for a person; busy: not queued yet, or decided and still merging
        if item is None or item.status != "queued" or item.task_token is None:
            waiting.append(execution["name"])
    return waiting


def _running_jobs(deps: AwsDeps) -> list[str]:
    pages = boto3.client("stepfunctions").get_paginator("list_executions")
    running = pages.paginate(stateMachineArn=deps.settings.jobs_workflow_arn, statusFilter="RUNNING")
    return [e["name"] for page in running for e in page["executions"]]


def queue_counts(deps: AwsDeps) -> Counter[str]:
    """Items per status; an approved finding (a flag given no value) is counted apart, as
    ``acknowledged``: approving it agrees with the finding and writes nothing."""
    counts: Counter[str] = Counter()
    cursor: str | None = None
    while True:
        page, cursor = deps.queue.list(limit=500, cursor=cursor)
        counts.update("acknowledged" if i.status == "approved" and not i.is_change else i.status
                      for i in page)  # fmt: skip
        if cursor is None:
            return counts


HUBSPOT_TOKEN_SECRET = "crm-hygiene/hubspot-token"
LOCAL_WEBHOOK_SECRET = "local-demo-client-secret"


def start(contacts: int = 2000, seed: int = 7, folder: Path = DEMO, crm: CrmKind = "internal") -> DemoRun:
    """Brings the stack up and seeds the CRM (internal table or fake HubSpot); nothing is scanned yet."""
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "lambda.log"
    log.write_text("")
    began = time.perf_counter()
    stack = up(log_path=log)
    # The webhook function's signing secret, where the stack says it is (as in AWS)
    secret_name = stack.function_env("Webhook")["WEBHOOK_SECRET_NAME"]
    boto3.client("secretsmanager").create_secret(Name=secret_name, SecretString=LOCAL_WEBHOOK_SECRET)
    generate_sample(folder / "export", contacts=contacts, seed=seed)
    hubspot = _start_hubspot(stack, folder / "export") if crm == "hubspot" else None
    env = stack.function_env()
    os.environ.update(env)
    run = DemoRun(stack=stack, deps=AwsDeps(PipelineSettings.model_validate(env)), hubspot=hubspot)
    run.timings["stack_up"] = time.perf_counter() - began
    if hubspot is None:
        seed_crm(run.deps, folder / "export")
    return run


def _start_hubspot(stack: LocalStack, export: Path) -> Any:
    """A fake HubSpot seeded with the export, and every function pointed at it (its token in Secrets
    Manager, as in AWS)."""
    from crm_hygiene.local.fake_hubspot import DEFAULT_TOKEN, FakeHubSpot, FakeHubSpotServer, seed_from_export

    fake = FakeHubSpot()
    seed_from_export(fake.crm, export)
    server = FakeHubSpotServer(fake).start()
    secrets = boto3.client("secretsmanager")
    secrets.create_secret(Name=HUBSPOT_TOKEN_SECRET, SecretString=DEFAULT_TOKEN)
    overrides = {
        "CRM_KIND": "hubspot",  # a CrmKind (crm_hygiene.models.crm)
        "HUBSPOT_BASE_URL": server.url,
        "HUBSPOT_TOKEN_SECRET_NAME": HUBSPOT_TOKEN_SECRET,
        # The fake reports the connector's writes with this app's id: the webhook ignores them
        "HUBSPOT_APP_ID": str(fake.crm.app_id),
    }
    client = boto3.client("lambda")
    for name in (pid for t, pid in stack.resources.values() if t == "AWS::Lambda::Function"):
        variables = (
            client.get_function_configuration(FunctionName=name).get("Environment", {}).get("Variables", {})
        )
        if "CRM_KIND" not in variables:
            continue  # a function that never talks to the CRM (each function gets only what it reads)
        client.update_function_configuration(
            FunctionName=name, Environment={"Variables": {**variables, **overrides}}
        )
    return server


def webhook_roundtrip(run: DemoRun) -> dict[str, Any]:
    """A person edits a contact in the fake HubSpot: its signed webhook must reach an entry scan; a
    forged delivery must be refused with 401."""
    assert run.api is not None and run.hubspot is not None
    import httpx

    fake = run.hubspot.fake
    target = f"{run.api.url}/webhooks/hubspot"
    emitter = fake.subscribe(target, LOCAL_WEBHOOK_SECRET)
    record_id = next(iter(fake.crm.table("contacts").live())).id
    fake.ui_update("contacts", record_id, {"phone": "(415) 867 5309", "firstname": "JANE"})
    report = emitter.flush()
    body, headers = emitter.signed_request([{"subscriptionType": "contact.creation", "objectId": 1}])
    headers["X-HubSpot-Signature-v3"] = "forged" + headers["X-HubSpot-Signature-v3"][6:]
    forged = httpx.post(target, content=body, headers=headers, timeout=30).status_code
    items, _ = run.deps.queue.list(run_id="entry", limit=50)
    return {
        "record_id": str(record_id),
        "statuses": report.statuses,
        "forged_status": forged,
        "entry_items": [i for i in items if i.record_id == str(record_id)],
    }


def scan(run: DemoRun) -> dict[str, Any]:
    """Fires the schedule and waits for the scan workflow (and the applies it triggers), then for the
    merge workflows it started to reach a reviewer (or finish)."""
    began = time.perf_counter()
    output = wait_for(fire_schedule(run.stack))
    settle(run.deps)
    run.timings[f"scan_{len(run.runs) + 1}"] = time.perf_counter() - began
    run.runs.append(output)
    return output


def serve(run: DemoRun, port: int = 0) -> LocalApi:
    if run.api is not None:
        return run.api
    review = run.stack.physical("AWS::Lambda::Function", "ReviewApi")
    webhook = run.stack.physical("AWS::Lambda::Function", "Webhook")
    run.api = LocalApi(review, webhook, port).start()
    return run.api


def health_means(deps: AwsDeps) -> dict[str, float | None]:
    return {
        t: (deps.health.aggregate(t) or {}).get("health", {}).get("mean")
        for t in ("contact", "company", "deal")
    }


def approve_everything(run: DemoRun, reviewer: str = "demo-auto-approver") -> dict[str, Any]:
    """What a reviewer would do, through the review API: approve every queued change and merge."""
    assert run.api is not None
    import httpx

    approved = failed = 0
    errors: list[str] = []
    with httpx.Client(base_url=run.api.url, headers={"X-Reviewer": reviewer}, timeout=120) as client:
        for status in ("queued", "blocked"):
            while True:
                # pages small enough to be decided within API Gateway's 29 s locally too, where the merges
                # and applies they set off share this process with moto: each page settles first
                listed = client.get("/reviews", params={"status": status, "limit": 25})
                if listed.status_code != 200:  # e.g. a 504 when this machine is too loaded for 29 s
                    errors.append(f"listing the queue: HTTP {listed.status_code}: {listed.text[:200]}")
                    break
                page = listed.json()
                ids = [
                    i["review_id"] for i in page["items"] if i["change_kind"] != "flag" or status == "queued"
                ]
                if not ids:
                    break
                decisions = [{"review_id": i, "decision": {"decision": "approve"}} for i in ids]
                answer = client.post("/reviews/decisions", json={"decisions": decisions})
                results = answer.json().get("results") if answer.status_code == 200 else None
                if results is None:
                    failed += len(ids)
                    errors.append(f"HTTP {answer.status_code}: {answer.text[:200]}")
                    break
                approved += sum(r["status"] != "error" for r in results)
                failed += sum(r["status"] == "error" for r in results)
                errors.extend(r["error"] for r in results if r["status"] == "error")
                if all(r["status"] == "error" for r in results):
                    break
                settle(run.deps)
    return {"approved": approved, "failed": failed, "errors": errors[:3]}
