"""``GET /polls/{pollId}/results/stream``: a poll's tally pushed by Server-Sent Events.

Local app only (on AWS, browsers follow AppSync Events; see :mod:`votes.local.realtime`).
EventSource cannot send headers, so the access token may come as ``?access_token=`` as well as
a Bearer header.
The first message is the current tally, then one per update; every message is a
``TallyUpdated`` JSON object (unnamed SSE event, ``id`` = its log position), sent only if its
position is newer than the last one sent. A poll whose results are hidden from the caller
(``after_vote``, open, not voted, not an admin) answers 403 ``results_hidden``, as
``GET /results`` does. The stream ends when its token expires (plus the verifier's leeway):
EventSource then reconnects, and a client with a fresh token goes on, one without is refused.

The browser client follows tallies over the realtime WebSocket (:mod:`votes.local.realtime`,
AppSync Events' protocol, as on AWS); this stream is kept for ``curl`` users.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any
from uuid import UUID

from sse_starlette.sse import EventSourceResponse
from starlette.requests import Request
from starlette.responses import Response

from projections import TallyUpdated
from votes.bootstrap import Container
from votes.http.errors import Unauthenticated, error_json, retry_after, status_for
from votes.http.identity import caller_of
from votes.local.auth import InvalidToken
from votes.local.tokens import TokenGate, bearer_token

__all__ = ["stream_endpoint"]


def _error(exc: BaseException) -> Response:
    return Response(
        error_json(exc),
        status_code=status_for(exc),
        media_type="application/json",
        headers=retry_after(exc),
    )


def stream_endpoint(
    get_container: Callable[[], Container], gate: Callable[[], TokenGate], ping: int = 15
) -> Callable[[Request], Any]:
    """The Starlette endpoint streaming a poll's tally."""

    async def endpoint(request: Request) -> Response:
        token = request.query_params.get("access_token") or bearer_token(
            request.headers.get("authorization")
        )
        try:
            jwt, expires = gate().admit(token)
        except InvalidToken as e:
            return _error(Unauthenticated(e.message))
        who = caller_of({"requestContext": {"authorizer": {"jwt": jwt}}})
        c = get_container()
        publisher = c.publisher
        if publisher is None:
            raise RuntimeError("live results need the in-process publisher")
        poll_id = request.path_params["pollId"]
        try:
            canonical: str | None = str(UUID(poll_id))
        except ValueError:
            canonical = None  # results() below answers 400
        try:
            await c.service.require_results_visible(poll_id, who.subject, privileged=who.is_admin)
        except Exception as e:
            return _error(e)
        subscription = publisher.subscribe(canonical)
        queue = await subscription.__aenter__()
        try:
            first = await c.results(poll_id)
        except Exception as e:
            await subscription.__aexit__(None, None, None)
            return _error(e)

        async def messages() -> AsyncIterator[dict[str, str]]:
            try:
                last = first.position
                yield {"id": str(last), "data": TallyUpdated.of(first).to_json()}
                while True:
                    try:
                        update = await asyncio.wait_for(queue.get(), expires - time.time())
                    except TimeoutError:
                        return  # the token expired: the client reconnects with a fresh one
                    if update.poll_id != first.poll_id or update.position <= last:
                        continue
                    last = update.position
                    yield {"id": str(last), "data": update.to_json()}
            finally:
                await subscription.__aexit__(None, None, None)

        return EventSourceResponse(
            messages(), ping=ping, headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        )

    return endpoint
