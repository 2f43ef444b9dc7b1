"""``GET /polls/{pollId}/results``: the tally now, or as it stood ``?at=<ISO time>`` or
``?position=<n>`` (time travel, replayed from the log)."""

from __future__ import annotations

from datetime import UTC, datetime

from aws_lambda_powertools.event_handler import Response

from handlers.resolver import ConcurrentHttpResolver
from handlers.responses import json_response
from handlers.routes._context import caller, container

__all__ = ["parse_at", "parse_position", "register"]


def _invalid(field: str, problem: str) -> Exception:
    from vote_domain.errors import ValidationFailed

    return ValidationFailed(f"{field}: {problem}", errors=[{"field": field, "problem": problem}])


def parse_at(text: str) -> datetime:
    """An ISO 8601 time (``Z`` allowed; no zone means UTC)."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise _invalid("at", "must be an ISO 8601 time, e.g. 2026-11-27T12:00:00Z") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_position(text: str) -> int:
    """A log position: an integer >= 0."""
    try:
        value = int(text)
    except ValueError:
        raise _invalid("position", "must be an integer >= 0") from None
    if value < 0:
        raise _invalid("position", "must be an integer >= 0")
    return value


def register(app: ConcurrentHttpResolver) -> None:
    @app.get("/polls/<pollId>/results")
    async def results(pollId: str) -> Response:
        caller(app)
        params = app.current_event.query_string_parameters or {}
        at, position = params.get("at"), params.get("position")
        if at is not None and position is not None:
            raise _invalid("at", "give at most one of at and position")
        tally = await container().results(
            pollId,
            at=parse_at(at) if at is not None else None,
            position=parse_position(position) if position is not None else None,
        )
        return json_response(200, tally)
