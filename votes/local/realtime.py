"""``/event/realtime``: live tallies over AWS AppSync Events' WebSocket protocol, locally.

The browser client follows a poll the same way on AWS and here: it speaks the AppSync Events
WebSocket protocol, to AppSync's real-time endpoint there and to this one in ``votes serve``.
What this endpoint implements is the part of the protocol the client uses, as AWS documents it
(AppSync Events Developer Guide, "Understanding the Event API WebSocket protocol",
https://docs.aws.amazon.com/appsync/latest/eventapi/event-api-websocket-protocol.html, and
"Publish events via WebSocket", .../publish-websocket.html):

* **Connect** to ``/event/realtime`` offering two subprotocols: ``aws-appsync-event-ws`` and
  ``header-<base64url(JSON)>``, the JSON being the authorization headers
  (``{"host": <the API's HTTP host>, "Authorization": <Cognito access token>}``; base64url
  without padding). The server selects ``aws-appsync-event-ws``.
* Client ``{"type": "connection_init"}`` -> server ``{"type": "connection_ack",
  "connectionTimeoutMs": 300000}``, then ``{"type": "ka"}`` every ``live_keepalive`` s (a
  client that hears nothing for ``connectionTimeoutMs`` reconnects). A missing, forged or
  expired token instead gets ``{"type": "connection_error", "errors": [{"errorType":
  "UnauthorizedException", "message"}]}`` and the connection is closed.
* Client ``{"type": "subscribe", "id", "channel": "/tallies/<pollId>", "authorization":
  {...the same headers...}}`` -> ``{"type": "subscribe_success", "id"}``, or
  ``{"type": "subscribe_error", "id", "errors": [{"errorType", "message"}]}``. The token is
  checked again, then the subscribe rule AppSync's ``onSubscribe`` handler applies on AWS
  (:func:`votes.live.subscribe.authorize`: an access token, a poll's channel, results visible
  to the caller -- an open ``after_vote`` poll refuses who has not voted and is no admin).
* Then ``{"type": "data", "id", "event": "<TallyUpdated JSON text>"}`` for every update of the
  poll -- the text the push Lambda publishes to AppSync on AWS. As on AWS, nothing is sent on
  subscribing: the client reads ``GET /results`` once subscribed.
* Client ``{"type": "unsubscribe", "id"}`` -> ``{"type": "unsubscribe_success", "id"}`` (or
  ``unsubscribe_error`` for an unknown id).
* Client ``{"type": "publish", ...}`` -> ``publish_error`` ``UnauthorizedException``: on AWS
  only the push Lambda's IAM role may publish to the ``tallies`` namespace.
* Anything else -> ``{"type": "error", "errors": [{"errorType": "BadRequestException"}]}``.

Local rules where AWS documents none: the connection is closed, after a
``connection_error`` saying so, when the earliest-expiring token it holds (the connection's,
or a subscription's) expires, plus the verifier's leeway -- so a session that ended stops
hearing results (the client reconnects with a fresh token); at most ``MAX_SUBSCRIPTIONS``
subscriptions per connection; ``connection_init`` must come within ``INIT_TIMEOUT_S``; and, as
for every route of the local app, a handshake naming a Host outside the allowlist is refused
(DNS rebinding; :mod:`votes.local.server`).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from projections import TallyUpdated
from votes.bootstrap import Container
from votes.live.subscribe import BAD_REQUEST, UNAUTHORIZED, SubscribeRefused, authorize
from votes.local.auth import InvalidToken
from votes.local.tokens import TokenGate
from votes.observability import logger

__all__ = ["PROTOCOL", "RealtimeEndpoint", "decode_header", "encode_header"]

PROTOCOL = "aws-appsync-event-ws"
HEADER_PREFIX = "header-"
MAX_SUBSCRIPTIONS = 100
INIT_TIMEOUT_S = 10.0
TIMEOUT_KEEPALIVES = 5
"""``connectionTimeoutMs`` is this many keep-alive intervals (AppSync: 300000 ms)."""


def encode_header(headers: dict[str, str]) -> str:
    """The ``header-...`` subprotocol carrying ``headers`` (base64url, no padding)."""
    raw = base64.urlsafe_b64encode(json.dumps(headers).encode()).rstrip(b"=").decode()
    return HEADER_PREFIX + raw


def decode_header(subprotocols: list[str]) -> dict[str, Any]:
    """The authorization headers of the ``header-...`` subprotocol ({} if none or garbled)."""
    for offered in subprotocols:
        if offered.startswith(HEADER_PREFIX):
            data = offered[len(HEADER_PREFIX) :]
            try:
                headers = json.loads(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))
            except (binascii.Error, ValueError):
                return {}
            return headers if isinstance(headers, dict) else {}
    return {}


def token_of(headers: Any) -> str | None:
    """The token of an authorization headers object (its ``Authorization``, any case)."""
    if not isinstance(headers, dict):
        return None
    for name, value in headers.items():
        if isinstance(name, str) and name.lower() == "authorization" and isinstance(value, str):
            return value
    return None


def _errors(error_type: str, message: str) -> list[dict[str, str]]:
    return [{"errorType": error_type, "message": message}]


@dataclass
class _Connection:
    """One client's socket: its subscriptions, and until when its tokens hold."""

    socket: WebSocket
    expires: float
    subscriptions: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(self, message: dict[str, Any]) -> None:
        async with self.lock:
            await self.socket.send_text(json.dumps(message, separators=(",", ":")))

    def hold_until(self, expires: float) -> None:
        if expires < self.expires:
            self.expires = expires
            self.changed.set()


