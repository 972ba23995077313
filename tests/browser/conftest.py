"""Browser tier: the review console in Debian's chromium (Playwright for Python) against the local stack.

The stack is the demo's (moto's server in-process, the synthesized template deployed, the functions run
through moto's Lambda, the API behind ``LocalApi``), as tests/e2e starts it. A real scan of a generated
CRM fills the queue with every kind of item (changes, findings, merges waiting in their workflow,
applied changes); findings about the CRM's other records, put through the queue port as a scan puts
them, bring it to about 1,000 items so that paging, search and bulk decisions work at the size a
reviewer meets in a week.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities.parameters import clear_caches

from crm_hygiene.adapters.aws.crm_store import DynamoCrmStore
from crm_hygiene.csvio.records import read_records
from crm_hygiene.local import demo
from crm_hygiene.models.record import Record
from crm_hygiene.models.review import ReviewItem
from crm_hygiene.wiring.aws import clear_deps

CONTACTS = 300
QUEUE_SIZE = 1000
REVIEWER = "browser-reviewer"
BULK_RUN = "browser-fixture-bulk"  # the items "bulk by filter" decides (a small run of its own)
BULK_SIZE = 30
FILL_RUN = "browser-fixture"
XSS_RUN = "browser-fixture-xss"
XSS = '<img src=x onerror="window.__xss=1">'
INSTALL = "apt-get update && apt-get install -y chromium"
METRICS = Path(os.environ.get("CONSOLE_METRICS", ".build/console-metrics.json"))
SCREENSHOTS = os.environ.get("CONSOLE_SCREENSHOTS")  # e.g. docs/img: the README's pictures


@dataclass
class ConsoleStack:
    run: demo.DemoRun
    url: str
    scan_run: str
    xss_record: str
    metrics: dict[str, Any] = field(default_factory=dict)


def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.skip(f"Debian's chromium is not installed (run `{INSTALL}`; make test does it as root)")
    return path


# the findings the fill puts about each record, in turn (kind, field, source)
FINDINGS = (
    ("stale", "last_activity_at", "check.contact.staleness"),
    ("inconsistent", "job_title", "check.contact.consistency"),
    ("inconsistent", "city", "check.contact.consistency"),
    ("inconsistent", "state", "check.contact.consistency"),
)


def _finding(record: Record, run_id: str, n: int, round_: int) -> ReviewItem:
    kind, field_, source = FINDINGS[round_ % len(FINDINGS)]
    review_id = hashlib.sha256(f"{run_id}:{record.record_id}:{field_}".encode()).hexdigest()[:24]
    return ReviewItem(
        review_id=review_id, run_id=run_id, kind=kind, change_kind="flag", object_type="contact",
        record_id=record.record_id, field=field_, current_value=record.get(field_), suggested_value="",
        evidence=f"browser fixture {n}: a finding for a person to look at", confidence=0.9, protected=False,
        decision="review", status="queued", source=source,
    )  # fmt: skip


def fill_queue(run: demo.DemoRun, folder: Path) -> str:
    """Brings the queue to ``QUEUE_SIZE`` items with findings about real records; one record's company
    becomes an HTML payload (the console must show it as text). Returns that record's id."""
    deps = run.deps
    queued = demo.queue_counts(deps)["queued"]
    records = list(read_records(folder / "export" / "contacts.csv"))
    missing = max(QUEUE_SIZE - queued, BULK_SIZE + 1)
    items = [
        _finding(records[n % len(records)], BULK_RUN if n < BULK_SIZE else FILL_RUN, n, n // len(records))
        for n in range(missing)
    ]
    # one record's company is an HTML payload, and a finding shows it in the queue (its own run)
    target = items[BULK_SIZE]
    items[BULK_SIZE] = target.model_copy(
        update={"run_id": XSS_RUN, "kind": "placeholder", "field": "company", "current_value": XSS}
    )
    deps.queue.put_new(items)
    store = deps.crm
    assert isinstance(store, DynamoCrmStore)
    [record] = store.get_records("contact", [target.record_id])
    store.put_records([record.model_copy(update={"fields": {**record.fields, "company": XSS}})])
    return target.record_id


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleStack]:
    chromium()
    saved = dict(os.environ)
    folder: Path = tmp_path_factory.mktemp("console")
    run = demo.start(contacts=CONTACTS, seed=21, folder=folder)
    try:
        output = demo.scan(run)
        began = time.perf_counter()
        xss = fill_queue(run, folder)
        run.timings["fill_queue"] = time.perf_counter() - began
        api = demo.serve(run)
        scan_run = str(output.get("summary", output)["run_id"])
        console = ConsoleStack(run=run, url=api.url, scan_run=scan_run, xss_record=xss)
        console.metrics["setup_s"] = {k: round(v, 1) for k, v in run.timings.items()}
        yield console
        METRICS.parent.mkdir(parents=True, exist_ok=True)
        METRICS.write_text(json.dumps(console.metrics, indent=2) + "\n")
        print(f"\nconsole figures ({METRICS}): {json.dumps(console.metrics)}")  # noqa: T201
    finally:
        run.stop()
        os.environ.clear()
        os.environ.update(saved)
        clear_deps()
        clear_caches()  # type: ignore[no-untyped-call]


@pytest.fixture(scope="package")
def browser(stack: ConsoleStack) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # root in CI: chromium's sandbox needs user namespaces a container may not have
        launched = playwright.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any, stack: ConsoleStack) -> Iterator[Any]:
    # bypass_csp: Playwright's waits evaluate strings, which the console's CSP (no eval) refuses; without
    # the CSP, markup injected into the page would also run, so the XSS step checks the code, not the CSP
    context = browser.new_context(
        base_url=stack.url, viewport={"width": 1360, "height": 860}, bypass_csp=True
    )
    context.add_init_script(f"localStorage.setItem('crm-hygiene.reviewer', {json.dumps(REVIEWER)})")
    page = context.new_page()
    page.set_default_timeout(15_000)  # the slowest answer locally is a few seconds; jobs wait longer
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield page
    finally:
        context.close()
    assert not errors, errors
