"""Captured-shape API Gateway HTTP API (payload 2.0) events for the API handler tests.

The JSON files in tests/events/api_*.json are events as API Gateway sends them to the Lambda
(JWT authorizer claims as strings, ``cognito:groups`` as ``"[admins]"``). :func:`load_event`
reads one and points it at the given poll, caller and body.
"""

from __future__ import annotations

import base64
import copy
import json
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

EVENTS = Path(__file__).parents[1] / "events"
CAPTURED_POLL = "6f1c2b3a-9d8e-4f7a-b6c5-d4e3f2a1b0c9"
_KEEP = object()


@cache
def _raw(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"api_{name}.json").read_text())


def load_event(
    name: str,
    *,
    poll_id: str | None = None,
    sub: str | None = None,
    username: str | None = None,
    groups: Any = _KEEP,
    body: Any = _KEEP,
    raw_body: str | None = None,
    query: str | None = None,
    authorized: bool = True,
) -> dict[str, Any]:
    """The event ``tests/events/api_<name>.json`` with its poll id, caller, body and query
    string replaced as given (``groups=None`` drops the groups claim; ``authorized=False``
    drops the authorizer as for a route without one)."""
    event = copy.deepcopy(_raw(name))
    if poll_id is not None:
        for key in ("rawPath",):
            event[key] = event[key].replace(CAPTURED_POLL, poll_id)
        http = event["requestContext"]["http"]
        http["path"] = http["path"].replace(CAPTURED_POLL, poll_id)
        event["pathParameters"] = {"pollId": poll_id}
    authorizer = event["requestContext"].get("authorizer")
    if authorizer is not None:
        claims = authorizer["jwt"]["claims"]
        if sub is not None:
            claims["sub"] = sub
        if username is not None:
            claims["username"] = username
        if groups is None:
            claims.pop("cognito:groups", None)
        elif groups is not _KEEP:
            claims["cognito:groups"] = groups
        if not authorized:
            del event["requestContext"]["authorizer"]
    if body is not _KEEP:
        raw_body = json.dumps(body)
    if raw_body is not None:
        if event.get("isBase64Encoded"):
            event["body"] = base64.b64encode(raw_body.encode()).decode()
        else:
            event["body"] = raw_body
        event["headers"]["content-length"] = str(len(raw_body.encode()))
    if query is not None:
        event["rawQueryString"] = query
        event["queryStringParameters"] = dict(parse_qsl(query)) or None
        if not query:
            event.pop("queryStringParameters")
    return event


def body_of(response: dict[str, Any]) -> Any:
    """The JSON body of a handler response."""
    return json.loads(response["body"]) if response.get("body") else None
