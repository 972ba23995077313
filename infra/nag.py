"""cdk-nag acknowledgements, one finding at a time, each with its reason.

cdk-nag 3 reads CDK's ``Validations.of(scope).acknowledge`` metadata and matches finding ids exactly
(``AwsSolutions-IAM5[Resource::<AuditTable1234.Arn>/index/*]``): there is no prefix or regex
matching, so every acknowledgement names one finding and cannot hide a new one. The helpers here
spell those ids from the constructs they are about, so logical-id changes cannot break them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import aws_cdk as cdk
from constructs import IConstruct

PACK = "AwsSolutions"
_enabled = True


@contextmanager
def without_acknowledgements() -> Iterator[None]:
    """Builds constructs with no acknowledgements, so a test can see the findings they answer."""
    global _enabled
    _enabled = False
    try:
        yield
    finally:
        _enabled = True


def acknowledge(scope: IConstruct, rule: str, reason: str, finding: str | None = None) -> None:
    """Acknowledges ``AwsSolutions-<rule>`` (or one ``[finding]`` of it) on ``scope`` and below."""
    if not _enabled:
        return
    rule_id = f"{PACK}-{rule}" + (f"[{finding}]" if finding else "")
    cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=rule_id, reason=reason))


def ref(construct: IConstruct, attribute: str | None = "Arn") -> str:
    """How cdk-nag prints ``Fn::GetAtt [<logical id>, attribute]`` (or ``Ref``, attribute None)."""
    logical_id = logical_id_of(construct)
    return f"<{logical_id}.{attribute}>" if attribute else f"<{logical_id}>"


def logical_id_of(construct: IConstruct) -> str:
    """The CloudFormation logical id of ``construct`` (or of its default child)."""
    resource = (
        construct.node.default_child if isinstance(construct.node.default_child, cdk.CfnElement) else None
    )
    if resource is None and isinstance(construct, cdk.CfnElement):
        resource = construct
    if resource is None:
        raise TypeError(f"{construct.node.path} has no CloudFormation resource to reference")
    stack = cdk.Stack.of(construct)
    return str(stack.resolve(stack.get_logical_id(resource)))


def wildcard_resource(scope: IConstruct, resource: str, reason: str) -> None:
    """Acknowledges one ``IAM5[Resource::...]`` finding on ``scope``."""
    acknowledge(scope, "IAM5", reason, f"Resource::{resource}")


def wildcard_action(scope: IConstruct, action: str, reason: str) -> None:
    """Acknowledges one ``IAM5[Action::...]`` finding on ``scope``."""
    acknowledge(scope, "IAM5", reason, f"Action::{action}")
