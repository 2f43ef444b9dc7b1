"""The local app: the whole of the API, live results, Cognito and the client on one server.

:func:`create_app` returns the ASGI application ``votes serve`` runs under uvicorn:

* ``/cognito`` -- the local Cognito-compatible identity provider (:mod:`votes.local.idp.cognito`);
* every API route -- turned into the payload 2.0 event API Gateway would send (JWT authorizer
  included: 401 without a valid token, except ``/health`` and ``/openapi.json``) and passed to
  the very resolver the Lambda runs (:func:`votes.http.api.handle`), on this server's loop;
* ``/event/realtime`` -- live tallies over AWS AppSync Events' WebSocket protocol, as the
  browser client follows them on AWS too (:mod:`votes.local.realtime`);
* ``/polls/{pollId}/results/stream`` -- live tallies by Server-Sent Events (for ``curl``);
* ``/config.json`` and the built client (client/dist) at ``/``.

At startup it migrates the database (idempotent), opens the identity provider and starts the
in-process bus (log -> projector -> publisher) that keeps tallies and live streams current.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.routing import Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from vote_domain import EventStore
from votes import bootstrap
from votes.http.api import handle, resolver
from votes.http.errors import InsufficientScope as HttpInsufficientScope
from votes.http.errors import (
    PayloadTooLarge,
    Unauthenticated,
    error_json,
    retry_after,
    status_for,
)
from votes.http.openapi import routes
from votes.local.auth import (
    ACCESS_SCOPE,
    InsufficientScope,
    InvalidToken,
    JwtVerifier,
    load_jwks,
)
from votes.local.bus_thread import BusThread, LoopPublisher
from votes.local.gateway import RouteTable, api_event, http_response
from votes.local.idp.cognito import cognito_routes
from votes.local.idp.provider import LocalIdentityProvider
from votes.local.idp.users import MIGRATIONS as IDP_MIGRATIONS
from votes.local.live import stream_endpoint
from votes.local.realtime import RealtimeEndpoint
from votes.local.site import REALTIME_PATH, ClientSite, config_endpoint
from votes.local.tokens import TokenGate, bearer_token
from votes.observability import correlation_id, log_request
from votes.settings import Settings

__all__ = ["LocalContext", "create_app"]

STREAM_PATH = re.compile(r"^/polls/[^/]+/results/stream$")


@dataclass
class LocalContext:
    """The Lambda context object the local server passes to the handler."""

    aws_request_id: str
    function_name: str = "votes-api-local"
    function_version: str = "$LATEST"
    invoked_function_arn: str = "arn:aws:lambda:local:000000000000:function:votes-api-local"
    memory_limit_in_mb: int = 1024
    log_group_name: str = "/aws/lambda/votes-api-local"
    log_stream_name: str = "local"
    deadline_ms: float = field(default_factory=lambda: time.time() * 1000 + 30_000)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int(self.deadline_ms - time.time() * 1000))


async def _send(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _send_error(
    send: Send, exc: BaseException, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    headers = [(b"content-type", b"application/json"), *(extra or [])]
    headers += [(k.lower().encode(), v.encode()) for k, v in retry_after(exc).items()]
    if isinstance(exc, Unauthenticated):
        headers.append((b"www-authenticate", b'Bearer error="invalid_token"'))
    await _send(send, status_for(exc), headers, error_json(exc).encode())


async def _refuse(send: Send, exc: BaseException, method: str, route_key: str, path: str) -> None:
    """Answer a request the gateway itself refuses (401, 413), with a request id and its log
    line, as API Gateway does before any Lambda runs."""
    started = time.perf_counter()
    request_id = base64.b64encode(os.urandom(10)).decode()
    correlation_id.set(request_id)
    await _send_error(send, exc, [(b"apigw-requestid", request_id.encode())])
    seen = {"requestContext": {"requestId": request_id, "http": {"method": method}}}
    log_request({**seen, "routeKey": route_key, "rawPath": path}, status_for(exc), started)


class ApiGateway:
    """ASGI app playing API Gateway (HTTP API + JWT authorizer) in front of the API handler."""

    def __init__(self, table: RouteTable, gate: TokenGate, max_body: int) -> None:
        self.table = table
        self.gate = gate
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method: str = scope["method"]
        raw = scope.get("raw_path")
        path = raw.decode("latin-1") if raw else scope["path"]
        route_key, params, public = self.table.match(method, path)
        headers = scope["headers"]
        jwt = None
        if not public:
            authorization = next((v for k, v in headers if k == b"authorization"), b"")
            try:
                jwt = self.gate.authorize(bearer_token(authorization.decode("latin-1")))
            except InsufficientScope as e:
                await _refuse(send, HttpInsufficientScope(e.message), method, route_key, path)
                return
            except InvalidToken as e:
                await _refuse(send, Unauthenticated(e.message), method, route_key, path)
                return
        try:
            body = await self._body(receive)
        except PayloadTooLarge as e:
            await _refuse(send, e, method, route_key, path)
            return
        if body is None:
            return
        client = scope.get("client")
        event = api_event(
            method=method,
            path=path,
            raw_query=scope.get("query_string", b"").decode("latin-1"),
            raw_headers=headers,
            body=body,
            source_ip=client[0] if client else "127.0.0.1",
            route_key=route_key,
            path_parameters=params,
            jwt=jwt,
        )
        request_id = event["requestContext"]["requestId"]
        result = await handle(event, LocalContext(request_id))
        status, response_headers, response_body = http_response(result)
        response_headers.append((b"apigw-requestid", request_id.encode()))  # as API Gateway
        await _send(send, status, response_headers, response_body)

    async def _body(self, receive: Receive) -> bytes | None:
        """The whole body, or None if the client went away before sending it all (such a
        request is not served: a truncated body can still be valid JSON)."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise PayloadTooLarge(f"the request body exceeds {self.max_body} bytes")
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


