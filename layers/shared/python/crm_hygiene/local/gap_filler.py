"""What moto's CloudFormation silently drops, applied after the stack is created (local-aws.md §5).

Runs in the moto process and resolves intrinsics with moto's own resolver.
"""

from __future__ import annotations

import json
from typing import Any

import boto3


def _props(stack: Any, logical_id: str) -> dict[str, Any]:
    from moto.cloudformation.parsing import clean_json

    raw = stack.template_dict["Resources"][logical_id].get("Properties", {})
    resolved: dict[str, Any] = clean_json(raw, stack.resource_map)
    return resolved


def _stack(name: str) -> Any:
    from moto.cloudformation.models import cloudformation_backends

    for backend in cloudformation_backends["123456789012"].values():
        for stack in backend.stacks.values():
            if stack.name == name:
                return stack
    raise LookupError(f"stack {name} not found in moto")


def fill(name: str) -> list[str]:
    """Applies the dropped properties and skipped resources; returns what was filled."""
    stack = _stack(name)
    done: list[str] = []
    for logical_id, resource in stack.template_dict["Resources"].items():
        kind = resource["Type"]
        filler = _FILLERS.get(kind)
        if filler is None:
            continue
        physical = stack.resource_map.get(logical_id)
        physical_id = getattr(physical, "physical_resource_id", physical)
        if filler(_props(stack, logical_id), physical_id):
            done.append(f"{kind} {logical_id}")
    return done


def _bucket(props: dict[str, Any], bucket: Any) -> bool:
    s3 = boto3.client("s3")
    name = str(bucket)
    if (props.get("VersioningConfiguration") or {}).get("Status") == "Enabled":
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    lock = props.get("ObjectLockConfiguration")
    if props.get("ObjectLockEnabled") and lock:
        rule = lock.get("Rule", {}).get("DefaultRetention", {})
        mode = "GOVERNANCE"  # locally, so a developer can clean up; the template's mode stays in AWS
        days = int(rule.get("Days", 1))
        configuration: Any = {
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": mode, "Days": days}},
        }
        s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration=configuration)
    block = props.get("PublicAccessBlockConfiguration")
    if block:
        settings: Any = {k: bool(v) for k, v in block.items()}
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=settings)
    return True


def _table(props: dict[str, Any], table: Any) -> bool:
    ddb = boto3.client("dynamodb")
    name = str(table)
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        ddb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]}
        )
    if (props.get("PointInTimeRecoverySpecification") or {}).get("PointInTimeRecoveryEnabled"):
        ddb.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
    return True


def _subscription(props: dict[str, Any], _physical: Any) -> bool:
    attributes = {}
    for key in ("FilterPolicy", "RedrivePolicy"):
        if props.get(key):
            attributes[key] = json.dumps(props[key]) if not isinstance(props[key], str) else props[key]
    for key in ("RawMessageDelivery", "FilterPolicyScope"):
        if props.get(key) is not None:
            attributes[key] = str(props[key]).lower() if key == "RawMessageDelivery" else str(props[key])
    boto3.client("sns").subscribe(
        TopicArn=props["TopicArn"],
        Protocol=props["Protocol"],
        Endpoint=props["Endpoint"],
        Attributes=attributes,
    )
    return True


def _stage(props: dict[str, Any], _physical: Any) -> bool:
    client = boto3.client("apigateway")
    try:
        client.create_stage(
            restApiId=props["RestApiId"], stageName=props["StageName"], deploymentId=props["DeploymentId"]
        )
    except client.exceptions.ConflictException:
        return False
    return True


def _secret(props: dict[str, Any], _physical: Any) -> bool:
    """moto's CloudFormation skips secrets: create it, generating the key the template asks for
    (the audit MAC keyring: ``{"current": "k1", "k1": <random>}``)."""
    import secrets

    client = boto3.client("secretsmanager")
    name = props["Name"]
    generate = props.get("GenerateSecretString") or {}
    body: dict[str, Any] = json.loads(generate.get("SecretStringTemplate") or "{}")
    if generate.get("GenerateStringKey"):
        body[generate["GenerateStringKey"]] = secrets.token_hex(int(generate.get("PasswordLength", 64)) // 2)
    try:
        client.create_secret(Name=name, SecretString=json.dumps(body))
    except client.exceptions.ResourceExistsException:
        return False
    return True


_FILLERS = {
    "AWS::SecretsManager::Secret": _secret,
    "AWS::S3::Bucket": _bucket,
    "AWS::DynamoDB::Table": _table,
    "AWS::SNS::Subscription": _subscription,
    "AWS::ApiGateway::Stage": _stage,
}
