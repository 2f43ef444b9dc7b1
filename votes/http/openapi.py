"""The HTTP API's OpenAPI 3.1 document and the route list it is made from.

:data:`OPERATIONS` is the public contract of issue 4: every route the API answers, with
whether it needs a token. The local gateway matches requests against it (route keys, path
parameters, which routes skip the authorizer) and a test checks it equals the resolver's
routes. :func:`document` renders it with the request and response schemas (built on first
call: the JSON schemas come from the pydantic models).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.json_schema import models_json_schema

from projections import Tally
from vote_domain import BallotView, CastResult, PollView, VoterView
from votes.http.bodies import CastBody, CreatePollBody, RegisterBody

__all__ = ["OPERATIONS", "Operation", "document", "routes"]


@dataclass(frozen=True)
class Operation:
    """One route: method, OpenAPI path and what it takes and answers."""

    method: str
    path: str
    operation_id: str
    summary: str
    responses: dict[int, tuple[str, str | None]]
    """status -> (description, schema name or None)."""
    body: str | None = None
    public: bool = False
    admin: bool = False
    query: tuple[tuple[str, str, str], ...] = field(default=())
    """(name, JSON type, description) of optional query parameters."""
    etag: bool = False
    """Answers carry an ``ETag``; a matching ``If-None-Match`` gets 304 without a body."""


_E = "Error"
_ERRORS_AUTH = {401: ("no valid bearer token", _E)}
_ERRORS_POLL = {
    400: ("invalid poll id or body", _E),
    **_ERRORS_AUTH,
    404: ("no such poll", _E),
    503: ("the store is unavailable; retry after Retry-After seconds", _E),
}

OPERATIONS: tuple[Operation, ...] = (
    Operation("GET", "/health", "health", "Liveness", {200: ("ok", "Health")}, public=True),
    Operation(
        "GET",
        "/openapi.json",
        "openapi",
        "This document",
        {200: ("OpenAPI 3.1", None)},
        public=True,
    ),
    Operation(
        "POST",
        "/voters",
        "registerVoter",
        "Register the caller as a voter (idempotent)",
        {
            201: ("registered now", "VoterView"),
            200: ("already registered", "VoterView"),
            400: ("invalid body", _E),
            **_ERRORS_AUTH,
        },
        body="RegisterBody",
    ),
    Operation(
        "GET",
        "/voters/me/ballots",
        "listMyBallots",
        "The caller's ballots in the polls named (never voted: left out, no 404)",
        {
            200: ("the ballots", "BallotList"),
            400: ("invalid or over 100 poll ids", _E),
            **_ERRORS_AUTH,
        },
        query=(("poll_ids", "string", "comma-separated poll ids (at most 100)"),),
    ),
    Operation(
        "GET",
        "/polls",
        "listPolls",
        "Every poll, newest first, each with its current number of votes",
        {200: ("the polls", "PollList"), **_ERRORS_AUTH},
    ),
    Operation(
        "POST",
        "/polls",
        "createPoll",
        "Open a poll (admins)",
        {
            201: ("created", "PollView"),
            400: ("invalid body", _E),
            **_ERRORS_AUTH,
            403: ("not an admin", _E),
        },
        body="CreatePollBody",
        admin=True,
    ),
    Operation(
        "GET",
        "/polls/{pollId}",
        "getPoll",
        "One poll",
        {200: ("the poll", "PollView"), **_ERRORS_POLL},
    ),
    Operation(
        "POST",
        "/polls/{pollId}/close",
        "closePoll",
        "Close a poll (admins; closing a closed poll is a no-op)",
        {200: ("closed", "PollView"), **_ERRORS_POLL, 403: ("not an admin", _E)},
        admin=True,
    ),
    Operation(
        "POST",
        "/polls/{pollId}/votes",
        "castVote",
        "Cast the caller's vote",
        {
            201: ("vote recorded", "CastResult"),
            200: ("the caller already held this option (idempotent retry)", "CastResult"),
            409: ("already_voted: the caller holds another option", _E),
            422: ("poll_closed, invalid_option or not_registered", _E),
            413: ("body too large", _E),
            **_ERRORS_POLL,
        },
        body="CastBody",
    ),
    Operation(
        "PUT",
        "/polls/{pollId}/votes/me",
        "changeVote",
        "Move the caller's vote to another option (casts it if none held)",
        {
            200: ("changed (or unchanged)", "CastResult"),
            422: ("poll_closed, invalid_option or not_registered", _E),
            **_ERRORS_POLL,
        },
        body="CastBody",
    ),
    Operation(
        "DELETE",
        "/polls/{pollId}/votes/me",
        "retractVote",
        "Withdraw the caller's vote",
        {
            200: ("retracted: the ballot, option null", "BallotView"),
            404: ("no such poll, or no vote held (ballot_not_found)", _E),
            422: ("poll_closed or not_registered", _E),
            **{k: v for k, v in _ERRORS_POLL.items() if k != 404},
        },
    ),
    Operation(
        "GET",
        "/polls/{pollId}/votes/me",
        "getMyBallot",
        "The caller's ballot (option null once retracted)",
        {
            200: ("the ballot", "BallotView"),
            404: ("no such poll, or never voted (ballot_not_found)", _E),
            **{k: v for k, v in _ERRORS_POLL.items() if k != 404},
        },
    ),
    Operation(
        "GET",
        "/polls/{pollId}/results",
        "getResults",
        "The tally, now or as it stood at a time or log position",
        {
            200: ("the tally", "Tally"),
            304: ("unchanged since the If-None-Match ETag (no body)", None),
            **_ERRORS_POLL,
            403: ("results_hidden: an after_vote poll, open, and the caller has not voted", _E),
        },
        query=(
            ("at", "string", "ISO 8601 time: the tally as of then (time travel)"),
            ("position", "integer", "log position: the tally as of then"),
        ),
        etag=True,
    ),
)


def routes() -> list[tuple[str, str, bool]]:
    """(method, path, public) of every operation."""
    return [(op.method, op.path, op.public) for op in OPERATIONS]


def _schemas() -> dict[str, Any]:
    class PollSummary(PollView):
        total_votes: int

    class PollList(BaseModel):
        polls: list[PollSummary]

    class BallotList(BaseModel):
        ballots: list[BallotView]

    class Health(BaseModel):
        status: str

    class ErrorDetail(BaseModel):
        model_config = ConfigDict(extra="allow")
        code: str
        message: str
        details: dict[str, Any] | None = None

    class Error(BaseModel):
        error: ErrorDetail

    models: list[type[BaseModel]] = [
        RegisterBody,
        CreatePollBody,
        CastBody,
        VoterView,
        PollView,
        PollSummary,
        PollList,
        BallotView,
        BallotList,
        CastResult,
        Tally,
        Health,
        Error,
    ]
    _, top = models_json_schema(
        [(m, "validation" if m.__name__.endswith("Body") else "serialization") for m in models],
        ref_template="#/components/schemas/{model}",
    )
    return dict(top.get("$defs", {}))


def _operation(op: Operation) -> dict[str, Any]:
    out: dict[str, Any] = {"operationId": op.operation_id, "summary": op.summary}
    params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _path_params(op.path)
    ]
    params += [
        {"name": n, "in": "query", "required": False, "schema": {"type": t}, "description": d}
        for n, t, d in op.query
    ]
    if op.etag:
        params.append(
            {
                "name": "If-None-Match",
                "in": "header",
                "required": False,
                "schema": {"type": "string"},
                "description": "the ETag of a previous answer: 304 while the tally is the same",
            }
        )
    if params:
        out["parameters"] = params
    if op.body:
        out["requestBody"] = {
            "required": op.body != "RegisterBody",
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{op.body}"}}
            },
        }
    out["responses"] = {
        str(status): {"description": desc}
        | (
            {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{s}"}}}}
            if s
            else {}
        )
        for status, (desc, s) in sorted(op.responses.items())
    }
    if op.etag:
        etag = {"description": 'W/"<position>-<final>" of the tally', "schema": {"type": "string"}}
        for status in ("200", "304"):
            out["responses"][status]["headers"] = {"ETag": etag}
    out["security"] = [] if op.public else [{"cognito": []}]
    if op.admin:
        out["x-required-group"] = "admins"
    return out


def _path_params(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


@cache
def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the HTTP API."""
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Votes API",
            "version": "1.0.0",
            "description": "Event-sourced vote casting. Errors are "
            '{"error": {"code", "message"}}; identity comes only from the verified token.',
        },
        "paths": paths,
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {
                "cognito": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "a Cognito access token (Authorization: Bearer <token>)",
                }
            },
        },
    }
