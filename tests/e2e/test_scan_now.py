"""Scan now on the local stack (issue 11): the real scan workflow, started from the CLI against the
stack's outputs and from the console's API, runs to its figures and adds its runs to the health trend."""

from __future__ import annotations

import time

import boto3
import httpx

from crm_hygiene.cli import main
from crm_hygiene.local import demo


def test_scan_now_from_the_cli_and_the_api_runs_the_workflow_into_the_health_trend(
    local_stack: demo.DemoRun, capsys
) -> None:
    [stack] = boto3.client("cloudformation").describe_stacks()["Stacks"]
    # When an operator scans contacts now against the stack's outputs, and waits
    code = main(
        ["scan-now", "--stack", stack["StackName"], "--object-type", "contact", "--wait", "--interval", "0.2"]
    )
    out = capsys.readouterr().out
    # Then the real workflow ran to its end (plan, partitions, finalize) and its figures are printed
    assert code == 0, out
    assert "contact:" in out and "records, health" in out
    # When a reviewer asks the API for a scan of companies and follows it
    api = demo.serve(local_stack)
    started = httpx.post(f"{api.url}/scans", json={"object_types": ["company"]},
                         headers={"X-Reviewer": "alice"}, timeout=60)  # fmt: skip
    assert started.status_code == 202, started.text
    scan = started.json()
    assert scan["requested_by"] == "local:alice"  # the local gateway's stand-in for IAM or Cognito
    for _ in range(300):
        scan = httpx.get(f"{api.url}{started.headers['Location']}", timeout=60).json()
        if scan["status"] != "running":
            break
        time.sleep(0.2)
    # Then it succeeded with Finalize's figures for companies
    assert scan["status"] == "succeeded", scan
    assert scan["objects"]["company"]["records"] > 0
    # and the health trend holds both runs, oldest first, the API's scan last
    runs = httpx.get(f"{api.url}/health/history", timeout=60).json()["runs"]
    assert runs == sorted(runs, key=lambda r: r["at"])
    assert runs[-1]["run_id"] == scan["scan_id"] and runs[-1]["object_type"] == "company"
    contact_runs = [r for r in runs if r["object_type"] == "contact"]
    assert contact_runs and all(0 <= r["health"] <= 100 and r["records"] > 0 for r in contact_runs)
