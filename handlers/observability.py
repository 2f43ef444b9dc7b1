"""Structured JSON logs with a correlation id per request, and CloudWatch metrics (EMF).

``logger`` and ``metrics`` are Powertools' (service ``votes``, namespace ``Votes`` unless
POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE say otherwise). The correlation id is
kept in a context variable, so concurrent requests in the local server never mix theirs.
"""

from __future__ import annotations

import logging
import os
import warnings
from contextvars import ContextVar

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

__all__ = ["correlation_id", "count", "logger", "metrics", "set_metrics_enabled"]

os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "votes")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Votes")

correlation_id: ContextVar[str | None] = ContextVar("votes_correlation_id", default=None)


class _CorrelationFilter(logging.Filter):
    """Stamps each record with the current request's correlation id."""

    def filter(self, record: logging.LogRecord) -> bool:
        current = correlation_id.get()
        if current is not None:  # else keep what Logger.set_correlation_id put there
            record.correlation_id = current
        return True


logger = Logger()
logger.addFilter(_CorrelationFilter())
metrics = Metrics()
# Most requests record no metric; Powertools would warn about each such invocation.
warnings.filterwarnings("ignore", message="No application metrics to publish")

_metrics_enabled = True


def set_metrics_enabled(enabled: bool) -> None:
    """Turn EMF metrics on or off for this process (the local app keeps them off)."""
    global _metrics_enabled
    _metrics_enabled = enabled


def count(name: str, value: int = 1) -> None:
    """Add ``value`` to the counter metric ``name`` for the current invocation."""
    if _metrics_enabled:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
