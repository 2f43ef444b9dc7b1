"""The HTTP API's routes, one module per resource, and its error handlers; :func:`register`
adds them all to a resolver."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError

from votes.http.errors import RouteNotFound
from votes.http.resolver import ConcurrentHttpResolver
from votes.http.responses import error_response
from votes.http.routes import ballots, meta, polls, results, voters
from votes.observability import count, count_by, logger

__all__ = ["register"]


def register(app: ConcurrentHttpResolver) -> None:
    """Add every route of the API to ``app``, and the handlers turning errors into answers."""
    for module in (meta, voters, polls, ballots, results):
        module.register(app)

    @app.not_found
    def route_not_found(_: NotFoundError) -> Response[str]:
        event = app.current_event
        missing = RouteNotFound(f"no route {event.http_method} {event.path}")
        _count_rejection(404, missing.code)
        return error_response(missing)

    def any_error(exc: Exception) -> Response[str]:
        response = error_response(exc)
        if response.status_code >= 500 and response.status_code != 503:
            logger.exception("unhandled error")
        elif response.status_code >= 500:
            logger.warning("store unavailable", extra={"error": str(exc)})
        else:
            _count_rejection(response.status_code, getattr(exc, "code", "unknown"))
        return response

    app.exception_handler(Exception)(any_error)  # (Powertools' decorator is untyped)


def _count_rejection(status: int, code: str) -> None:
    """Metrics of refused requests: conflicts (409), and every other 4xx (also by its code)."""
    if status == 409:
        count("VoteConflict")
    else:
        count("VoteRejected")
        count_by("RequestRejected", "code", code)
