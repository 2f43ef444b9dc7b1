"""``GET /health`` and ``GET /openapi.json`` (no token needed)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from votes.http.openapi import document
from votes.http.resolver import ConcurrentHttpResolver
from votes.http.responses import json_response

__all__ = ["register"]


def register(app: ConcurrentHttpResolver) -> None:
    @app.get("/health")
    async def health() -> Response[str]:
        return json_response(200, {"status": "ok"})

    @app.get("/openapi.json")
    async def openapi() -> Response[str]:
        return json_response(200, document())
