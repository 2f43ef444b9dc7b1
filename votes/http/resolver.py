"""The HTTP API resolver, safe for many requests at once in one process.

Powertools' resolvers keep the current event, Lambda context and routing context in class and
instance attributes: fine in Lambda (one request per container at a time), wrong in the local
server, which resolves many requests concurrently on one event loop. Here those three live in
context variables instead, so each request (each asyncio task or thread) sees only its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any, cast

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

__all__ = ["ConcurrentHttpResolver"]

_event: ContextVar[APIGatewayProxyEventV2] = ContextVar("votes_current_event")
_lambda_context: ContextVar[Any] = ContextVar("votes_lambda_context", default=None)
_routing: ContextVar[dict[str, Any]] = ContextVar("votes_routing_context")


class ConcurrentHttpResolver(APIGatewayHttpResolver):
    """An :class:`APIGatewayHttpResolver` whose per-request state is task- and thread-local."""

    @property  # type: ignore[override]
    def current_event(self) -> APIGatewayProxyEventV2:
        return _event.get()

    @current_event.setter
    def current_event(self, value: APIGatewayProxyEventV2) -> None:
        _event.set(value)

    @property
    def lambda_context(self) -> Any:
        return _lambda_context.get()

    @lambda_context.setter
    def lambda_context(self, value: Any) -> None:
        _lambda_context.set(value)

    @property
    def context(self) -> dict[str, Any]:
        try:
            return _routing.get()
        except LookupError:
            fresh: dict[str, Any] = {}
            _routing.set(fresh)
            return fresh

    @context.setter
    def context(self, value: dict[str, Any]) -> None:
        _routing.set(value)

    def _to_proxy_event(self, event: dict[str, Any]) -> APIGatewayProxyEventV2:
        proxy = cast(APIGatewayProxyEventV2, super()._to_proxy_event(event))
        _event.set(proxy)  # the base class stores it on the class: keep ours per request
        return proxy

    async def resolve_async(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        """Resolve one request; its state is visible only to the calling task."""
        _routing.set({})
        _lambda_context.set(context)
        return await super().resolve_async(event, context)

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        """Resolve one request synchronously (only sync routes); state as in resolve_async."""
        _routing.set({})
        _lambda_context.set(context)
        return super().resolve(event, context)
