"""IAM rules for the packaged CloudFormation template: no wildcard actions, no ``*`` resources.

An ``Allow`` statement may not name a wildcard action (``*``, ``s3:*``, ``s3:Get*``) nor use
``NotAction`` / ``NotResource``. ``Resource: "*"`` is allowed only when every action of the
statement is listed in ``RESOURCE_STAR_EXCEPTIONS`` with the reason AWS offers nothing narrower.
``Deny`` statements (e.g. "deny non-TLS access to s3:*") only take permissions away and are not
checked. AWS-managed policies cannot be inspected here, so none may be attached.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["RESOURCE_STAR_EXCEPTIONS", "Finding", "iam_findings"]

_ENI = (
    "Lambda creates, describes and deletes the function's network interfaces in the VPC on the "
    "role's behalf; AWS documents these with Resource '*' (AWSLambdaVPCAccessExecutionRole) and "
    "the subnet/security-group ARNs are only known to Lambda at attach time"
)
_EC2_DESCRIBE = "EC2 Describe* actions support no resource-level permissions"

RESOURCE_STAR_EXCEPTIONS: dict[str, str] = {
    "ec2:CreateNetworkInterface": _ENI,
    "ec2:DeleteNetworkInterface": _ENI,
    "ec2:AssignPrivateIpAddresses": _ENI,
    "ec2:UnassignPrivateIpAddresses": _ENI,
    "ec2:DescribeNetworkInterfaces": _EC2_DESCRIBE,
    "ec2:DescribeSubnets": _EC2_DESCRIBE,
}
"""Actions that may use ``Resource: "*"``, each with its reason."""

_POLICY_KEYS = ("PolicyDocument", "AssumeRolePolicyDocument")
_ALL_OF_A_SERVICE = re.compile(r"^arn:[^:]*:[^:]*:[^:]*:[^:]*:\*$")


@dataclass(frozen=True)
class Finding:
    """One rule violation, located by resource and statement."""

    resource: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.resource} {self.where}: {self.message}"


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _documents(node: Any, path: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every (path, key, policy document) below ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            child = f"{path}/{key}"
            if key in _POLICY_KEYS and isinstance(value, dict):
                yield child, key, value
            else:
                yield from _documents(value, child)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _documents(value, f"{path}/{index}")


def _is_star_resource(resource: Any) -> bool:
    return isinstance(resource, str) and (
        resource == "*" or bool(_ALL_OF_A_SERVICE.match(resource))
    )


def _statement_findings(
    name: str, where: str, statement: dict[str, Any], trust: bool
) -> Iterator[Finding]:
    if statement.get("Effect") != "Allow":
        return
    for key in ("NotAction", "NotResource"):
        if key in statement:
            yield Finding(name, where, f"Allow with {key} grants everything else")
    actions = [a for a in _as_list(statement.get("Action", [])) if isinstance(a, str)]
    for action in actions:
        if "*" in action:
            yield Finding(name, where, f"wildcard action {action!r}")
    if trust:
        return
    if not any(_is_star_resource(r) for r in _as_list(statement.get("Resource", []))):
        return
    unexcused = sorted(a for a in actions if a not in RESOURCE_STAR_EXCEPTIONS)
    if unexcused or not actions:
        yield Finding(
            name,
            where,
            f"'*' resource for {', '.join(unexcused) or 'unknown actions'} "
            "(not in RESOURCE_STAR_EXCEPTIONS)",
        )


def iam_findings(template: dict[str, Any]) -> list[Finding]:
    """Every IAM rule violation in the template's resources."""
    findings: list[Finding] = []
    for name, resource in (template.get("Resources") or {}).items():
        properties = resource.get("Properties") or {}
        for arn in _as_list(properties.get("ManagedPolicyArns", [])):
            findings.append(
                Finding(name, "ManagedPolicyArns", f"managed policy {arn!r} cannot be checked")
            )
        for path, key, document in _documents(properties, "Properties"):
            for index, statement in enumerate(_as_list(document.get("Statement", []))):
                if isinstance(statement, dict):
                    where = f"{path}/Statement/{index}"
                    sid = statement.get("Sid")
                    if sid:
                        where += f" ({sid})"
                    findings.extend(
                        _statement_findings(
                            name, where, statement, key == "AssumeRolePolicyDocument"
                        )
                    )
    return findings
