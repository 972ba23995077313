"""A reviewer works a 1,000-item queue through the console in chromium; the CRM and the audit are checked
after each step (through the stack's own stores, not the page).

The steps share one stack and run in file order; each starts from a fresh page.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import pytest

from crm_hygiene.local import demo
from crm_hygiene.models.review import ReviewItem
from tests.browser.conftest import BULK_RUN, BULK_SIZE, REVIEWER, SCREENSHOTS, XSS, XSS_RUN, ConsoleStack

pytestmark = pytest.mark.browser

ACTOR = f"user:local:{REVIEWER}"
# an invalid and a valid value per field a queued change may be about
EDITS = {
    "phone": ("call me maybe", "+1 415 555 0132"),
    "mobile_phone": ("call me maybe", "+1 415 555 0133"),
    "email": ("nobody at example", "jane.doe@example.com"),
    "country": ("Atlantis", "US"),
    "website": ("not a website at all", "https://www.example.com"),
}
shared: dict[str, Any] = {}


# ---- helpers ----


def ready(page: Any) -> None:
    page.wait_for_function("document.getElementById('rows').getAttribute('aria-busy') === 'false'")


def loads(page: Any, action: Any, path: str = "/reviews?") -> None:
    """Does ``action`` and waits for the queue request it sets off and its rendering."""
    with page.expect_response(lambda r: path in r.url and r.request.method == "GET", timeout=30_000):
        action()
    ready(page)


def open_console(page: Any, limit: int = 200) -> None:
    page.goto("/")
    ready(page)
    if limit != 50:
        loads(page, lambda: page.select_option("#limit", str(limit)))


def filter_by(page: Any, **filters: str) -> None:
    for name, value in filters.items():
        if name == "q":
            loads(page, lambda v=value: page.fill("#q", v))
        elif name == "run_id":
            loads(page, lambda v=value: page.fill("#f-run_id", v))
        else:
            loads(page, lambda n=name, v=value: page.select_option(f"#f-{n}", v))


def row_ids(page: Any) -> list[str]:
    ids: list[str] = page.eval_on_selector_all("#rows tr[data-id]", "rows => rows.map(r => r.dataset.id)")
    return ids


def find_row(page: Any, review_id: str) -> None:
    """Pages on until the item's row shows."""
    while page.locator(f'#rows tr[data-id="{review_id}"]').count() == 0:
        assert not page.is_disabled("#next"), f"{review_id} is on no page"
        loads(page, lambda: page.click("#next"))


def open_item(page: Any, review_id: str) -> None:
    find_row(page, review_id)
    with page.expect_response(lambda r: f"/reviews/{review_id}" in r.url):
        page.click(f'#rows tr[data-id="{review_id}"] td:nth-child(2)')
    page.wait_for_function("document.getElementById('detail').getAttribute('aria-busy') === 'false'")


def said(page: Any, text: str, action: Any) -> str:
    """Does ``action`` and waits for the status line to say ``text``; fails at once with the console's
    alert when it shows a new one instead."""
    before = page.inner_text("#alert")
    action()
    page.wait_for_function(
        "([t, before]) => document.getElementById('status').textContent.includes(t)"
        " || !['', before].includes(document.getElementById('alert').textContent)",
        arg=[text, before], timeout=60_000,
    )  # fmt: skip
    alert = page.inner_text("#alert")
    assert alert in ("", before) and text in page.inner_text("#status"), alert
    return str(page.inner_text("#status"))


def items(stack: ConsoleStack, **filters: Any) -> list[ReviewItem]:
    out: list[ReviewItem] = []
    cursor = None
    while True:
        page, cursor = stack.run.deps.queue.list(limit=500, cursor=cursor, **filters)
        out.extend(page)
        if cursor is None:
            return out


def crm_value(stack: ConsoleStack, item: ReviewItem) -> str | None:
    records = stack.run.deps.crm.get_records(item.object_type, [item.record_id])
    return records[0].get(item.field) if records else None


def decisions_of(stack: ConsoleStack, review_id: str) -> list[str]:
    return [e.action for e in stack.run.deps.audit.by_change(review_id) if e.actor == ACTOR]


