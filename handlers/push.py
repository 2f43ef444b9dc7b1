"""Lambda entry of the push function: SQS batches of ``TallyUpdated`` (the SNS topic's queue,
event source mapping with ``ReportBatchItemFailures``) published to their polls' AppSync
Events channels (:mod:`votes.live.push`)."""

from __future__ import annotations

from typing import Any

from votes import runtime
from votes.observability import set_lambda_context

__all__ = ["handler"]


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Push the batch; SQS's partial batch response (the records to retry)."""
    # Lazy: with these imported at module level a fresh process took 1,300 ms instead of 160 ms
    # to import the entry (python start included; median of 9 processes from the unzipped
    # package, loaded 2-core machine: aiohttp, botocore, pydantic, the composition root); the
    # first invocation imports them.
    from votes import bootstrap
    from votes.live.push import push_batch

    set_lambda_context(context)
    return runtime.run(push_batch(bootstrap.container().pusher, event))
