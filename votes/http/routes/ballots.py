"""The caller's ballot in a poll: cast, change, retract, read.

Cast answers 201 for a new vote, 200 when the caller already held that option (an idempotent
retry), 409 ``already_voted`` when they hold another. Change answers 200, retract 200 with the
ballot (``option`` null), read 200 (404 ``ballot_not_found`` if never cast).
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from votes.http.bodies import CastBody
from votes.http.resolver import ConcurrentHttpResolver
from votes.http.responses import json_response
from votes.http.routes._context import body, caller, container
from votes.observability import count

__all__ = ["register"]


def register(app: ConcurrentHttpResolver) -> None:
    @app.post("/polls/<pollId>/votes")
    async def cast_vote(pollId: str) -> Response[str]:
        who = caller(app)
        data = body(app, CastBody)
        result = await container().service.cast_vote(pollId, who.subject, data.option)
        if result.outcome == "unchanged":
            count("VoteRetried")
            return json_response(200, result)
        count("VoteCast")
        return json_response(201, result, {"Location": f"/polls/{pollId}/votes/me"})

    @app.put("/polls/<pollId>/votes/me")
    async def change_vote(pollId: str) -> Response[str]:
        who = caller(app)
        data = body(app, CastBody)
        result = await container().service.change_vote(pollId, who.subject, data.option)
        count("VoteChanged" if result.outcome != "unchanged" else "VoteRetried")
        return json_response(200, result)

    @app.delete("/polls/<pollId>/votes/me")
    async def retract_vote(pollId: str) -> Response[str]:
        who = caller(app)
        ballot = await container().service.retract_vote(pollId, who.subject)
        count("VoteRetracted")
        return json_response(200, ballot)

    @app.get("/polls/<pollId>/votes/me")
    async def my_ballot(pollId: str) -> Response[str]:
        who = caller(app)
        return json_response(200, await container().service.get_ballot(pollId, who.subject))
