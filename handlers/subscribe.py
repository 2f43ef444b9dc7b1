"""Lambda entry of the subscribe check: AppSync Events' ``onSubscribe`` handler of the
``tallies`` namespace (direct Lambda integration) asks whether the caller may follow a poll's
live tally (:mod:`votes.live.subscribe`)."""

from __future__ import annotations

from typing import Any

from votes.observability import set_lambda_context

__all__ = ["handler"]


def handler(event: dict[str, Any], context: Any) -> Any:
    """None to allow the subscription; an UnauthorizedException (or an error) refuses it."""
    # Lazy: with these imported at module level the cold import took 600 ms instead of 60 ms
    # (median of 9 fresh processes, loaded 2-core machine: the composition root, the domain,
    # Powertools' AppSync resolver); the first invocation imports them.
    from votes import bootstrap
    from votes.live.subscribe import handle

    set_lambda_context(context)
    return handle(event, context, bootstrap.container().service)
