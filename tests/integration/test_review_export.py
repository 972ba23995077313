"""Your own export reviewed and written back without AWS: ``crm-hygiene review``'s stack in-process (moto
server, the deployed template, the real handlers), decisions through the local review API, then
``crm-hygiene apply --from``; and a second ``review`` of the same folder resuming where it stopped.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aws_lambda_powertools.utilities.parameters import clear_caches

from crm_hygiene.cli import main
from crm_hygiene.csvio import restore
from crm_hygiene.local import demo
from crm_hygiene.local import review as local_review
from crm_hygiene.local.stack import free_port
from crm_hygiene.services.writeback.session import running_review
from crm_hygiene.wiring.aws import clear_deps

pytestmark = pytest.mark.slow

EXPORT = (
    "Record ID,First Name,Last Name,Email,Phone Number,Country/Region,State/Region,Lifecycle Stage\r\n"
    "1,JANE,Doe,jane.doe@acme.com ,+14158675309,US,California,lead\r\n"
    "2,John,Smith,,+14158675310,US,CA,lead\r\n"
    "3,Ann,Lee,ann.lee@globex.io,+442079460958,US,NY,lead\r\n"
    "4,Bo,Chan,bo@initech.com,(415) 867-5311,US,CA,lead\r\n"
    "5,Ada,Example,ada.example@initech.com,+14158675320,US,CA,Lead\r\n"
    "6,Ada,Example,ada.example@initech.com,,US,CA,Lead\r\n"
)


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The review command's stack on the export above, and its console served on a free port."""
    saved = dict(os.environ)
    folder = tmp_path_factory.mktemp("review")
    export = folder.parent / f"{folder.name}-contacts.csv"
    export.write_bytes(EXPORT.encode())
    state: dict[str, Any] = {"folder": folder / ".review", "export": export, "env": saved}
    state["review"] = local_review.start_review(state["folder"], export, "contact", None)
    try:
        yield state
    finally:
        if state["review"] is not None:
            state["review"].stop()
        os.environ.clear()
        os.environ.update(saved)
        clear_deps()
        clear_caches()  # type: ignore[no-untyped-call]


def _items(client: httpx.Client) -> dict[tuple[str, str], dict[str, Any]]:
    page = client.get("/reviews", params={"limit": 200}).json()
    return {(i["record_id"], i["field"] or i["kind"]): i for i in page["items"]}


def _decide(client: httpx.Client, item: dict[str, Any], body: dict[str, Any]) -> None:
    answer = client.post(f"/reviews/{item['review_id']}/decision", json=body)
    assert answer.status_code == 200, answer.text


def test_decisions_in_the_console_become_exact_import_files(session: dict[str, Any], tmp_path: Path) -> None:
    review: local_review.ReviewRun = session["review"]
    api = demo.serve(review.run, 0)
    with httpx.Client(base_url=api.url, headers={"X-Reviewer": "ana"}, timeout=60) as client:
        items = _items(client)
        # Given a reviewer's decisions through the review API the console calls
        _decide(client, items[("1", "lifecycle_stage")], {"decision": "approve"})
        _decide(
            client, items[("2", "email")], {"decision": "edit_and_approve", "value": "John.Smith@ACME.com"}
        )
        _decide(client, items[("3", "lifecycle_stage")], {"decision": "reject"})
        _decide(client, items[("3", "phone")], {"decision": "edit_and_approve", "value": "+1 (415) 867-5312"})
        merge = next(i for i in items.values() if i["change_kind"] == "merge")
        _decide(client, merge, {"decision": "approve", "primary_id": "5"})
        demo.settle(review.run.deps)
        auto = items[("4", "phone")]
        assert client.post(f"/changes/{auto['review_id']}/rollback").status_code == 200
    # When the session is saved (as the command does while serving and when it stops) and applied
    review.save()
    out = tmp_path / "updated"
    assert main(["apply", "--from", str(session["folder"]), "--out", str(out)]) == 0
    # Then the import files hold exactly the decided changes, the auto fixes, and the merge's winner
    assert (out / "hubspot.csv").read_text() == (
        "Record ID,First Name,Email,Phone Number,State/Region,Lifecycle Stage\n"
        "1,Jane,jane.doe@acme.com,,CA,Lead\n"
        "2,,John.Smith@acme.com,,,\n"
        "3,,,+14158675312,,\n"
    )
    assert (out / "salesforce.csv").read_text() == (
        "Id,FirstName,Email,Phone,MailingState\n1,Jane,jane.doe@acme.com,,CA\n2,,John.Smith@acme.com,,\n"
        "3,,,+14158675312,\n"
    )
    with (out / "merges.csv").open(newline="") as fh:
        merges = [
            (m["survivor_id"], m["merged_ids"], m["field"], restore(m["value"])) for m in csv.DictReader(fh)
        ]
    assert [m[:2] for m in merges] == [("5", "6")] * len(merges)
    # And the audit CSV names the reviewer on each decided change and the policy on the auto fixes
    with (out / "audit.csv").open(newline="") as fh:
        audit = list(csv.DictReader(fh))
    by = {(a["record_id"], a["field"], a["action"]): a for a in audit}
    assert by[("2", "email", "applied")]["who"] == "local:ana"  # the local gateway names the reviewer so
    assert by[("1", "first_name", "applied")]["who"] == "policy"
    assert by[("4", "phone", "rolled_back")]["who"] == "local:ana"  # the local gateway names the reviewer so
    assert any(a["action"] == "merged" and a["record_id"] == "6" for a in audit)
    session["hubspot"] = (out / "hubspot.csv").read_text()


