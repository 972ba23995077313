"""Reading a synthesized template: IAM statements, references, state machine definitions."""

from __future__ import annotations

import json
from typing import Any


def iam_statements(resources: dict[str, Any]) -> list[dict[str, Any]]:
    """Every Allow statement of every identity policy, with the logical id of the policy it is in."""
    statements = []
    for logical_id, resource in resources.items():
        documents = []
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            documents.append(resource["Properties"]["PolicyDocument"])
        elif resource["Type"] == "AWS::IAM::Role":
            documents += [p["PolicyDocument"] for p in resource["Properties"].get("Policies", [])]
        for document in documents:
            for statement in document["Statement"]:
                if statement.get("Effect") == "Allow":
                    statements.append({**statement, "_policy": logical_id})
    return statements


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def mentions(value: Any, logical_id: str) -> bool:
    """Whether a (resolved-to-intrinsics) CloudFormation value refers to ``logical_id``."""
    return f'"{logical_id}"' in json.dumps(value)


def definition(resource: dict[str, Any]) -> dict[str, Any]:
    """A state machine's ASL, with each intrinsic (Ref, GetAtt) replaced by a ``${...}`` marker."""
    body = resource["Properties"]["DefinitionString"]
    if isinstance(body, str):
        return json.loads(body)  # type: ignore[no-any-return]
    parts = body["Fn::Join"][1]
    text = "".join(p if isinstance(p, str) else "${" + _intrinsic_name(p) + "}" for p in parts)
    return json.loads(text)  # type: ignore[no-any-return]


def _intrinsic_name(value: dict[str, Any]) -> str:
    if "Ref" in value:
        return str(value["Ref"])
    if "Fn::GetAtt" in value:
        return ".".join(value["Fn::GetAtt"])
    return "intrinsic"
