"""``POST /voters``: register the caller (201 the first time, 200 after);
``GET /voters/me/ballots?poll_ids=<id>,<id>``: the caller's ballots in those polls (at most
100; polls they never voted in are left out, so "not voted" is an empty list, not a 404)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from votes.http.bodies import RegisterBody
from votes.http.resolver import ConcurrentHttpResolver
from votes.http.responses import json_response
from votes.http.routes._context import body, caller, container

__all__ = ["register"]


def register(app: ConcurrentHttpResolver) -> None:
    @app.post("/voters")
    async def register_voter() -> Response[str]:
        who = caller(app)
        data = body(app, RegisterBody, optional=True)
        registration = await container().service.register_voter(
            who.subject, data.display_name or who.default_display_name
        )
        return json_response(201 if registration.created else 200, registration.voter)

    @app.get("/voters/me/ballots")
    async def my_ballots() -> Response[str]:
        who = caller(app)
        params = app.current_event.query_string_parameters or {}
        ids = [p for p in (params.get("poll_ids") or "").split(",") if p.strip()]
        ballots = await container().service.list_ballots(who.subject, ids)
        return json_response(200, {"ballots": ballots})
