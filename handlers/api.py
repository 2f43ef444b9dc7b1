"""Lambda entry of the HTTP API (API Gateway HTTP API, payload format 2.0): every route."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths

from votes import runtime
from votes.http.api import handle
from votes.observability import log_metrics, logger

__all__ = ["handler"]


@log_metrics
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Resolve the request on the process's long-lived loop."""
    return runtime.run(handle(event, context))
