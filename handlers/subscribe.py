"""Lambda entry of the subscribe check: AppSync Events' ``onSubscribe`` handler of the
``tallies`` namespace (direct Lambda integration) asks whether the caller may follow a poll's
live tally (:mod:`votes.live.subscribe`)."""

from __future__ import annotations

from typing import Any

from votes.observability import set_lambda_context

__all__ = ["handler"]


def handler(event: dict[str, Any], context: Any) -> Any:
    """None to allow the subscription; an UnauthorizedException (or an error) refuses it."""
    # Lazy: with these imported at module level a fresh process took 1,070 ms instead of 240 ms
    # to import the entry (python start included; median of 9 processes from the unzipped
    # package, loaded 2-core machine: the composition root, the domain, Powertools' AppSync
    # resolver); the first invocation imports them.
    from votes import bootstrap
    from votes.live.subscribe import handle

    set_lambda_context(context)
    return handle(event, context, bootstrap.container().service)