def shoot(page: Any, name: str) -> None:
    if SCREENSHOTS:
        os.makedirs(SCREENSHOTS, exist_ok=True)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=os.path.join(SCREENSHOTS, f"console-{name}.png"))


def scan_item(stack: ConsoleStack, *, used: set[str], fields: tuple[str, ...] | None = None) -> ReviewItem:
    """A queued change of the scan (not a finding, not a merge) about a record no earlier step touched."""
    for item in items(stack, status="queued", run_id=stack.scan_run):
        if item.change_kind in ("normalize", "enrich", "fill_derived") and item.record_id not in used:
            if fields is None or item.field in fields:
                used.add(item.record_id)
                return item
    raise AssertionError(f"no queued change left in the scan for {fields or 'any field'}")


# ---- steps ----


def test_first_paint_and_paging_to_the_end(page: Any, stack: ConsoleStack) -> None:
    # Given a queue of about 1,000 items waiting for review
    expected = {i.review_id for i in items(stack, status="queued")}
    assert len(expected) >= 900
    # When the console opens
    page.goto("/")
    ready(page)
    paint = page.evaluate("performance.getEntriesByName('first-contentful-paint').map(e => e.startTime)")
    stack.metrics["first_contentful_paint_ms"] = round(paint[0], 1) if paint else None
    stack.metrics["first_page_ms"] = round(
        page.evaluate("(e => e.startTime + e.duration)(performance.getEntriesByName('console:queue')[0])"), 1
    )
    # Then paging 200 at a time reaches every waiting item once, every page full until the last
    loads(page, lambda: page.select_option("#limit", "200"))
    seen: list[str] = []
    sizes = []
    while True:
        ids = row_ids(page)
        seen += ids
        sizes.append(len(ids))
        if page.is_disabled("#next"):
            break
        loads(page, lambda: page.click("#next"))
    assert sizes[:-1] == [200] * (len(sizes) - 1) and 0 < sizes[-1] <= 200, sizes
    assert len(seen) == len(set(seen)) and set(seen) == expected
    assert page.inner_text("#total") == f"{len(expected):,} matching"
    shoot(page, "queue")
    # And back
    loads(page, lambda: page.click("#prev"))
    assert len(row_ids(page)) == 200


def test_search_by_email_and_by_record_id(page: Any, stack: ConsoleStack) -> None:
    # Given a record the scan queued something about
    crm = stack.run.deps.crm
    item = next(
        i for i in items(stack, status="queued", run_id=stack.scan_run)
        if i.object_type == "contact" and "@" in crm.get_records("contact", [i.record_id])[0].get("email")
    )  # fmt: skip
    email = crm.get_records("contact", [item.record_id])[0].get("email")
    open_console(page)
    # When the reviewer types its e-mail (debounced: one query for the whole word)
    loads(page, lambda: page.fill("#q", email))
    duration = page.evaluate(
        "q => performance.getEntriesByName('console:queue').filter(e => e.detail.q === q).map(e => e.duration)",
        email,
    )
    stack.metrics["search_ms"] = round(duration[-1], 1)
    # Then the record's waiting items are there, and nothing about another address
    ids = row_ids(page)
    assert item.review_id in ids
    records = {i.record_id for i in items(stack, status="queued") if i.review_id in ids}
    found = stack.run.deps.crm.get_records("contact", sorted(records))
    assert all(r.get("email").casefold() == email.casefold() for r in found)
    # And by record id
    loads(page, lambda: page.fill("#q", item.record_id))
    ids = row_ids(page)
    assert item.review_id in ids
    assert {i.record_id for i in items(stack, status="queued") if i.review_id in ids} == {item.record_id}


def test_filter_by_kind_and_field_with_counts(page: Any, stack: ConsoleStack) -> None:
    # Given the queued items per (kind, field)
    queued = items(stack, status="queued")
    sizes = Counter((i.kind, i.field) for i in queued if i.field)
    # the largest that fits one page of 200
    kind, field = max((k for k, n in sizes.items() if n <= 200), key=lambda k: sizes[k])
    expected = {i.review_id for i in queued if (i.kind, i.field) == (kind, field)}
    open_console(page)
    # When the reviewer filters by kind, then by field
    filter_by(page, kind=kind)
    page.wait_for_selector(f'#f-field option[value="{field}"]', state="attached")
    filter_by(page, field=field)
    page.wait_for_function(
        "n => (document.getElementById('total')?.textContent || '').startsWith(n)", arg=f"{len(expected):,}"
    )
    # Then exactly those items show, and the counts agree
    assert set(row_ids(page)) == expected


