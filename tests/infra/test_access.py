"""Least privilege (issue 10): every function's role holds exactly the actions its code calls.

The list is ``infra/components/access.py`` (``ACCESS``, plus what the settings models imply: secrets,
parameters, the alerts topic); the stack grants from it. These tests hold the synthesized roles to
it, action by action and table by table, and hold its DynamoDB actions to the calls the tables'
adapters make (read from their source), so neither a broad CDK grant nor a stale list entry passes.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest

from crm_hygiene.settings import (
    AlertsEnv,
    AuditDigestEnv,
    AuditEnv,
    AuditVerifySettings,
    CrmEnv,
    ProvidersEnv,
    StandardEnv,
    WebhookSettings,
)
from infra import names
from infra.components.access import (
    ACCESS,
    GET_PARAMETER,
    GET_SECRET_VALUE,
    QUEUE_ATTRIBUTES,
    SEND_MESSAGE,
    Access,
)
from infra.components.specs import SPECS
from infra.components.storage import (
    AUDIT_KEY_ACTIONS,
    AUDIT_OBJECT_ACTIONS,
    AUDIT_TABLE_ACTIONS,
    AUDIT_VERIFY_TABLE_ACTIONS,
    DIGEST_READ_ACTIONS,
    DIGEST_WRITE_ACTIONS,
    SNAPSHOT_ACTIONS,
)
from infra.layer import ROOT
from tests.infra.conftest import Synth
from tests.infra.template_tools import as_list, iam_statements, mentions

# What every function holds whatever its code: its own log stream and X-Ray (active tracing).
PLATFORM = {"logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTraceSegments", "xray:PutTelemetryRecords"}
# What Lambda's SQS poller needs on the queue a function is triggered by (the service calls these).
SQS_TRIGGER = {
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
}
# SNS encrypts with the topic's KMS key on the publisher's behalf.
PUBLISH = {"sns:Publish", "kms:Decrypt", "kms:GenerateDataKey*"}
ADAPTERS = ROOT / "layers" / "shared" / "python" / "crm_hygiene" / "adapters" / "aws"
# Which adapter modules read or write which table.
TABLE_ADAPTERS = {
    names.CHANGE_QUEUE_TABLE: ("change_queue.py",),
    names.CRM_TABLE: ("crm_store.py",),
    names.HEALTH_TABLE: ("health_store.py", "quality_store.py"),
    names.DECISION_MEMORY_TABLE: ("decision_memory.py",),
    names.MATCH_INDEX_TABLE: ("match_index.py",),
    names.IDEMPOTENCY_TABLE: ("idempotency.py",),
    names.AUDIT_TABLE: ("audit_log.py",),
    names.JOBS_TABLE: ("job_store.py",),
}


def _logical_id(synth: Synth, cfn_type: str, **properties: Any) -> str:
    [logical_id] = [
        k
        for k, v in synth.of_type(cfn_type).items()
        if all(v["Properties"].get(p) == want for p, want in properties.items())
    ]
    return logical_id


def _function(synth: Synth, function_id: str) -> str:
    return _logical_id(synth, "AWS::Lambda::Function", FunctionName=synth.config.names.function(function_id))


def _statements_of(synth: Synth, function_id: str) -> list[dict[str, Any]]:
    role = synth.resources[_function(synth, function_id)]["Properties"]["Role"]["Fn::GetAtt"][0]
    policies = {
        k for k, v in synth.of_type("AWS::IAM::Policy").items() if mentions(v["Properties"]["Roles"], role)
    }
    return [s for s in iam_statements(synth.resources) if s["_policy"] in policies]


def _triggered(synth: Synth, function_id: str) -> bool:
    fn = _function(synth, function_id)
    return any(mentions(m["Properties"]["FunctionName"], fn)
               for m in synth.of_type("AWS::Lambda::EventSourceMapping").values())  # fmt: skip


def _audit_actions(access: Access, settings: type) -> set[str]:
    wanted: set[str] = set()
    if access.audit:
        wanted |= set(AUDIT_TABLE_ACTIONS) | set(AUDIT_OBJECT_ACTIONS)
    if issubclass(settings, AuditEnv):  # the audit MAC keyring (seal, or check, entries)
        wanted |= set(AUDIT_KEY_ACTIONS)
    if issubclass(settings, AuditDigestEnv):  # read digests and check their signatures
        wanted |= set(DIGEST_READ_ACTIONS)
    if settings is AuditVerifySettings:  # scan the trail, write and sign the next digest
        wanted |= set(AUDIT_VERIFY_TABLE_ACTIONS) | set(DIGEST_WRITE_ACTIONS)
    return wanted


def expected_actions(synth: Synth, function_id: str) -> set[str]:
    """Every action ``function_id`` may hold: its ``ACCESS`` entry, what its settings imply, the platform."""
    access, settings, config = ACCESS.get(function_id, Access()), SPECS[function_id].settings, synth.config
    wanted = set(PLATFORM) | {a for actions in access.tables.values() for a in actions}
    if _triggered(synth, function_id):
        wanted |= SQS_TRIGGER
    wanted |= _audit_actions(access, settings)
    if access.sends:
        wanted.add(SEND_MESSAGE)
    if access.dead_letter_depth:
        wanted.add(QUEUE_ATTRIBUTES)
    if access.publishes or issubclass(settings, AlertsEnv):
        wanted |= PUBLISH
    wanted |= set(access.merge_workflow) | set(access.jobs_workflow) | set(access.scan_workflow)
    if access.snapshot and config.distributed_map:
        wanted |= set(SNAPSHOT_ACTIONS)
    if settings is WebhookSettings or (issubclass(settings, CrmEnv) and config.crm_secrets):
        wanted.add(GET_SECRET_VALUE)
    if (issubclass(settings, StandardEnv) and config.standard_parameter) or (
        issubclass(settings, ProvidersEnv) and config.providers_file
    ):
        wanted.add(GET_PARAMETER)
    return wanted


@pytest.mark.parametrize("function_id", list(SPECS))
@pytest.mark.parametrize("stack", ["synth", "variant"])
def test_a_function_holds_no_action_its_code_never_calls(request, stack, function_id):
    # Given the function's role in the default stack and in the variant with every option on
    synth: Synth = request.getfixturevalue(stack)
    held = {a for s in _statements_of(synth, function_id) for a in as_list(s["Action"])}
    # Then it holds exactly the list's actions: none more (a grant nobody calls), none fewer
    assert held - expected_actions(synth, function_id) == set(), f"{function_id} holds actions no code calls"
    assert expected_actions(synth, function_id) - held == set(), f"{function_id} lacks listed actions"


@pytest.mark.parametrize("function_id", list(SPECS))
def test_each_table_gets_exactly_its_listed_actions(synth, function_id):
    # Given the DynamoDB statements of the function's role, table by table
    tables = {
        table_id: _logical_id(synth, "AWS::DynamoDB::Table", TableName=synth.config.names.table(table_id))
        for table_id in TABLE_ADAPTERS
    }
    access = ACCESS.get(function_id, Access())
    for table_id, logical_id in tables.items():
        held = {
            a
            for s in _statements_of(synth, function_id)
            if mentions(s["Resource"], logical_id)
            for a in as_list(s["Action"])
            if a.startswith("dynamodb:")
        }
        listed = set(access.tables.get(table_id, ()))
        if table_id == names.AUDIT_TABLE and access.audit:
            listed |= set(AUDIT_TABLE_ACTIONS)
        if table_id == names.AUDIT_TABLE and SPECS[function_id].settings is AuditVerifySettings:
            listed |= set(AUDIT_VERIFY_TABLE_ACTIONS)
        # Then the table's actions are the list's for that table (a table not listed: none)
        assert held == listed, (function_id, table_id)


def _dynamodb_calls(module: Path) -> set[str]:
    """The DynamoDB actions a module's code can make: boto3 method names it calls or hands on (as
    ``self._page(self._table.query, ...)`` does), as IAM actions."""
    called = {
        node.attr for node in ast.walk(ast.parse(module.read_text())) if isinstance(node, ast.Attribute)
    }
    operations = {
        "get_item", "put_item", "update_item", "delete_item", "query", "scan", "batch_get_item",
        "batch_write_item", "transact_write_items", "transact_get_items",
    }  # fmt: skip
    actions = {"dynamodb:" + "".join(w.title() for w in op.split("_")) for op in called & operations}
    if "batch_writer" in called:
        actions.add("dynamodb:BatchWriteItem")
    return actions


@pytest.mark.parametrize("table_id", list(TABLE_ADAPTERS))
def test_every_listed_dynamodb_action_is_a_call_the_tables_adapters_make(table_id):
    # Given what the table's adapters call (read from their source)
    calls = set().union(*(_dynamodb_calls(ADAPTERS / m) for m in TABLE_ADAPTERS[table_id]))
    assert calls, table_id
    # Then no function is listed for an action on it that no adapter of it makes
    for function_id, access in ACCESS.items():
        listed = set(access.tables.get(table_id, ()))
        if table_id == names.AUDIT_TABLE and access.audit:
            listed |= set(AUDIT_TABLE_ACTIONS)
        assert listed <= calls, (function_id, table_id, listed - calls)


def test_the_action_names_are_iam_names():
    for access in ACCESS.values():
        for actions in access.tables.values():
            for action in actions:
                assert re.fullmatch(r"dynamodb:[A-Z][A-Za-z]+", action), action


@pytest.mark.parametrize("function_id", [names.APPLY_FN, names.REVIEW_API_FN, names.MERGE_REVIEW_FN])
def test_apply_review_api_and_merge_review_hold_no_delete_or_batch_write(synth, variant, function_id):
    # The "Why" of issue 10: CDK's grant_read_write_data gave them DeleteItem and BatchWriteItem,
    # which none of their code calls (the review API's one batch write is a job's plan, on the jobs
    # table: nowhere else).
    for stack in (synth, variant):
        for statement in _statements_of(stack, function_id):
            actions = set(as_list(statement["Action"]))
            assert "dynamodb:DeleteItem" not in actions, function_id
            if "dynamodb:BatchWriteItem" in actions:
                assert "JobsTable" in json.dumps(statement["Resource"]), (function_id, statement["Resource"])


def test_the_review_api_starts_and_describes_only_the_scan_workflow(synth):
    # Given the review API's Step Functions statements
    scan = _logical_id(synth, "AWS::StepFunctions::StateMachine",
                       StateMachineName=synth.config.names.state_machine(names.SCAN_WORKFLOW))  # fmt: skip
    states = [s for s in _statements_of(synth, names.REVIEW_API_FN)
              if any(a.startswith("states:") for a in as_list(s["Action"]))]  # fmt: skip
    describe = [s for s in states if "states:DescribeExecution" in as_list(s["Action"])]
    # Then DescribeExecution is granted on the scan workflow's executions, nothing else
    [statement] = describe
    assert as_list(statement["Action"]) == ["states:DescribeExecution"]
    assert ":execution:" in json.dumps(statement["Resource"]) and scan in json.dumps(statement["Resource"])
    # and starting or listing executions of the scan workflow is granted on that workflow by its Ref
    on_scan = [s for s in states if s["Resource"] == {"Ref": scan}]
    assert {a for s in on_scan for a in as_list(s["Action"])} == {
        "states:StartExecution",
        "states:ListExecutions",
    }