class RealtimeEndpoint:
    """The ASGI WebSocket app at ``/event/realtime``."""

    def __init__(
        self,
        get_container: Callable[[], Container],
        gate: Callable[[], TokenGate],
        *,
        keepalive: float = 60.0,
    ) -> None:
        self.get_container = get_container
        self.gate = gate
        self.keepalive = keepalive

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        socket = WebSocket(scope, receive, send)
        offered: list[str] = list(scope.get("subprotocols") or [])
        if PROTOCOL not in offered:
            await socket.close(code=1002)  # the handshake fails: not this protocol
            return
        await socket.accept(subprotocol=PROTOCOL)
        try:
            connection = await self._open(socket, decode_header(offered))
            if connection is not None:
                await self._serve(connection)
        except WebSocketDisconnect:
            pass

    async def _open(self, socket: WebSocket, headers: dict[str, Any]) -> _Connection | None:
        """Wait for ``connection_init`` and admit the connection's token (None: refused)."""
        try:
            first = await asyncio.wait_for(_receive(socket), INIT_TIMEOUT_S)
        except TimeoutError:
            await socket.close(code=1000)
            return None
        if _message(first).get("type") != "connection_init":
            await self._refuse(socket, BAD_REQUEST, "connection_init must come first")
            return None
        try:
            _, expires = self.gate().admit(token_of(headers))
        except InvalidToken as e:
            await self._refuse(socket, UNAUTHORIZED, e.message)
            return None
        connection = _Connection(socket, expires)
        timeout_ms = int(self.keepalive * TIMEOUT_KEEPALIVES * 1000)
        await connection.send({"type": "connection_ack", "connectionTimeoutMs": timeout_ms})
        return connection

    async def _refuse(self, socket: WebSocket, error_type: str, message: str) -> None:
        text = json.dumps({"type": "connection_error", "errors": _errors(error_type, message)})
        await socket.send_text(text)
        await socket.close(code=1000)

    async def _serve(self, connection: _Connection) -> None:
        reader = asyncio.create_task(self._read(connection))
        keepalive = asyncio.create_task(self._keepalive(connection))
        expiry = asyncio.create_task(self._expire(connection))
        try:
            await asyncio.wait({reader, keepalive, expiry}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in [reader, keepalive, expiry, *connection.subscriptions.values()]:
                task.cancel()
            for task in [reader, keepalive, expiry, *connection.subscriptions.values()]:
                with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, Exception):
                    await task

    async def _keepalive(self, connection: _Connection) -> None:
        while True:
            await asyncio.sleep(self.keepalive)
            await connection.send({"type": "ka"})

    async def _expire(self, connection: _Connection) -> None:
        """Close the connection once its earliest-expiring token expires."""
        while True:
            connection.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(connection.changed.wait(), connection.expires - time.time())
                continue  # a subscription brought an earlier expiry: wait for that one
            message = "the token has expired: connect again with a fresh one"
            await connection.send(
                {"type": "connection_error", "errors": _errors(UNAUTHORIZED, message)}
            )
            await connection.socket.close(code=1000)
            return

    async def _read(self, connection: _Connection) -> None:
        while True:
            message = _message(await _receive(connection.socket))
            kind = message.get("type")
            if kind == "subscribe":
                await self._subscribe(connection, message)
            elif kind == "unsubscribe":
                await self._unsubscribe(connection, message)
            elif kind == "publish":
                refusal = "only the push function may publish to this namespace"
                await connection.send(
                    {
                        "type": "publish_error",
                        "id": message.get("id"),
                        "errors": _errors(UNAUTHORIZED, refusal),
                    }
                )
            elif kind == "connection_init":
                continue
            else:
                unknown = f"unsupported message type {kind!r}" if kind else "not a JSON message"
                await connection.send({"type": "error", "errors": _errors(BAD_REQUEST, unknown)})

    async def _subscribe(self, connection: _Connection, message: dict[str, Any]) -> None:
        sub_id = message.get("id")
        if not isinstance(sub_id, str) or not 0 < len(sub_id) <= 128:
            problem = "a subscription needs an id (1-128 characters)"
            await connection.send({"type": "error", "errors": _errors(BAD_REQUEST, problem)})
            return
        try:
            poll_id, expires = await self._admit(connection, sub_id, message)
        except SubscribeRefused as e:
            errors = _errors(e.error_type, e.message)
            await connection.send({"type": "subscribe_error", "id": sub_id, "errors": errors})
            return
        container = self.get_container()
        if container.publisher is None:
            raise RuntimeError("live results need the in-process publisher")
        subscribed = asyncio.Event()
        task = asyncio.create_task(self._forward(connection, sub_id, poll_id, subscribed))
        connection.subscriptions[sub_id] = task
        await subscribed.wait()
        connection.hold_until(expires)
        await connection.send({"type": "subscribe_success", "id": sub_id})

    async def _admit(
        self, connection: _Connection, sub_id: str, message: dict[str, Any]
    ) -> tuple[str, float]:
        """The poll a subscribe message may follow and until when its token holds."""
        if sub_id in connection.subscriptions:
            raise SubscribeRefused(BAD_REQUEST, f"subscription {sub_id!r} already exists")
        if len(connection.subscriptions) >= MAX_SUBSCRIPTIONS:
            raise SubscribeRefused(BAD_REQUEST, f"at most {MAX_SUBSCRIPTIONS} subscriptions")
        channel = message.get("channel")
        if not isinstance(channel, str):
            raise SubscribeRefused(BAD_REQUEST, "a subscription needs a channel")
        try:
            jwt, expires = self.gate().admit(token_of(message.get("authorization")))
        except InvalidToken as e:
            raise SubscribeRefused(UNAUTHORIZED, e.message) from e
        service = self.get_container().service
        try:
            poll_id = await authorize(service, channel, jwt["claims"])
        except SubscribeRefused:
            raise
        except Exception as e:
            logger.exception("subscribe check failed", extra={"channel": channel})
            failure = "the subscription could not be checked; try again"
            raise SubscribeRefused("InternalFailure", failure) from e
        return poll_id, expires

    async def _forward(
        self, connection: _Connection, sub_id: str, poll_id: str, subscribed: asyncio.Event
    ) -> None:
        """Send each newer update of ``poll_id`` as the subscription's data."""
        publisher = self.get_container().publisher
        assert publisher is not None
        async with publisher.subscribe(poll_id) as queue:
            subscribed.set()
            last = 0
            while True:
                update: TallyUpdated = await queue.get()
                if update.position <= last:
                    continue
                last = update.position
                await connection.send({"type": "data", "id": sub_id, "event": update.to_json()})

    async def _unsubscribe(self, connection: _Connection, message: dict[str, Any]) -> None:
        sub_id = message.get("id")
        task = connection.subscriptions.pop(sub_id, None) if isinstance(sub_id, str) else None
        if task is None:
            errors = _errors(BAD_REQUEST, f"no subscription {sub_id!r}")
            await connection.send({"type": "unsubscribe_error", "id": sub_id, "errors": errors})
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await connection.send({"type": "unsubscribe_success", "id": sub_id})


async def _receive(socket: WebSocket) -> str:
    """The next text frame ("" for a binary one); WebSocketDisconnect once the client left."""
    message = await socket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    text = message.get("text")
    return text if isinstance(text, str) else ""


def _message(text: str) -> dict[str, Any]:
    """A client message ({} if it is not a JSON object)."""
    try:
        message = json.loads(text)
    except ValueError:
        return {}
    return message if isinstance(message, dict) else {}