def test_approve_with_the_keyboard(page: Any, stack: ConsoleStack) -> None:
    # Given a queued change of the scan
    item = scan_item(stack, used=shared.setdefault("used", set()), fields=None)
    open_console(page)
    filter_by(page, status="", run_id=stack.scan_run)
    open_item(page, item.review_id)
    shoot(page, "detail")
    # When the reviewer presses "a"
    said(page, "Approved", lambda: page.keyboard.press("a"))
    demo.settle(stack.run.deps)
    # Then the CRM holds the suggestion, and the audit has the approval by this reviewer before the write
    after = stack.run.deps.queue.get(item.review_id)
    assert after.status == "applied" and after.decided_by and REVIEWER in after.decided_by
    assert crm_value(stack, item) == item.suggested_value
    assert "approved" in decisions_of(stack, item.review_id)
    # And its row, reloaded, no longer waits for review
    page.wait_for_function(
        "id => document.querySelector(`#rows tr[data-id='${id}'] td:last-child`).textContent !== 'waiting for review'",
        arg=item.review_id,
    )


def test_reject_with_a_reason(page: Any, stack: ConsoleStack) -> None:
    item = scan_item(stack, used=shared.setdefault("used", set()))
    before = crm_value(stack, item)
    open_console(page)
    filter_by(page, status="", run_id=stack.scan_run)
    open_item(page, item.review_id)
    # When the reviewer presses "r" and says why
    page.keyboard.press("r")
    page.fill("dialog[open] textarea", "the old value is right")
    said(page, "Rejected", lambda: page.click("dialog[open] button[type=submit]"))
    # Then nothing is written, the reason is kept, the audit has the rejection
    after = stack.run.deps.queue.get(item.review_id)
    assert (after.status, after.note) == ("rejected", "the old value is right")
    assert crm_value(stack, item) == before
    assert "rejected" in decisions_of(stack, item.review_id)


def test_edit_shows_the_validation_error_then_writes_a_valid_value(page: Any, stack: ConsoleStack) -> None:
    item = scan_item(stack, used=shared.setdefault("used", set()), fields=tuple(EDITS))
    invalid, valid = EDITS[item.field]
    before = crm_value(stack, item)
    open_console(page)
    filter_by(page, status="", run_id=stack.scan_run)
    open_item(page, item.review_id)
    # When the reviewer presses "e" and types a value the standard refuses
    page.keyboard.press("e")
    assert page.evaluate("document.activeElement.id") == "edit-value"
    page.fill("#edit-value", invalid)
    page.keyboard.press("Enter")
    page.wait_for_selector("#edit-errors li")
    # Then the API's message shows next to the field, which is marked invalid; nothing changed
    errors = page.inner_text("#edit-errors")
    assert "format." in errors or item.field in errors, errors
    assert page.get_attribute("#edit-value", "aria-invalid") == "true"
    assert stack.run.deps.queue.get(item.review_id).status == "queued"
    assert crm_value(stack, item) == before
    # When a valid value follows
    page.fill("#edit-value", valid)
    said(page, "approved", lambda: page.keyboard.press("Enter"))
    demo.settle(stack.run.deps)
    # Then the CRM holds it (normalized as a scan would), and the audit says who edited it
    after = stack.run.deps.queue.get(item.review_id)
    assert after.status == "applied" and after.decided_as == "edited"
    assert crm_value(stack, item) == after.final_value and after.final_value
    assert "edited" in decisions_of(stack, item.review_id)