def test_a_second_review_of_the_same_export_resumes(session: dict[str, Any], tmp_path: Path) -> None:
    # Given the first review stopped (saved as the command saves when it stops)
    first: local_review.ReviewRun = session["review"]
    local_review.settle_and_save(first)
    before = first.run.deps.queue.list(limit=500)[0]
    decided = {i.review_id: i.status for i in before if i.status not in ("queued", "blocked")}
    first.stop()
    clear_deps()
    clear_caches()  # type: ignore[no-untyped-call]
    # When review runs again on the same folder and export
    second = local_review.start_review(session["folder"], session["export"], "contact", None)
    session["review"] = second
    # Then it resumes: the decisions stand (a rolled-back fix is not applied again), what was open is
    # open again, the earlier audit is carried, and apply writes the same import file
    assert second.start.mode == "resume" and second.session.runs == 2
    now = {i.review_id: i for i in second.run.deps.queue.list(limit=500)[0]}
    assert all(now[rid].status == status for rid, status in decided.items())
    open_now = {i.review_id for i in now.values() if i.status in ("queued", "blocked")}
    open_before = {i.review_id: i.record_id for i in before if i.status in ("queued", "blocked")}
    assert open_now <= set(open_before)
    assert {open_before[rid] for rid in set(open_before) - open_now} <= {"6"}  # merged away: nothing to do
    out = tmp_path / "again"
    assert main(["apply", "--from", str(session["folder"]), "--out", str(out)]) == 0
    assert (out / "hubspot.csv").read_text() == session["hubspot"]


def test_the_command_serves_saves_on_kill_and_resumes(session: dict[str, Any], tmp_path: Path) -> None:
    # Given the in-process review stopped
    session["review"].stop()
    session["review"] = None
    clear_deps()
    # When `crm-hygiene review` runs on the same folder, as a person runs it
    port = free_port()
    root = Path(__file__).resolve().parents[2]
    env = {**session["env"], "PYTHONPATH": f"{root / 'layers/shared/python'}{os.pathsep}{root}"}
    command = [sys.executable, "-c", "from crm_hygiene.cli import main; raise SystemExit(main())", "review",
               "--input", str(session["export"]), "--dir", str(session["folder"]), "--port", str(port), "--no-open"]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:  # until it prints the console's address
            lines.append(line)
            if line.startswith("Review console:"):
                break
        # Then it resumed the session, serves the console and the API, and marks the folder as served
        assert any("Resuming the review" in line for line in lines), lines
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=30).status_code == 200
        assert running_review(session["folder"]) == process.pid
        # And a decision is saved while it serves (no stop needed for apply to see it)
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}", headers={"X-Reviewer": "bo"}, timeout=60
        ) as client:
            item = _items(client)[("4", "lifecycle_stage")]
            _decide(client, item, {"decision": "reject", "note": "kept as typed"})
        saved = session["folder"] / "state" / "audit.jsonl"
        deadline = time.monotonic() + 60
        while item["review_id"] not in saved.read_text() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert item["review_id"] in saved.read_text()
        # And `kill` stops it like Ctrl-C: saved first, exit 0, the mark removed
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "Saved in" in err and running_review(session["folder"]) is None
    out = tmp_path / "third"
    assert main(["apply", "--from", str(session["folder"]), "--out", str(out)]) == 0
    assert (out / "hubspot.csv").read_text() == session["hubspot"]


def test_the_standard_given_is_the_one_the_stack_scans_with(session: dict[str, Any], tmp_path: Path) -> None:
    if session["review"] is not None:  # one stack per process at a time (moto's state is global)
        session["review"].stop()
        session["review"] = None
        clear_deps()
    # Given a standard that lets nothing apply by itself
    standard = tmp_path / "standard.yaml"
    assert main(["standard", "init", "--input", str(session["export"]), "--out", str(standard)]) == 0
    standard.write_text(standard.read_text().replace("\nauto_apply: true\n", "\nauto_apply: false\n"))
    assert main(["standard", "check", str(standard)]) == 0
    # When the export is reviewed under it
    review = local_review.start_review(tmp_path / ".review", session["export"], "contact", standard)
    try:
        items = review.run.deps.queue.list(limit=500)[0]
    finally:
        review.stop()
        clear_deps()
        clear_caches()  # type: ignore[no-untyped-call]
    # Then the deployed functions scanned with it: every fix waits for a person
    assert items and {i.status for i in items} <= {"queued", "blocked"}
    assert review.session.standard == str(standard)
