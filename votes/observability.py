"""Structured JSON logs with a correlation id per request and per event, and CloudWatch
metrics (EMF).

``logger`` and ``metrics`` are Powertools' (service ``votes``, namespace ``Votes`` unless
POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE say otherwise; importing this module
reads the environment and writes nothing to it). The correlation id of a
request is API Gateway's ``requestContext.requestId``, kept in a context variable so concurrent
requests in the local server never mix theirs; an event's is ``<originator id>:<version>``.

Metrics (all in the namespace, dimension ``service``):

* ``VoteCast``, ``VoteChanged``, ``VoteRetried``, ``VoteRetracted`` -- votes recorded;
* ``VoteConflict`` -- 409 answers; ``VoteRejected`` -- every other 4xx answer of the API, and
  ``RequestRejected`` the same with a dimension ``code``, its error code (a closed set:
  :data:`votes.http.errors.STATUS_BY_CODE`);
* ``EventsProjected`` and ``ProjectorLag`` (one sample per projected event, in ms from the
  event's timestamp to its batch's commit) -- from the projector Lambda.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

__all__ = [
    "correlation_id",
    "count",
    "count_by",
    "log_metrics",
    "log_request",
    "logger",
    "metrics",
    "samples",
    "set_lambda_context",
    "set_metrics_enabled",
]

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME") or "votes"
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "Votes"

Handler = TypeVar("Handler", bound=Callable[..., Any])

correlation_id: ContextVar[str | None] = ContextVar("votes_correlation_id", default=None)


class _CorrelationFilter(logging.Filter):
    """Stamps each record with the current request's correlation id."""

    def filter(self, record: logging.LogRecord) -> bool:
        current = correlation_id.get()
        if current is not None:  # else keep what Logger.set_correlation_id put there
            record.correlation_id = current
        return True


logger = Logger(service=SERVICE)
logger.addFilter(_CorrelationFilter())
# Powertools' handler writes each line; the root logger's (the Lambda runtime's text handler,
# when it was added after this import) must not write it again.
logging.getLogger(logger.name).propagate = False
metrics = Metrics(service=SERVICE, namespace=NAMESPACE)

_metrics_enabled = True


def set_metrics_enabled(enabled: bool) -> None:
    """Turn EMF metrics on or off for this process (the local app keeps them off)."""
    global _metrics_enabled
    _metrics_enabled = enabled


def count(name: str, value: int = 1) -> None:
    """Add ``value`` to the counter metric ``name`` for the current invocation."""
    if _metrics_enabled:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def count_by(name: str, dimension: str, value: str) -> None:
    """Count one ``name`` with ``dimension`` = ``value`` (a metric of its own, printed at once:
    Powertools' dimensions apply to every metric of an invocation). Keep ``value`` to a small
    closed set: each distinct value is a CloudWatch metric."""
    if _metrics_enabled:
        with single_metric(
            name=name,
            unit=MetricUnit.Count,
            value=1,
            namespace=NAMESPACE,
            default_dimensions={"service": SERVICE},
        ) as metric:
            metric.add_dimension(name=dimension, value=value)


def samples(name: str, unit: MetricUnit, values: Iterable[float]) -> None:
    """Record each of ``values`` as one sample of ``name`` (EMF keeps them all, so CloudWatch
    computes any percentile over them)."""
    if _metrics_enabled:
        for value in values:
            metrics.add_metric(name=name, unit=unit, value=value)


def log_metrics(handler: Handler) -> Handler:
    """A Lambda handler that prints its invocation's EMF metrics when it returns or raises, as
    Powertools' ``metrics.log_metrics`` does, minus that one's warning for an invocation that
    recorded no metric (most API calls record none)."""

    @functools.wraps(handler)
    def logged(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        finally:
            if metrics.metric_set:
                metrics.flush_metrics()

    return logged  # type: ignore[return-value]


def set_lambda_context(context: Any) -> None:
    """Put the Lambda context's fields (function name, ``function_request_id``...) on every
    log line of this invocation, those it has (none for direct calls without a context)."""
    fields = {
        "function_name": getattr(context, "function_name", None),
        "function_memory_size": getattr(context, "memory_limit_in_mb", None),
        "function_arn": getattr(context, "invoked_function_arn", None),
        "function_request_id": getattr(context, "aws_request_id", None),
    }
    logger.append_keys(**{k: v for k, v in fields.items() if v is not None})


def log_request(event: dict[str, Any], status: int, started: float) -> None:
    """The one log line of an API request: method, route, path (never the query string),
    status and latency since ``started`` (a ``time.perf_counter()``)."""
    context = event.get("requestContext") or {}
    logger.info(
        "request",
        extra={
            "correlation_id": context.get("requestId"),
            "method": (context.get("http") or {}).get("method"),
            "route": event.get("routeKey"),
            "path": event.get("rawPath"),
            "status": status,
            "latency_ms": round((time.perf_counter() - started) * 1000, 2),
        },
    )
