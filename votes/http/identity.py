"""Who is calling: read only from the claims API Gateway's JWT authorizer verified.

The claims are ``requestContext.authorizer.jwt.claims`` of the payload 2.0 event; nothing the
client sends in the body or in headers is ever trusted for identity. API Gateway passes every
claim as a string, arrays as ``"[a b]"``; a list is accepted too (direct invocations, tests).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from votes.http.errors import Forbidden, Unauthenticated

__all__ = [
    "ACCESS_TOKEN_USE",
    "ADMINS_GROUP",
    "UNNAMED",
    "Caller",
    "caller_of",
    "caller_of_claims",
    "parse_groups",
]

ADMINS_GROUP = "admins"
ACCESS_TOKEN_USE = "access"
UNNAMED = "Anonymous voter"
"""The display name of a voter who registered without one on a pool whose usernames are
generated ids (e-mail as username: the ``username`` claim is the ``sub``)."""


@dataclass(frozen=True, slots=True)
class Caller:
    """The verified identity behind a request."""

    subject: str
    username: str
    groups: frozenset[str]

    @property
    def default_display_name(self) -> str:
        """The name to show when the caller gave none: their username if a person chose it,
        never a generated id (on an e-mail-as-username pool the username is the ``sub``)."""
        return UNNAMED if self.username == self.subject else self.username

    @property
    def is_admin(self) -> bool:
        return ADMINS_GROUP in self.groups

    def require_admin(self) -> Caller:
        """This caller, or Forbidden if not in the ``admins`` group."""
        if not self.is_admin:
            raise Forbidden("only admins may do this")
        return self


def parse_groups(value: Any) -> frozenset[str]:
    """``cognito:groups`` as API Gateway renders it (``"[admins other]"``), as a JSON array
    text (``'["admins"]'``) or as a list."""
    if value is None:
        return frozenset()
    if isinstance(value, list | tuple | set | frozenset):
        return frozenset(str(v) for v in value)
    text = str(value).strip()
    if text.startswith("[") and '"' in text:
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, list):
            return frozenset(str(v) for v in parsed)
    text = text.removeprefix("[").removesuffix("]")
    return frozenset(part for part in text.replace(",", " ").split() if part)


def caller_of(event: Mapping[str, Any]) -> Caller:
    """The caller of a payload 2.0 event; Unauthenticated when no verified claims came or
    they are not an access token's."""
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    return caller_of_claims((authorizer.get("jwt") or {}).get("claims"))


def caller_of_claims(claims: Any) -> Caller:
    """The caller whose verified token has ``claims`` (API Gateway's strings, or the token's
    own JSON values as AppSync passes them); Unauthenticated unless an access token's."""
    if not isinstance(claims, Mapping):
        raise Unauthenticated("a valid bearer token is required")
    if claims.get("token_use") != ACCESS_TOKEN_USE:
        raise Unauthenticated("an access token is required (token_use must be 'access')")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise Unauthenticated("the token has no subject")
    username = claims.get("cognito:username") or claims.get("username") or subject
    return Caller(
        subject=subject, username=str(username), groups=parse_groups(claims.get("cognito:groups"))
    )
