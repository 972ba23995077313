"""The IAM musts of issue 5: who may answer task tokens, and nothing rewrites the audit trail."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

import pytest

from infra import names
from tests.infra.conftest import Synth
from tests.infra.template_tools import as_list, iam_statements, mentions

TASK_RESPONSE = {"states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"}
AUDIT_TABLE_FORBIDDEN = [
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
    "dynamodb:PartiQLInsert",
    "dynamodb:DeleteTable",
    "dynamodb:UpdateTable",
    "dynamodb:TransactWriteItems",
    "dynamodb:RestoreTableFromBackup",
]
AUDIT_BUCKET_FORBIDDEN = [
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:PutObjectRetention",
    "s3:PutObjectLegalHold",
    "s3:BypassGovernanceRetention",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutLifecycleConfiguration",
    "s3:PutBucketVersioning",
    "s3:PutBucketPolicy",
    "s3:DeleteBucket",
    "s3:DeleteBucketPolicy",
]
# Actions AWS only grants on Resource "*" (X-Ray, Step Functions' log delivery).
STAR_ALLOWED = {
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
}


def _logical_id(synth: Synth, cfn_type: str, **properties: Any) -> str:
    [logical_id] = [
        k
        for k, v in synth.of_type(cfn_type).items()
        if all(v["Properties"].get(p) == want for p, want in properties.items())
    ]
    return logical_id


def _grants(statement: dict[str, Any], forbidden: list[str]) -> list[str]:
    """The forbidden actions a statement's actions (wildcards included) would allow."""
    return [f for f in forbidden for action in as_list(statement["Action"]) if fnmatchcase(f, action)]


def _merge_workflow(synth: Synth) -> str:
    return _logical_id(
        synth,
        "AWS::StepFunctions::StateMachine",
        StateMachineName=synth.config.names.state_machine("MergeWorkflow"),
    )


def _role_of_function(synth: Synth, function_id: str) -> str:
    fn = synth.resources[
        _logical_id(synth, "AWS::Lambda::Function", FunctionName=synth.config.names.function(function_id))
    ]
    return str(fn["Properties"]["Role"]["Fn::GetAtt"][0])


def _policies_of_role(synth: Synth, role: str) -> set[str]:
    return {
        k for k, v in synth.of_type("AWS::IAM::Policy").items() if mentions(v["Properties"]["Roles"], role)
    }


def test_only_the_review_api_may_answer_task_tokens_and_only_on_the_merge_workflow(synth, policies):
    # Given every identity policy in the template; the jobs function is the review API's background
    # worker (bulk decisions over 200 items, merges among them), so it answers tokens as the API does
    review_policies = _policies_of_role(
        synth, _role_of_function(synth, names.REVIEW_API_FN)
    ) | _policies_of_role(synth, _role_of_function(synth, names.JOBS_FN))
    merge = _merge_workflow(synth)
    # When we look for any statement that could send a task response
    senders = [s for s in policies if _grants(s, sorted(TASK_RESPONSE))]
    # Then it is the review API's, it covers all three calls, and its one resource is the merge workflow
    assert senders, "the review API must be able to resume the merge workflow"
    assert {s["_policy"] for s in senders} <= review_policies
    assert TASK_RESPONSE <= {a for s in senders for a in as_list(s["Action"])}
    for statement in senders:
        assert as_list(statement["Resource"]) == [{"Ref": merge}]


def test_nothing_may_update_or_delete_the_audit_table(synth, policies):
    # Given the audit table (by its physical name)
    audit = _logical_id(synth, "AWS::DynamoDB::Table", TableName=synth.config.names.table(names.AUDIT_TABLE))
    touching = [s for s in policies if mentions(s["Resource"], audit)]
    assert touching, "functions do write the audit log"
    # Then no statement on it grants a rewriting action; writers get exactly Put/Query, and the
    # verifier (the one that scans) never puts
    verifier = _policies_of_role(synth, _role_of_function(synth, names.AUDIT_VERIFY_FN))
    for statement in touching:
        assert _grants(statement, AUDIT_TABLE_FORBIDDEN) == [], statement
        actions = set(as_list(statement["Action"]))
        if statement["_policy"] in verifier:
            assert actions <= {"dynamodb:Query", "dynamodb:Scan"}, statement
        else:
            assert actions <= {"dynamodb:PutItem", "dynamodb:Query"}, statement


