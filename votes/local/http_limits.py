"""Two limits uvicorn's httptools protocol lacks, for ``votes serve`` (``SERVER_OPTIONS``).

uvicorn bounds a request head only in its pure-Python h11 protocol
(``h11_max_incomplete_event_size``), and starts no timer on a request that is still arriving:
its keep-alive timeout runs only between requests. Measured on uvicorn 0.54 with httptools, a
client sending one endless header line had 200 MB buffered, and a connection that sent half a
request head (or nothing) stayed open for good -- enough idle sockets fill
``limit_concurrency`` and every other client gets 503. :class:`BoundedHttpToolsProtocol` is
uvicorn's httptools protocol (kept for its speed: ``bench/http_cast.py``) with

* a head limit: a request whose line and headers pass :data:`MAX_HEAD_BYTES` before they end
  gets ``431 Request Header Fields Too Large`` and the connection is closed;
* a deadline: each request must arrive whole (head and body) within
  :data:`REQUEST_TIMEOUT_S` of its first byte, or of the connection's opening for the first
  one. A head still incomplete then gets ``408 Request Timeout``; a body still incomplete
  closes the connection, which the application sees as a disconnect (and so serves nothing,
  see :mod:`votes.local.server`).

uvicorn accepts a protocol class as its ``http`` option; the class changes nothing else.
"""

from __future__ import annotations

import asyncio
from http import HTTPStatus

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

__all__ = ["MAX_HEAD_BYTES", "REQUEST_TIMEOUT_S", "BoundedHttpToolsProtocol"]

MAX_HEAD_BYTES = 16 * 1024
"""Request line and headers, in bytes: uvicorn's own default for h11. (API Gateway allows 10 KB
of request line and header values; locally, browsers also send every cookie set for
``localhost`` on any port, so the local limit is a little more generous.)"""
REQUEST_TIMEOUT_S = 10.0
"""Seconds a request may take to arrive whole, from its first byte."""


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a request-head limit and a request deadline."""

    max_head_bytes = MAX_HEAD_BYTES
    request_timeout_s = REQUEST_TIMEOUT_S

    _deadline: asyncio.TimerHandle | None = None
    _head_bytes = 0
    _in_head = True

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()  # the first request's clock starts with the connection

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._in_head and not self.transport.is_closing():
            # (bytes that completed a head in this chunk were not counted: the head ended)
            self._head_bytes += len(data)
            if self._head_bytes > self.max_head_bytes:
                self._refuse(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head, self._head_bytes = True, 0
        if self._deadline is None:
            self._arm()

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm()

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.request_timeout_s, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        cycle: RequestResponseCycle | None = self.cycle  # (None before the first request)
        if self._in_head and (cycle is None or cycle.response_complete):
            self._refuse(HTTPStatus.REQUEST_TIMEOUT)
        else:  # the application is reading the body: it sees a disconnect
            self.transport.close()

    def _refuse(self, status: HTTPStatus) -> None:
        """Answer ``status`` (no application involved) and close the connection."""
        body = status.phrase.encode("ascii")
        self.transport.write(
            b"HTTP/1.1 %d %s\r\ncontent-type: text/plain; charset=utf-8\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n%s"
            % (status.value, body, len(body), body)
        )
        self.transport.close()
