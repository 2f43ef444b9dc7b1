"""JSON responses for the routes and the error handlers."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from pydantic_core import to_json

from votes.http.errors import error_json, retry_after, status_for

__all__ = ["error_response", "json_response"]

JSON = "application/json"


def json_response(
    status: int, payload: Any, headers: dict[str, str] | None = None
) -> Response[str]:
    """``payload`` (pydantic models, dicts, lists, datetimes, UUIDs...) as a JSON response."""
    return Response(
        status_code=status, content_type=JSON, body=to_json(payload).decode(), headers=headers
    )


def error_response(exc: BaseException) -> Response[str]:
    """The ``{"error": {...}}`` response for ``exc``, with its status (and Retry-After)."""
    return Response(
        status_code=status_for(exc),
        content_type=JSON,
        body=error_json(exc),
        headers=retry_after(exc) or None,
    )