def test_only_functions_that_write_entries_may_append_and_only_the_verifier_signs_digests(synth, policies):
    audit = _logical_id(synth, "AWS::DynamoDB::Table", TableName=synth.config.names.table(names.AUDIT_TABLE))
    writers = {
        function_id
        for function_id in (names.SCAN_FN, names.ENTRY_SCAN_FN, names.ENRICH_FN, names.APPLY_FN,
                            names.REVIEW_API_FN, names.MERGE_REVIEW_FN, names.WEBHOOK_FN, names.AUDIT_VERIFY_FN)
        if any(
            s["_policy"] in _policies_of_role(synth, _role_of_function(synth, function_id))
            and "dynamodb:PutItem" in as_list(s["Action"]) and mentions(s["Resource"], audit)
            for s in policies
        )
    }  # fmt: skip
    assert writers == {names.APPLY_FN, names.REVIEW_API_FN, names.MERGE_REVIEW_FN}
    signers = [s for s in policies if "kms:Sign" in as_list(s["Action"])]
    verifier = _policies_of_role(synth, _role_of_function(synth, names.AUDIT_VERIFY_FN))
    assert signers and {s["_policy"] for s in signers} <= verifier


def test_no_function_may_delete_or_unlock_audit_objects(synth, policies):
    bucket = _logical_id(synth, "AWS::S3::Bucket", ObjectLockEnabled=True)
    touching = [s for s in policies if mentions(s["Resource"], bucket)]
    assert touching
    for statement in touching:
        assert _grants(statement, AUDIT_BUCKET_FORBIDDEN) == [], statement


def test_only_aws_mandated_actions_are_granted_on_every_resource(policies):
    # A "*" resource is allowed only where AWS offers nothing narrower (and is acknowledged for cdk-nag).
    for statement in policies:
        if "*" in as_list(statement["Resource"]):
            assert set(as_list(statement["Action"])) <= STAR_ALLOWED, statement


def test_no_statement_uses_a_service_wide_action_wildcard(policies):
    for statement in policies:
        for action in as_list(statement["Action"]):
            assert not action.endswith(":*") and action != "*", statement


@pytest.mark.parametrize("function_id", [names.SCAN_FN, names.ENTRY_SCAN_FN])
def test_scanners_may_start_merge_workflows(synth, policies, function_id):
    role_policies = _policies_of_role(synth, _role_of_function(synth, function_id))
    merge = _merge_workflow(synth)
    assert any(
        s["_policy"] in role_policies
        and "states:StartExecution" in as_list(s["Action"])
        and mentions(s["Resource"], merge)
        for s in policies
    )


def test_the_variant_keeps_the_same_musts(variant):
    # Distributed Map, Cognito and HubSpot add grants; none of them may weaken the musts.
    statements = iam_statements(variant.resources)
    audit = _logical_id(
        variant, "AWS::DynamoDB::Table", TableName=variant.config.names.table(names.AUDIT_TABLE)
    )
    bucket = _logical_id(variant, "AWS::S3::Bucket", ObjectLockEnabled=True)
    for statement in statements:
        if mentions(statement["Resource"], audit):
            assert _grants(statement, AUDIT_TABLE_FORBIDDEN) == []
        if mentions(statement["Resource"], bucket):
            assert _grants(statement, AUDIT_BUCKET_FORBIDDEN) == []
        if "*" in as_list(statement["Resource"]):
            assert set(as_list(statement["Action"])) <= STAR_ALLOWED, statement
    review_policies = _policies_of_role(
        variant, _role_of_function(variant, names.REVIEW_API_FN)
    ) | _policies_of_role(variant, _role_of_function(variant, names.JOBS_FN))
    assert {s["_policy"] for s in statements if _grants(s, sorted(TASK_RESPONSE))} <= review_policies


def test_the_providers_file_is_a_parameter_only_the_enrich_function_reads(synth, variant):
    # Given the variant, configured with a providers file (the default stack has none)
    assert not synth.of_type("AWS::SSM::Parameter")
    parameter = _logical_id(variant, "AWS::SSM::Parameter", Name="/crm-hygiene/prod/providers")
    text = variant.resources[parameter]["Properties"]["Value"]
    assert text == variant.config.providers_yaml()
    # Then exactly the enrich function's role may read it
    readers = {
        function_id
        for function_id in (names.SCAN_FN, names.ENTRY_SCAN_FN, names.WEBHOOK_FN, names.ENRICH_FN,
                            names.APPLY_FN, names.REVIEW_API_FN, names.MERGE_REVIEW_FN, names.JOBS_FN)
        for s in iam_statements(variant.resources)
        if s["_policy"] in _policies_of_role(variant, _role_of_function(variant, function_id))
        and mentions(s["Resource"], parameter)
    }  # fmt: skip
    assert readers == {names.ENRICH_FN}
