"""Cognito's own JSON protocol in front of :class:`LocalIdentityProvider`, as a Starlette app.

Added to the local app with ``routes += cognito_routes(idp)`` (at ``/cognito``), so that boto3
(``endpoint_url="http://127.0.0.1:8000/cognito"``), amazon-cognito-identity-js (its pool's
``endpoint`` option) and the load test send the very requests they send to Cognito::

    POST /cognito/   (or POST /cognito)
    X-Amz-Target: AWSCognitoIdentityProviderService.InitiateAuth
    Content-Type: application/x-amz-json-1.1
    {"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": "...", "AuthParameters": {...}}

Errors are HTTP 400 ``{"__type": "NotAuthorizedException", "message": "..."}`` with the
``x-amzn-ErrorType`` header, as Cognito sends them. The signing keys are at
``/cognito/<userPoolId>/.well-known/jwks.json``, the path shape of Cognito's issuer.
This app exists only in the local server, never in a Lambda package.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from votes.local.idp.provider import LocalIdentityProvider
from votes.local.idp.rules import CognitoError

__all__ = ["CONTENT_TYPE", "TARGET_PREFIX", "cognito_routes"]

log = logging.getLogger(__name__)

TARGET_PREFIX = "AWSCognitoIdentityProviderService."
CONTENT_TYPE = "application/x-amz-json-1.1"
MAX_BODY_BYTES = 64 * 1024

Action = Callable[[Mapping[str, Any], str | None], Awaitable[dict[str, Any]]]
"""An action: the request's JSON and the caller's address."""


class _TooLarge(Exception):
    pass


async def _bounded_body(request: Request, limit: int) -> bytes:
    """The request body, read chunk by chunk; :class:`_TooLarge` as soon as it passes
    ``limit`` bytes (a 200 MB chunked POST is never held in memory)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _json(
    body: Mapping[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":")),
        status_code=status,
        media_type=CONTENT_TYPE,
        headers={"x-amzn-RequestId": str(uuid.uuid4()), **(headers or {})},
    )


def _error(error: CognitoError, *, close: bool = False) -> Response:
    """Cognito's error shape; ``close``: end the connection (a body left unread)."""
    return _json(
        {"__type": error.type, "message": error.message},
        error.status,
        {"x-amzn-ErrorType": f"{error.type}:", **({"Connection": "close"} if close else {})},
    )


def _cors(app: ASGIApp, allowed_origins: Sequence[str]) -> ASGIApp:
    return CORSMiddleware(
        app,
        allow_origins=list(allowed_origins),
        allow_methods=["GET", "POST"],
        allow_headers=["*"],
        expose_headers=["x-amzn-RequestId", "x-amzn-ErrorType"],
        max_age=600,
    )


def cognito_routes(
    idp: LocalIdentityProvider,
    *,
    prefix: str = "/cognito",
    allowed_origins: Sequence[str] = ("*",),
) -> list[BaseRoute]:
    """Routes serving Cognito's JSON protocol for ``idp`` at ``prefix`` (exactly, and with a
    trailing slash: clients post to the endpoint URL as given, and a redirect would break a
    browser's CORS preflight) and its JWKS, each behind CORS for ``allowed_origins``."""

    async def sign_up(payload: Mapping[str, Any], _address: str | None) -> dict[str, Any]:
        return await idp.sign_up(payload)

    async def get_user(payload: Mapping[str, Any], _address: str | None) -> dict[str, Any]:
        return await idp.get_user(payload)

    actions: dict[str, Action] = {
        "SignUp": sign_up,
        "InitiateAuth": idp.initiate_auth,
        "GetUser": get_user,
    }

    async def call(request: Request) -> Response:
        if request.method != "POST":
            return Response(status_code=405, headers={"Allow": "POST"})
        target = request.headers.get("x-amz-target", "")
        name = target.removeprefix(TARGET_PREFIX) if target.startswith(TARGET_PREFIX) else ""
        action = actions.get(name)
        if action is None:
            return _error(
                CognitoError("UnknownOperationException", f"Unknown operation {target!r}")
            )
        try:
            body = await _bounded_body(request, MAX_BODY_BYTES)
        except _TooLarge:
            return _error(
                CognitoError("InvalidParameterException", "Request body is too large", 413),
                close=True,
            )
        try:
            payload = json.loads(body or b"{}")
        except (ValueError, RecursionError):  # ValueError includes UnicodeDecodeError
            return _error(CognitoError("SerializationException", "Request body is not valid JSON"))
        if not isinstance(payload, dict):
            return _error(
                CognitoError("SerializationException", "Request body must be a JSON object")
            )
        client = request.client
        try:
            return _json(await action(payload, client.host if client else None))
        except CognitoError as e:
            return _error(e)
        except Exception:
            log.exception("local identity provider failed on %s", target)
            return _error(CognitoError("InternalErrorException", "Internal error", status=500))

    async def jwks(request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            return Response(status_code=405, headers={"Allow": "GET"})
        if request.path_params["pool_id"] != idp.user_pool_id:
            return JSONResponse({"message": "User pool not found"}, status_code=404)
        return JSONResponse(idp.jwks(), headers={"Cache-Control": "public, max-age=300"})

    def endpoint(fn: Callable[[Request], Awaitable[Response]]) -> ASGIApp:
        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            response = await fn(Request(scope, receive))
            await response(scope, receive, send)

        return _cors(app, allowed_origins)

    prefix = prefix.rstrip("/")
    paths = dict.fromkeys([prefix or "/", f"{prefix}/"])
    routes: list[BaseRoute] = [Route(path, endpoint(call)) for path in paths]
    routes.append(Route(f"{prefix}/{{pool_id}}/.well-known/jwks.json", endpoint(jwks)))
    return routes
