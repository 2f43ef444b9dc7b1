"""``GET /polls/{pollId}/results``: the tally now, or as it stood ``?at=<ISO time>`` or
``?position=<n>`` (time travel, replayed from the log).

A poll created with ``results_visibility: "after_vote"`` answers 403 ``results_hidden``, while
it is open, to a caller who has not voted in it (admins excepted), whatever the query.

Each answer carries a weak ``ETag`` naming the tally's log position and whether it is final;
a request whose ``If-None-Match`` holds it gets ``304 Not Modified`` with no body (clients
that poll for results on AWS send it each time).
"""

from __future__ import annotations

from datetime import UTC, datetime

from aws_lambda_powertools.event_handler import Response

from projections import Tally
from vote_domain import ValidationFailed
from votes.http.resolver import ConcurrentHttpResolver
from votes.http.responses import json_response
from votes.http.routes._context import caller, container

__all__ = ["etag_matches", "parse_at", "parse_position", "register", "tally_etag"]


def _invalid(field: str, problem: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {problem}", errors=[{"field": field, "problem": problem}])


def parse_at(text: str) -> datetime:
    """An ISO 8601 time (``Z`` allowed; no zone means UTC). Its range is the service's to
    check (:data:`vote_domain.commands.Instant`), where every time it takes is checked."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise _invalid("at", "must be an ISO 8601 time, e.g. 2026-11-27T12:00:00Z") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def parse_position(text: str) -> int:
    """A log position: an integer >= 0."""
    try:
        value = int(text)
    except ValueError:
        raise _invalid("position", "must be an integer >= 0") from None
    if value < 0:
        raise _invalid("position", "must be an integer >= 0")
    return value


def tally_etag(tally: Tally) -> str:
    """The weak entity tag of a tally: ``W/"<position>-<final>"`` (final as 0 or 1)."""
    return f'W/"{tally.position}-{int(tally.final)}"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header value names ``etag`` (weak comparison, RFC 9110:
    ``W/`` prefixes ignored; a list of tags or ``*`` allowed)."""
    if not if_none_match:
        return False
    wanted = etag.removeprefix("W/")
    for tag in if_none_match.split(","):
        tag = tag.strip()
        if tag == "*" or tag.removeprefix("W/") == wanted:
            return True
    return False


def register(app: ConcurrentHttpResolver) -> None:
    @app.get("/polls/<pollId>/results")
    async def results(pollId: str) -> Response[str]:
        who = caller(app)
        params = app.current_event.query_string_parameters or {}
        at, position = params.get("at"), params.get("position")
        if at is not None and position is not None:
            raise _invalid("at", "give at most one of at and position")
        c = container()
        await c.service.require_results_visible(pollId, who.subject, privileged=who.is_admin)
        tally = await c.results(
            pollId,
            at=parse_at(at) if at is not None else None,
            position=parse_position(position) if position is not None else None,
        )
        etag = tally_etag(tally)
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        if etag_matches(app.current_event.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=headers)
        return json_response(200, tally, headers)
