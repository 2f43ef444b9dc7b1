"""The resolver keeps each concurrent request's event, context and route to itself."""

from __future__ import annotations

import asyncio
import json
import random

from api_events import load_event

from votes.http.resolver import ConcurrentHttpResolver


async def test_concurrent_requests_never_see_each_others_event() -> None:
    # GIVEN a route that yields to other requests between reading its event twice
    app = ConcurrentHttpResolver()

    @app.get("/polls/<pollId>")
    async def echo(pollId: str) -> dict[str, str]:
        first = app.current_event.request_context.authorizer.jwt_claim["sub"]
        await asyncio.sleep(random.uniform(0, 0.01))
        again = app.current_event.request_context.authorizer.jwt_claim["sub"]
        return {"poll": pollId, "sub": first, "again": again, "path": app.current_event.path}

    events = [load_event("get_poll", poll_id=f"poll-{n}", sub=f"sub-{n}") for n in range(100)]
    # WHEN they are resolved all at once
    responses = await asyncio.gather(*(app.resolve_async(e, None) for e in events))
    # THEN each answer is about its own request only
    for n, response in enumerate(responses):
        body = json.loads(response["body"])
        assert body == {
            "poll": f"poll-{n}",
            "sub": f"sub-{n}",
            "again": f"sub-{n}",
            "path": f"/polls/poll-{n}",
        }