def test_bulk_approve_everything_matching_a_filter(page: Any, stack: ConsoleStack) -> None:
    targets = items(stack, run_id=BULK_RUN)
    assert len(targets) == BULK_SIZE and all(i.status == "queued" for i in targets)
    open_console(page)
    filter_by(page, run_id=BULK_RUN)
    page.wait_for_function(
        "n => (document.getElementById('total')?.textContent || '').startsWith(n)", arg=str(BULK_SIZE)
    )
    # When the reviewer approves everything matching, and confirms
    page.click("[data-bulk=approve][data-scope=filter]")
    assert str(BULK_SIZE) in page.inner_text("dialog[open] h2")
    page.click("dialog[open] button[type=submit]")
    # Then a job runs and its progress shows until it ends
    page.wait_for_selector(".job[data-job-status=succeeded]", timeout=120_000)
    demo.settle(stack.run.deps)
    for item in targets:
        after = stack.run.deps.queue.get(item.review_id)
        assert after.decided_as == "approved" and REVIEWER in (after.decided_by or "")
        assert "approved" in decisions_of(stack, item.review_id)
    page.wait_for_function("document.querySelectorAll('#rows tr[data-id]').length === 0")


def _merge(stack: ConsoleStack) -> ReviewItem:
    merges = [
        i for i in items(stack, status="queued", kind="duplicate") if i.change_kind == "merge" and i.proposal
    ]
    assert merges, "the scan proposed no merge"
    return merges[0]


def test_merge_members_side_by_side_with_winners(page: Any, stack: ConsoleStack) -> None:
    merge = _merge(stack)
    open_console(page)
    filter_by(page, kind="duplicate")
    open_item(page, merge.review_id)
    shoot(page, "merge")
    assert merge.proposal is not None
    members = page.eval_on_selector_all(
        "table.merge th[data-member]", "ths => ths.map(t => t.dataset.member)"
    )
    assert sorted(members) == sorted(merge.proposal.members)
    values = page.eval_on_selector_all("table.merge tbody td", "tds => tds.map(t => t.textContent)")
    assert any(values) and page.locator("table.merge td.winner").count() >= 1


def test_merge_keeping_the_other_record(page: Any, stack: ConsoleStack) -> None:
    merge = _merge(stack)
    assert merge.proposal is not None
    other = next(m for m in merge.proposal.members if m != merge.proposal.suggested_primary)
    open_console(page)
    filter_by(page, kind="duplicate")
    open_item(page, merge.review_id)
    # When the reviewer picks the other record as the primary and approves
    page.check(f'input[name=primary][value="{other}"]')
    page.wait_for_selector(f'#approve-merge:has-text("{other}")')  # the winners around it, reloaded
    said(page, f"keeping {other}", lambda: page.click("#approve-merge"))
    demo.settle(stack.run.deps)
    # Then the CRM merged into the picked record, which survives; the other is kept, marked merged
    after = stack.run.deps.queue.get(merge.review_id)
    assert after.status == "applied"
    crm = stack.run.deps.crm
    assert [r.record_id for r in crm.get_records(merge.object_type, [other])] == [other]
    assert crm.get_records(merge.object_type, [merge.proposal.suggested_primary]) == []
    assert "approved" in decisions_of(stack, merge.review_id)
    shared["merge"] = after


def test_unmerge_restores_the_merged_record(page: Any, stack: ConsoleStack) -> None:
    merge: ReviewItem = shared["merge"]
    assert merge.proposal is not None
    open_console(page)
    filter_by(page, status="applied", kind="duplicate")
    open_item(page, merge.review_id)
    page.click("text=Unmerge…")
    said(page, "Unmerged", lambda: page.click("dialog[open] button[type=submit]"))
    demo.settle(stack.run.deps)
    members = stack.run.deps.crm.get_records(merge.object_type, list(merge.proposal.members))
    assert len(members) == len(merge.proposal.members)
    assert any("unmerge" in e.action for e in stack.run.deps.audit.by_change(merge.review_id))