class LocalApp:
    """The ASGI entry point: lifespan, then dispatch to IdP, SSE, config, client or API."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.origins = [o.strip() for o in settings.allowed_origin.split(",") if o.strip()]
        self.site = ClientSite(settings.client_dist)
        self._cognito: ASGIApp | None = None
        self._api: ASGIApp | None = None
        self._gate: TokenGate | None = None
        # Only the Host names the app is served under (DNS rebinding), for every route and the
        # realtime WebSocket.
        self._trusted = TrustedHostMiddleware(
            self._dispatch, allowed_hosts=settings.trusted_hosts, www_redirect=False
        )
        self._trusted_socket = TrustedHostMiddleware(
            self._websocket, allowed_hosts=settings.trusted_hosts, www_redirect=False
        )
        self.on_ready: Callable[[], None] | None = None
        """Called once the app has started (``votes serve`` prints its URL)."""
        self._realtime = RealtimeEndpoint(
            bootstrap.container, self.gate, keepalive=settings.live_keepalive
        )
        self._extras = self._cors(
            Router(
                routes=[
                    Route("/config.json", config_endpoint(settings)),
                    Route(
                        "/polls/{pollId}/results/stream",
                        stream_endpoint(bootstrap.container, self.gate),
                    ),
                ]
            )
        )

    def _cors(self, app: ASGIApp) -> ASGIApp:
        return CORSMiddleware(
            app,
            allow_origins=self.origins,
            allow_methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "If-None-Match"],
            expose_headers=["ETag", "Location", "Retry-After"],
            max_age=600,
        )

    def gate(self) -> TokenGate:
        if self._gate is None:
            raise RuntimeError("the local app has not started")
        return self._gate

    @contextlib.asynccontextmanager
    async def lifespan(self) -> AsyncIterator[None]:
        bootstrap.configure(settings=self.settings, local=True)  # and no EMF metrics
        c = bootstrap.container()
        await c.migrate(IDP_MIGRATIONS)
        resolver()  # the API's routes, before the first request rather than during it
        idp = await LocalIdentityProvider.open(c.store, self.settings)
        self._gate = TokenGate(await self._verifier(idp))
        self._cognito = Router(routes=cognito_routes(idp, allowed_origins=self.origins or ["*"]))
        self._api = self._cors(
            ApiGateway(RouteTable(routes()), self._gate, self.settings.max_body_bytes)
        )
        make_store, owns_store = self._bus_store(c.store)
        publisher = c.publisher and LoopPublisher(c.publisher, asyncio.get_running_loop())
        bus = BusThread(make_store, publisher, owns_store=owns_store)
        await bus.start()
        c.listeners.append(bus.on_recorded)
        try:
            yield
        finally:
            await bus.stop()
            await bootstrap.close()

    async def _verifier(self, idp: LocalIdentityProvider) -> JwtVerifier:
        """The local IdP's verifier, or one of the external pool ``jwks_url`` names."""
        if not self.settings.jwks_url:
            return idp.verifier()
        return JwtVerifier(
            issuer=self.settings.token_issuer,
            client_id=self.settings.user_pool_client_id,
            jwks=await load_jwks(self.settings.jwks_url),
            required_scope=self.settings.jwks_required_scope or ACCESS_SCOPE,
        )

    def _bus_store(self, store: EventStore) -> tuple[Callable[[], EventStore], bool]:
        """The bus's store factory and whether the bus owns (and closes) what it makes."""
        if store.dialect == "sqlite":
            return (lambda: store), False  # SQLite's store serves any loop: share its writer
        return (lambda: bootstrap.open_store(self.settings, pool_size=2)), True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self._lifespan(receive, send)
            return
        if kind == "websocket":
            await self._trusted_socket(scope, receive, send)
            return
        if kind != "http":
            return
        await self._trusted(scope, receive, send)

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._api is None or self._cognito is None:
            await _send(send, 503, [(b"retry-after", b"1")], b"starting")
            return
        path: str = scope["path"]
        if path == "/cognito" or path.startswith("/cognito/"):
            await self._cognito(scope, receive, send)
        elif path == "/config.json" or STREAM_PATH.match(path):
            await self._extras(scope, receive, send)
        elif self.site.wants(scope):
            await self.site(scope, receive, send)
        else:
            await self._api(scope, receive, send)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == REALTIME_PATH and self._gate is not None:
            await self._realtime(scope, receive, send)
        else:  # no such socket (or not started yet): the handshake fails
            await send({"type": "websocket.close", "code": 1000})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        message = await receive()
        assert message["type"] == "lifespan.startup"
        running = self.lifespan()
        try:
            await running.__aenter__()
        except BaseException as e:
            await send({"type": "lifespan.startup.failed", "message": repr(e)})
            raise
        await send({"type": "lifespan.startup.complete"})
        if self.on_ready is not None:
            self.on_ready()
        message = await receive()
        try:
            await running.__aexit__(None, None, None)
        finally:
            await send({"type": "lifespan.shutdown.complete"})


def create_app(settings: Settings) -> LocalApp:
    """The local app for ``settings`` (``public_url`` should be the URL it is served at)."""
    return LocalApp(settings)
