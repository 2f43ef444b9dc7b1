"""The user pool and app client the local identity provider stands in for, read from the
CloudFormation that deploys the real one (``deploy/cognito.yml``): one source of truth.

Read from the template (Cognito's default where a property is absent):

* ``UserPool``: ``UsernameAttributes`` (``[email]``: the e-mail address is the username and
  the stored username is the generated ``sub``), ``UsernameConfiguration.CaseSensitive``
  (default: case-sensitive, as CreateUserPool's API), ``Policies.PasswordPolicy``,
  ``MfaConfiguration`` (``ON`` is refused: the local IdP has no MFA challenge), whether a pre
  token generation trigger (V2) is wired (it swaps the access token's scope, see
  :mod:`votes.pretoken`).
* ``UserPoolClient``: ``ExplicitAuthFlows``, ``PreventUserExistenceErrors`` (default
  ``LEGACY``), ``AccessTokenValidity`` / ``IdTokenValidity`` / ``RefreshTokenValidity`` with
  ``TokenValidityUnits`` (defaults: 60 minutes, 60 minutes, 30 days).
* Every ``AWS::Cognito::UserPoolGroup``'s ``GroupName``.

Serverless variables in those properties resolve to their fallback (``${param:len, 12}`` ->
12); one without a fallback, or an intrinsic function (``!If``, ``!Ref``), in a property read
here is a :class:`PoolTemplateError` naming it: the local IdP never guesses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from votes.local.idp.rules import PasswordPolicy

__all__ = ["DEFAULT_TEMPLATE", "PoolConfig", "PoolTemplateError", "load_pool_config"]

DEFAULT_TEMPLATE = Path(__file__).resolve().parents[3] / "deploy" / "cognito.yml"
"""deploy/cognito.yml of the checkout the app runs from."""

_UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
_VARIABLE = re.compile(r"^\$\{[^,}]+(?:,\s*(?P<fallback>[^}]*))?\}$")
_ALL_FLOWS = ("ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH")


class PoolTemplateError(ValueError):
    """The template does not say (in a way the local IdP can read) how the pool behaves."""


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags, each read as its long form (``!Ref X`` ->
    ``{"Ref": "X"}``, ``!If [...]`` -> ``{"Fn::If": [...]}``)."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)
        value = loader.construct_mapping(node, deep=True)
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {"Ref" if suffix == "Ref" else f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


@dataclass(frozen=True)
class PoolConfig:
    """How one user pool and app client behave (Cognito's defaults unless given)."""

    username_attributes: tuple[str, ...] = ()
    case_sensitive: bool = True
    password_policy: PasswordPolicy = field(default_factory=PasswordPolicy)
    prevent_user_existence_errors: bool = False
    access_token_ttl: int = 3600
    id_token_ttl: int = 3600
    refresh_token_ttl: int = 30 * 86400
    groups: tuple[str, ...] = ()
    mfa: str = "OFF"
    explicit_auth_flows: tuple[str, ...] = _ALL_FLOWS
    pre_token_generation: bool = False

    @property
    def email_is_username(self) -> bool:
        return "email" in self.username_attributes

    def allows(self, flow: str) -> bool:
        """Whether the app client allows ``AuthFlow`` ``flow`` (REFRESH_TOKEN is an alias)."""
        name = "REFRESH_TOKEN_AUTH" if flow == "REFRESH_TOKEN" else flow
        return f"ALLOW_{name}" in self.explicit_auth_flows

    def client_policy(self) -> dict[str, int | bool]:
        """The password policy as /config.json gives it to the browser client."""
        p = self.password_policy
        return {
            "minimumLength": p.minimum_length,
            "requireLowercase": p.require_lowercase,
            "requireUppercase": p.require_uppercase,
            "requireNumbers": p.require_numbers,
            "requireSymbols": p.require_symbols,
        }


def _resolve(value: Any, where: str) -> Any:
    """``value`` with a serverless variable replaced by its fallback."""
    if isinstance(value, str) and value.startswith("${"):
        match = _VARIABLE.match(value)
        if match is None or match.group("fallback") is None:
            raise PoolTemplateError(f"{where}: {value} has no fallback the local IdP can use")
        return yaml.safe_load(match.group("fallback").strip().strip("'\""))
    if isinstance(value, dict) and len(value) == 1:
        (key,) = value
        if key == "Ref" or key.startswith("Fn::"):
            raise PoolTemplateError(f"{where}: {key} is not resolvable by the local IdP")
    return value


def _get(props: Mapping[str, Any], path: str, default: Any, kind: type | tuple[type, ...]) -> Any:
    value: Any = props
    for part in path.split("."):
        value = _resolve(value, path)
        if not isinstance(value, Mapping) or part not in value:
            return default
        value = value[part]
    value = _resolve(value, path)
    if kind is bool and isinstance(value, str) and value.lower() in ("true", "false"):
        value = value.lower() == "true"
    if kind is int and isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise PoolTemplateError(f"{path}: {value!r} is not a {kind}")
    return value


def _one(resources: Mapping[str, Any], kind: str) -> Mapping[str, Any]:
    found = [r for r in resources.values() if isinstance(r, dict) and r.get("Type") == kind]
    if len(found) != 1:
        raise PoolTemplateError(f"expected exactly one {kind}, found {len(found)}")
    props = found[0].get("Properties") or {}
    assert isinstance(props, dict)
    return props


def _validity(client: Mapping[str, Any], token: str, default: int, unit: str) -> int:
    amount = _get(client, f"{token}TokenValidity", None, int)
    units = _get(client, f"TokenValidityUnits.{token}Token", unit, str)
    if units not in _UNIT_SECONDS:
        raise PoolTemplateError(f"TokenValidityUnits.{token}Token: unknown unit {units!r}")
    return default if amount is None else amount * _UNIT_SECONDS[units]


def pool_config_of(template: Mapping[str, Any]) -> PoolConfig:
    """The :class:`PoolConfig` a parsed template describes."""
    resources = template.get("Resources") or {}
    pool = _one(resources, "AWS::Cognito::UserPool")
    client = _one(resources, "AWS::Cognito::UserPoolClient")
    policy = PasswordPolicy()
    policy = PasswordPolicy(
        minimum_length=_get(
            pool, "Policies.PasswordPolicy.MinimumLength", policy.minimum_length, int
        ),
        require_lowercase=_get(
            pool, "Policies.PasswordPolicy.RequireLowercase", policy.require_lowercase, bool
        ),
        require_uppercase=_get(
            pool, "Policies.PasswordPolicy.RequireUppercase", policy.require_uppercase, bool
        ),
        require_numbers=_get(
            pool, "Policies.PasswordPolicy.RequireNumbers", policy.require_numbers, bool
        ),
        require_symbols=_get(
            pool, "Policies.PasswordPolicy.RequireSymbols", policy.require_symbols, bool
        ),
    )
    mfa = _get(pool, "MfaConfiguration", "OFF", str)
    if mfa == "ON":
        raise PoolTemplateError("MfaConfiguration ON: the local IdP has no MFA challenge")
    lambdas = pool.get("LambdaConfig")
    pre_token = isinstance(lambdas, Mapping) and (
        _get(lambdas, "PreTokenGenerationConfig.LambdaVersion", None, str) in ("V2_0", "V3_0")
    )
    groups = [
        _get(r.get("Properties") or {}, "GroupName", None, str)
        for r in resources.values()
        if isinstance(r, dict) and r.get("Type") == "AWS::Cognito::UserPoolGroup"
    ]
    return PoolConfig(
        username_attributes=tuple(_get(pool, "UsernameAttributes", [], list)),
        case_sensitive=_get(pool, "UsernameConfiguration.CaseSensitive", True, bool),
        password_policy=policy,
        prevent_user_existence_errors=(
            _get(client, "PreventUserExistenceErrors", "LEGACY", str) == "ENABLED"
        ),
        access_token_ttl=_validity(client, "Access", 3600, "hours"),
        id_token_ttl=_validity(client, "Id", 3600, "hours"),
        refresh_token_ttl=_validity(client, "Refresh", 30 * 86400, "days"),
        groups=tuple(g for g in groups if g),
        mfa=mfa,
        explicit_auth_flows=tuple(_get(client, "ExplicitAuthFlows", list(_ALL_FLOWS), list)),
        pre_token_generation=bool(pre_token),
    )


def load_pool_config(path: Path = DEFAULT_TEMPLATE) -> PoolConfig:
    """The :class:`PoolConfig` of the template at ``path``."""
    try:
        template = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_CfnLoader)
    except (OSError, yaml.YAMLError) as e:
        raise PoolTemplateError(f"cannot read the user pool template {path}: {e}") from e
    if not isinstance(template, dict):
        raise PoolTemplateError(f"{path} is not a CloudFormation template")
    return pool_config_of(template)