def test_roll_back_the_scan_run(page: Any, stack: ConsoleStack) -> None:
    # Given the scan's applied changes (its auto fixes and the approvals above), on records still live
    # (a record merged away above comes back only with "run rollback includes merges", the unmerge branch)
    crm = stack.run.deps.crm
    applied = [
        i for i in items(stack, status="applied", run_id=stack.scan_run)
        if i.change_kind != "merge" and crm.get_records(i.object_type, [i.record_id])
    ]  # fmt: skip
    assert applied
    open_console(page)
    filter_by(page, status="applied", run_id=stack.scan_run)
    open_item(page, applied[0].review_id)
    # When the reviewer rolls the run back, and confirms
    page.click(f"text=Roll back run {stack.scan_run}…")
    assert page.evaluate("document.activeElement.textContent") == "Cancel"  # a destructive default is Cancel
    page.click("dialog[open] button[type=submit]")
    page.wait_for_selector(
        ".job[data-job-status=succeeded], .job[data-job-status=partly_failed]", timeout=150_000
    )
    demo.settle(stack.run.deps)
    # Then every change is rolled back in the CRM, with its audit entry
    for item in applied:
        after = stack.run.deps.queue.get(item.review_id)
        assert after.status == "rolled_back", (item.review_id, after.status)
        assert crm_value(stack, item) == item.current_value
        assert any(e.action == "rolled_back" for e in stack.run.deps.audit.by_change(item.review_id))


def test_record_values_are_text_never_markup(page: Any, stack: ConsoleStack) -> None:
    open_console(page)
    filter_by(page, status="", run_id=XSS_RUN)
    [review_id] = row_ids(page)
    # Then the company shows as the characters typed into the CRM, and nothing ran
    assert page.inner_text(f'#rows tr[data-id="{review_id}"] td.value') == XSS
    open_item(page, review_id)
    assert page.locator("img").count() == 0
    assert page.evaluate("window.__xss") is None


def test_a_slow_older_answer_never_overwrites_a_newer_one(page: Any, stack: ConsoleStack) -> None:
    # Given answers for one filter that arrive late (a slow network)
    page.add_init_script("""
      const send = window.fetch.bind(window);
      window.__late = 0;
      window.fetch = async (input, init) => {
        if (String(input).includes("kind=placeholder")) { window.__late++; await new Promise(r => setTimeout(r, 1500)); }
        return send(input, init);
      };
    """)  # fmt: skip
    open_console(page)
    filter_by(page, status="")
    # When the reviewer picks that kind, then at once another
    page.select_option("#f-kind", "placeholder")
    with page.expect_response(lambda r: "/reviews?" in r.url and "kind=stale" in r.url) as newer:
        page.select_option("#f-kind", "stale")
    ready(page)
    page.wait_for_timeout(2000)  # the late answer has had time to land
    # Then the rows are the newer filter's answer
    assert page.evaluate("window.__late") >= 1
    assert row_ids(page) == [i["review_id"] for i in newer.value.json()["items"]]
    kinds = page.eval_on_selector_all(
        "#rows tr[data-id] td:nth-child(3)", "tds => tds.map(t => t.textContent)"
    )
    assert kinds and all(k.startswith("stale record") for k in kinds), kinds


def test_help_dialog_traps_focus_and_gives_it_back(page: Any, stack: ConsoleStack) -> None:
    open_console(page, limit=50)
    page.focus("#help-open")
    page.keyboard.press("?")
    page.wait_for_selector("#help[open]")
    for _ in range(4):
        page.keyboard.press("Tab")
        assert page.evaluate("document.getElementById('help').contains(document.activeElement)")
    page.keyboard.press("Escape")
    assert page.evaluate("document.querySelector('dialog[open]')") is None


def test_health_trend_and_scan_now(page: Any, stack: ConsoleStack) -> None:
    open_console(page, limit=50)
    with page.expect_response(lambda r: "/health/history" in r.url) as answer:
        page.click("#tab-health")
    assert answer.value.status == 200
    # one run so far: a point per object type
    page.wait_for_selector("svg.chart g[data-series='contact'] circle", state="attached")
    runs_before = page.locator("table.runs tbody tr").count()
    assert runs_before == 3  # contact, company, deal
    # When the reviewer starts a scan
    page.click("#scan-now")
    page.wait_for_selector("#scan-progress[data-scan-status=succeeded]", timeout=150_000)
    # Then its run joins the trend: a line per object type over the two runs
    page.wait_for_function(
        "n => document.querySelectorAll('table.runs tbody tr').length > n", arg=runs_before
    )
    points = page.get_attribute("svg.chart g[data-series='contact'] polyline", "points")
    assert points is not None and len(points.split()) == 2
    shoot(page, "health")
