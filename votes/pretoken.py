"""The Cognito pre token generation trigger's rule (V2 event): the access token carries the
API's own resource-server scope instead of Cognito's self-service one.

A sign-in with USER_PASSWORD_AUTH gets ``scope: aws.cognito.signin.user.admin``, which lets
the holder call Cognito's self-service APIs with the token -- among them DeleteUser, then a
new SignUp with the same e-mail gives a new ``sub`` and so a second ballot. This trigger
suppresses that scope and adds :data:`API_SCOPE`, the scope of the ``votes`` resource server
(deploy/cognito.yml) that API Gateway's authorizer requires on every route (serverless.yml).
The local identity provider applies the same rule (:func:`access_scopes`) when the template
wires the trigger, so the local API refuses the same tokens.

Members of the ``admins`` group keep the self-service scope beside :data:`API_SCOPE`: TOTP
enrolment (AssociateSoftwareToken, VerifySoftwareToken, SetUserMFAPreference) takes an access
token with it, and Cognito cannot ask an OPTIONAL-MFA pool's users to enrol at sign-in
(docs/deploy.md, "Admins should turn on TOTP MFA"); an admin is appointed by an operator, who
can re-create accounts anyway (docs/threat-model.md).

Access-token scope customization needs the V2 trigger event, which Cognito sends only on
pools with the Essentials (or Plus) feature plan (docs/threat-model.md: cost and limits).
Like :mod:`votes.presignup`, this module imports nothing heavy: Cognito gives a trigger 5 s.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = [
    "ADMINS_GROUP",
    "API_SCOPE",
    "RESOURCE_SERVER",
    "SELF_SERVICE_SCOPE",
    "access_scopes",
    "customize",
]

RESOURCE_SERVER = "votes"
API_SCOPE = f"{RESOURCE_SERVER}/api"
SELF_SERVICE_SCOPE = "aws.cognito.signin.user.admin"
ADMINS_GROUP = "admins"


def access_scopes(scopes: Iterable[str], groups: Iterable[str] = ()) -> list[str]:
    """The scopes an access token carries after this trigger ran, given the ones Cognito
    would have put in it and the user's groups."""
    keeps_self_service = ADMINS_GROUP in groups
    kept = [s for s in scopes if keeps_self_service or s != SELF_SERVICE_SCOPE]
    return [*kept, API_SCOPE] if API_SCOPE not in kept else kept


def customize(event: dict[str, Any]) -> dict[str, Any]:
    """The V2 pre token generation event back, asking Cognito to add :data:`API_SCOPE` to
    the access token and, unless the user is in :data:`ADMINS_GROUP`, to drop the
    self-service scope (every trigger source: sign-in, refresh, and the others)."""
    request = event.get("request")
    config = request.get("groupConfiguration") if isinstance(request, dict) else None
    groups = config.get("groupsToOverride") if isinstance(config, dict) else None
    is_admin = isinstance(groups, list) and ADMINS_GROUP in groups
    response = event.get("response")
    if not isinstance(response, dict):
        response = event["response"] = {}
    details = response.get("claimsAndScopeOverrideDetails")
    if not isinstance(details, dict):
        details = response["claimsAndScopeOverrideDetails"] = {}
    access = details.get("accessTokenGeneration")
    if not isinstance(access, dict):
        access = details["accessTokenGeneration"] = {}
    access["scopesToAdd"] = [API_SCOPE]
    access["scopesToSuppress"] = [] if is_admin else [SELF_SERVICE_SCOPE]
    return event
