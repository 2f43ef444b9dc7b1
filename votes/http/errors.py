"""Every error the HTTP API returns, and the one table mapping error codes to status codes.

Domain errors are :class:`vote_domain.errors.VoteError` subclasses; errors only HTTP knows
(no token, not an admin, body too large, malformed JSON, unknown route) are :class:`HttpError`
subclasses here. Both carry a stable ``code``; :func:`error_body` and :func:`status_for` turn
any of them into ``{"error": {"code", "message"[, "details"]}}`` with its status. An
unexpected exception becomes a 500 ``internal`` whose message reveals nothing.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

__all__ = [
    "STATUS_BY_CODE",
    "Forbidden",
    "HttpError",
    "InsufficientScope",
    "MalformedJson",
    "PayloadTooLarge",
    "RouteNotFound",
    "Unauthenticated",
    "error_body",
    "error_json",
    "retry_after",
    "status_for",
]

STATUS_BY_CODE: dict[str, int] = {
    "validation_failed": 400,
    "malformed_json": 400,
    "unauthenticated": 401,
    "forbidden": 403,
    "insufficient_scope": 403,
    "results_hidden": 403,
    "not_found": 404,
    "poll_not_found": 404,
    "ballot_not_found": 404,
    "method_not_allowed": 405,
    "already_voted": 409,
    "conflict": 409,
    "payload_too_large": 413,
    "rule_violation": 422,
    "poll_closed": 422,
    "invalid_option": 422,
    "not_registered": 422,
    "internal": 500,
    "unavailable": 503,
}
"""Status code of each error code (the single place codes meet HTTP)."""

RETRY_AFTER_S = 1
"""Seconds a client should wait before retrying after 503 (sent as Retry-After)."""


class HttpError(Exception):
    """An error of the HTTP layer, with a stable ``code``."""

    code: ClassVar[str] = "http_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class Unauthenticated(HttpError):
    """No valid token came with the request."""

    code = "unauthenticated"


class Forbidden(HttpError):
    """The caller is authenticated but may not do this (e.g. not an admin)."""

    code = "forbidden"


class InsufficientScope(HttpError):
    """The token is valid but lacks the scope the API requires (``votes/api``): refused by
    the gateway before the API runs (API Gateway's authorizer answers 403 too)."""

    code = "insufficient_scope"


class MalformedJson(HttpError):
    """The body is not a JSON object."""

    code = "malformed_json"


class PayloadTooLarge(HttpError):
    """The body exceeds the configured limit."""

    code = "payload_too_large"


class RouteNotFound(HttpError):
    """No route has that method and path."""

    code = "not_found"


def _code_of(exc: BaseException) -> str:
    code = getattr(exc, "code", None)
    return code if isinstance(code, str) and code in STATUS_BY_CODE else "internal"


def status_for(exc: BaseException) -> int:
    """The HTTP status for ``exc`` (500 for anything not raised on purpose)."""
    return STATUS_BY_CODE[_code_of(exc)]


def error_body(exc: BaseException) -> dict[str, Any]:
    """``{"error": {"code", "message"[, "details"]}}`` for ``exc``."""
    code = _code_of(exc)
    if code == "internal":
        return {"error": {"code": code, "message": "internal error; it has been logged"}}
    error: dict[str, Any] = {"code": code, "message": getattr(exc, "message", str(exc))}
    details = getattr(exc, "details", None)
    if details:
        error["details"] = details
    return {"error": error}


def error_json(exc: BaseException) -> str:
    """:func:`error_body` serialised."""
    return json.dumps(error_body(exc), default=str, separators=(",", ":"))


def retry_after(exc: BaseException) -> dict[str, str]:
    """Headers telling the client when to retry (503 only)."""
    return {"Retry-After": str(RETRY_AFTER_S)} if status_for(exc) == 503 else {}
