"""What the local identity provider checks before it accepts a sign-up, worded as Cognito words it.

Errors are :class:`CognitoError` with Cognito's exception name as ``type``, which the
protocol layer sends as ``{"__type": type, "message": message}`` with HTTP 400.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CognitoError",
    "PasswordPolicy",
    "check_username",
    "require_str",
    "sign_in_attribute",
    "user_attributes",
]

SYMBOLS = frozenset("^$*.[]{}()?-\"!@#%&/\\,><':;|_~`+= ")
STANDARD_ATTRIBUTES = frozenset(
    {
        "address",
        "birthdate",
        "email",
        "family_name",
        "gender",
        "given_name",
        "locale",
        "middle_name",
        "name",
        "nickname",
        "phone_number",
        "picture",
        "preferred_username",
        "profile",
        "updated_at",
        "website",
        "zoneinfo",
    }
)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+[0-9]{4,15}$")
USERNAME = re.compile(r"^[^\s\x00-\x1f\x7f]{1,128}$")


class CognitoError(Exception):
    """A Cognito error response: ``type`` is the exception name (e.g. NotAuthorizedException)."""

    def __init__(self, type: str, message: str, status: int = 400) -> None:
        super().__init__(f"{type}: {message}")
        self.type = type
        self.message = message
        self.status = status


def invalid_parameter(message: str) -> CognitoError:
    return CognitoError("InvalidParameterException", message)


@dataclass(frozen=True)
class PasswordPolicy:
    """A user pool's password policy; the defaults are Cognito's."""

    minimum_length: int = 8
    require_uppercase: bool = True
    require_lowercase: bool = True
    require_numbers: bool = True
    require_symbols: bool = True

    def check(self, password: str) -> None:
        """Raise InvalidPasswordException naming the first rule ``password`` breaks."""
        problems = (
            (len(password) < self.minimum_length, "Password not long enough"),
            (
                self.require_lowercase and not any(c.islower() for c in password),
                "Password must have lowercase characters",
            ),
            (
                self.require_uppercase and not any(c.isupper() for c in password),
                "Password must have uppercase characters",
            ),
            (
                self.require_numbers and not any(c.isdigit() for c in password),
                "Password must have numeric characters",
            ),
            (
                self.require_symbols and not any(c in SYMBOLS for c in password),
                "Password must have symbol characters",
            ),
        )
        for broken, message in problems:
            if broken:
                raise CognitoError(
                    "InvalidPasswordException", f"Password did not conform with policy: {message}"
                )


def require_str(request: Mapping[str, Any], field: str, wire_name: str | None = None) -> str:
    """``request[field]`` as a non-empty string, else InvalidParameterException."""
    value = request.get(field)
    if not isinstance(value, str) or not value:
        name = wire_name or (field[:1].lower() + field[1:])
        raise invalid_parameter(
            f"1 validation error detected: Value at '{name}' failed to satisfy constraint: "
            "Member must not be null"
        )
    return value


def check_username(username: str) -> None:
    if not USERNAME.match(username):
        raise invalid_parameter(
            "1 validation error detected: Value at 'username' failed to satisfy constraint: "
            r"Member must satisfy regular expression pattern: [\p{L}\p{M}\p{S}\p{N}\p{P}]+"
        )


def sign_in_attribute(username: str, username_attributes: tuple[str, ...]) -> str | None:
    """Which of the pool's ``UsernameAttributes`` a SignUp ``Username`` is (``"email"`` or
    ``"phone_number"``); None on a pool without them. On a pool with them, a username that
    is neither is refused as Cognito refuses it."""
    if not username_attributes:
        return None
    formats = {"email": EMAIL, "phone_number": PHONE}
    for attribute in username_attributes:
        pattern = formats.get(attribute)
        if pattern is not None and pattern.match(username):
            return attribute
    raise invalid_parameter("Username should be either an email or a phone number.")


def user_attributes(raw: Any) -> dict[str, str]:
    """SignUp's ``UserAttributes`` (a list of ``{"Name", "Value"}``) as a checked dict."""
    if raw is None:
        return {}
    if not isinstance(raw, list):
        raise invalid_parameter("UserAttributes must be a list of {Name, Value}")
    attributes: dict[str, str] = {}
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("Name"), str):
            raise invalid_parameter("UserAttributes must be a list of {Name, Value}")
        name, value = item["Name"], item.get("Value", "")
        if not isinstance(value, str):
            raise invalid_parameter(f"Invalid value for attribute {name}")
        if name not in STANDARD_ATTRIBUTES and not name.startswith("custom:"):
            raise invalid_parameter(
                f"Attributes did not conform to the schema: {name}: "
                "Attribute does not exist in the schema."
            )
        if name == "email" and not EMAIL.match(value):
            raise invalid_parameter("Invalid email address format.")
        attributes[name] = value
    return attributes
