"""The HTTP API Lambda (API Gateway HTTP API, payload format 2.0): every route of the app.

``handler`` is the Lambda entry point. The routes are async; on Lambda they run on the
process's long-lived loop (:mod:`votes.runtime`), so the database pool built on the first
invocation serves every warm one. The local server awaits :func:`handle` on its own loop:
the same resolver, routes and error mapping, with no thread hop.

Importing this module is cheap (no pydantic-settings, no database driver, no domain code):
those load on the first request.
"""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import correlation_paths

from votes.http.errors import RouteNotFound
from votes.http.resolver import ConcurrentHttpResolver
from votes.http.responses import error_response
from votes.http.routes import register
from votes.observability import correlation_id, log_request, logger, metrics

__all__ = ["app", "handle", "handler"]

app = ConcurrentHttpResolver()
register(app)


@app.not_found
def _route_not_found(_: NotFoundError) -> Response:
    event = app.current_event
    missing = RouteNotFound(f"no route {event.http_method} {event.path}")
    _count_rejection(404, missing.code)
    return error_response(missing)


@app.exception_handler(Exception)
def _any_error(exc: Exception) -> Response:
    response = error_response(exc)
    if response.status_code >= 500 and response.status_code != 503:
        logger.exception("unhandled error")
    elif response.status_code >= 500:
        logger.warning("store unavailable", extra={"error": str(exc)})
    else:
        _count_rejection(response.status_code, getattr(exc, "code", "unknown"))
    return response


def _count_rejection(status: int, code: str) -> None:
    """Metrics of refused requests: conflicts (409), and every other 4xx (also by its code)."""
    from votes.observability import count, count_by

    if status == 409:
        count("VoteConflict")
    else:
        count("VoteRejected")
        count_by("RequestRejected", "code", code)


async def handle(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Resolve one payload 2.0 event on the running loop (the local server's entry)."""
    started = time.perf_counter()
    correlation_id.set((event.get("requestContext") or {}).get("requestId"))
    result = await app.resolve_async(event, context)
    log_request(event, int(result.get("statusCode", 200)), started)
    return result


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point."""
    return _run(handle(event, context))


def _run(coro: Any) -> Any:
    from votes.runtime import run

    return run(coro)
