"""The JSON request bodies of the HTTP API, validated with pydantic."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from vote_domain import ValidationFailed
from votes.http.errors import MalformedJson, PayloadTooLarge

__all__ = ["CastBody", "CreatePollBody", "RegisterBody", "read_body"]

T = TypeVar("T", bound=BaseModel)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RegisterBody(_Body):
    """``POST /voters``: an optional display name (default: the token's username)."""

    display_name: str | None = Field(default=None, max_length=100)


class CreatePollBody(_Body):
    """``POST /polls``."""

    question: str = Field(max_length=280)
    options: list[str] = Field(min_length=2, max_length=20)
    closes_at: datetime | None = Field(
        default=None, description="ISO 8601 with a time zone; the poll closes then"
    )
    results_visibility: Literal["always", "after_vote"] = Field(
        default="always",
        description="after_vote: while open, results only for those who voted (and admins)",
    )


class CastBody(_Body):
    """``POST /polls/{pollId}/votes`` and ``PUT /polls/{pollId}/votes/me``."""

    option: str = Field(max_length=80)


def read_body(model: type[T], body: str | None, limit: int, *, optional: bool = False) -> T:
    """``body`` (already base64-decoded text) validated as ``model``.

    Raises PayloadTooLarge over ``limit`` bytes, MalformedJson for anything but a JSON object,
    ValidationFailed when the object does not fit ``model``. An empty body is ``{}`` when
    ``optional``.
    """
    if body is not None and len(body) > limit // 4 and len(body.encode()) > limit:
        raise PayloadTooLarge(f"the request body exceeds {limit} bytes")
    if not body or not body.strip():
        if optional:
            return model()
        raise MalformedJson("a JSON object body is required")
    try:
        data: Any = json.loads(body)
    except json.JSONDecodeError as e:
        raise MalformedJson(f"the body is not valid JSON: {e.msg}") from None
    except ValueError:  # valid JSON Python will not read: an integer of over 4,300 digits
        raise MalformedJson("the body holds a number too long to read") from None
    except RecursionError:
        raise MalformedJson("the body is nested too deeply") from None
    if not isinstance(data, dict):
        raise MalformedJson("the body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as e:
        errors = [
            {"field": ".".join(str(p) for p in err["loc"]), "problem": err["msg"]}
            for err in e.errors(include_url=False, include_input=False)
        ]
        first = errors[0]
        raise ValidationFailed(f"{first['field']}: {first['problem']}", errors=errors) from None
