"""A small client of AWS AppSync Events' WebSocket protocol: AWS's real-time endpoint, or the
local one of ``votes serve`` (votes/local/realtime.py describes the protocol, with AWS's URL).

Used by the smoke test of a stage (scripts/smoke-stage.sh, its live-update check), the
benchmark of the live path (bench/lag.py) and the tests of the local endpoint::

    async with EventsClient.connect(url, host=host, token=token) as client:
        await client.subscribe("/tallies/<pollId>")
        received = await client.events.get()   # {"id", "event" (the JSON, parsed), "at"}

From a shell (the token from an environment variable, never the command line)::

    TOKEN=... python scripts/appsync_events.py listen --url wss://.../event/realtime \\
        --host <http host> --channel /tallies/<pollId> --seconds 60

prints one line per event received (``{"id", "event", "at"}``, ``at`` in epoch seconds) and a
final ``{"closed": ...}`` line. Needs the ``websockets`` package (a dependency of the app).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

__all__ = ["PROTOCOL", "EventsClient", "Refused", "header_subprotocol"]

PROTOCOL = "aws-appsync-event-ws"
WAIT_S = 10.0
"""How long the client waits for an answer (an ack, a subscription's success)."""


class Refused(Exception):
    """The server answered with an error message (``message``: all of it)."""

    def __init__(self, message: dict[str, Any]) -> None:
        errors = message.get("errors") or [{}]
        super().__init__(f"{message.get('type')}: {errors}")
        self.message = message
        self.error_type = str(errors[0].get("errorType", ""))


def header_subprotocol(headers: dict[str, str]) -> str:
    """``header-<base64url(JSON)>``, without padding, as AppSync's protocol wants."""
    encoded = base64.urlsafe_b64encode(json.dumps(headers).encode()).rstrip(b"=").decode()
    return f"header-{encoded}"


class EventsClient:
    """One connection: subscriptions, and every message received, in order."""

    def __init__(self, socket: ClientConnection, headers: dict[str, str], ack: dict[str, Any]):
        self.socket = socket
        self.headers = headers
        self.ack = ack
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        """Data messages: ``{"id", "event" (parsed), "at"}``."""
        self.controls: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        """Every other message but ``ka``."""
        self.closed = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    @contextlib.asynccontextmanager
    async def connect(
        cls, url: str, *, host: str, token: str | None, open_timeout: float = WAIT_S
    ) -> AsyncIterator[EventsClient]:
        """Connect, ``connection_init``, wait for ``connection_ack`` (Refused on
        ``connection_error``)."""
        headers = {"host": host} | ({"Authorization": token} if token is not None else {})
        async with connect(
            url,
            subprotocols=[PROTOCOL, header_subprotocol(headers)],
            open_timeout=open_timeout,
            max_size=2**20,
        ) as socket:
            await socket.send(json.dumps({"type": "connection_init"}))
            ack = json.loads(await asyncio.wait_for(socket.recv(), open_timeout))
            if ack.get("type") != "connection_ack":
                raise Refused(ack)
            client = cls(socket, headers, ack)
            try:
                yield client
            finally:
                client._reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await client._reader

    async def _read(self) -> None:
        try:
            async for raw in self.socket:
                message = json.loads(raw)
                kind = message.get("type")
                if kind == "ka":
                    continue
                if kind == "data":
                    event = message.get("event")
                    parsed = json.loads(event) if isinstance(event, str) else event
                    await self.events.put(
                        {"id": message.get("id"), "event": parsed, "at": time.time()}
                    )
                else:
                    await self.controls.put(message)
        except ConnectionClosed:
            pass
        finally:
            self.closed.set()

    async def send(self, message: dict[str, Any]) -> None:
        await self.socket.send(json.dumps(message))

    async def control(self) -> dict[str, Any]:
        """The next non-data message (TimeoutError after ``WAIT_S``)."""
        return await asyncio.wait_for(self.controls.get(), WAIT_S)

    async def subscribe(self, channel: str, *, token: str | None = None) -> str:
        """Subscribe to ``channel`` (with the connection's token unless another is given);
        the subscription id once ``subscribe_success`` came (Refused on ``subscribe_error``)."""
        sub_id = str(uuid.uuid4())
        headers = dict(self.headers)
        if token is not None:
            headers["Authorization"] = token
        await self.send(
            {"type": "subscribe", "id": sub_id, "channel": channel, "authorization": headers}
        )
        answer = await self.control()
        if answer.get("type") != "subscribe_success" or answer.get("id") != sub_id:
            raise Refused(answer)
        return sub_id

    async def unsubscribe(self, sub_id: str) -> None:
        await self.send({"type": "unsubscribe", "id": sub_id})
        answer = await self.control()
        if answer.get("type") != "unsubscribe_success":
            raise Refused(answer)


async def _listen(args: argparse.Namespace) -> int:
    token = os.environ.get(args.token_env)
    if not token:
        print(f"listen: set the token in ${args.token_env}", file=sys.stderr)
        return 2
    async with EventsClient.connect(args.url, host=args.host, token=token) as client:
        sub_id = await client.subscribe(args.channel)
        print(json.dumps({"subscribed": sub_id, "channel": args.channel}), flush=True)
        deadline = time.monotonic() + args.seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                received = await asyncio.wait_for(client.events.get(), min(left, 1.0))
            except TimeoutError:
                if client.closed.is_set():
                    break
                continue
            print(json.dumps(received), flush=True)
        reason = "closed by the server" if client.closed.is_set() else "time is up"
        print(json.dumps({"closed": reason}), flush=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command", required=True)
    listen = commands.add_parser("listen", help="print the events of one channel as JSON lines")
    listen.add_argument("--url", required=True, help="wss://<realtime domain>/event/realtime")
    listen.add_argument("--host", required=True, help="the API's HTTP host (in the header)")
    listen.add_argument("--channel", required=True, help="e.g. /tallies/<pollId>")
    listen.add_argument("--token-env", default="TOKEN", help="variable holding the token")
    listen.add_argument("--seconds", type=float, default=60.0)
    return asyncio.run(_listen(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
