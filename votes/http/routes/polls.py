"""Polls: list (each with its current number of votes), create (admins), read, close
(admins)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from votes.http.bodies import CreatePollBody
from votes.http.resolver import ConcurrentHttpResolver
from votes.http.responses import json_response
from votes.http.routes._context import body, caller, container

__all__ = ["register"]


def register(app: ConcurrentHttpResolver) -> None:
    @app.get("/polls")
    async def list_polls() -> Response[str]:
        caller(app)
        c = container()
        polls = await c.service.list_polls()
        totals = await c.totals([str(p.id) for p in polls])
        listed = [{**p.model_dump(), "total_votes": totals[str(p.id)]} for p in polls]
        return json_response(200, {"polls": listed})

    @app.post("/polls")
    async def create_poll() -> Response[str]:
        who = caller(app).require_admin()
        data = body(app, CreatePollBody)
        poll = await container().service.create_poll(
            who.subject, data.question, data.options, data.closes_at, data.results_visibility
        )
        return json_response(201, poll, {"Location": f"/polls/{poll.id}"})

    @app.get("/polls/<pollId>")
    async def get_poll(pollId: str) -> Response[str]:
        caller(app)
        return json_response(200, await container().service.get_poll(pollId))

    @app.post("/polls/<pollId>/close")
    async def close_poll(pollId: str) -> Response[str]:
        who = caller(app).require_admin()
        return json_response(200, await container().service.close_poll(pollId, who.subject))
