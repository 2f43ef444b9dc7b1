"""CloudFormation custom resource: brings the database schema up to date at each deploy.

On ``Create`` and ``Update`` it applies every component's migrations (the event store's own,
the tally projection's, the relay's), each at most once, then answers CloudFormation by a
``PUT`` of the cfn-response JSON to the presigned ``ResponseURL``. ``Delete`` answers SUCCESS
and changes nothing: the data outlives the stack's custom resource. Every path answers, also
on errors and shortly before the function would time out, so a stack never hangs for an hour
waiting. Invoked without a ``ResponseURL`` (``aws lambda invoke``) it just migrates and returns.
"""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.request
from collections.abc import Sequence
from typing import Any

from vote_domain.stores.base import EventStore, Migration

__all__ = ["PHYSICAL_ID", "all_migrations", "apply_all", "handler", "migrate", "send_response"]

log = logging.getLogger(__name__)

PHYSICAL_ID = "votes-database-schema"
SAFETY_MS = 10_000  # answer this long before the function's deadline
MAX_REASON = 1000


def all_migrations(*, local: bool = False) -> list[Migration]:
    """Every component's migrations: the tally projection's and the relay's
    (``relay_published``), plus the local identity provider's users when ``local`` (the local
    app and CLI only; that module is not part of the Lambda package). The event store's own
    (the event log) come first by themselves: every ``store.migrate`` applies them."""
    from handlers.relay import MIGRATIONS as RELAY
    from projections.schema import MIGRATIONS as PROJECTIONS

    found = [*PROJECTIONS, *RELAY]
    if local:
        from votes.local.idp.users import MIGRATIONS as LOCAL_IDP

        found += LOCAL_IDP
    return found


async def apply_all(store: EventStore, *, local: bool = False) -> list[Migration]:
    """Bring ``store``'s schema up to date: the event log's, then :func:`all_migrations`
    (each at most once); the migrations applied now. The one migration path of the Lambda
    custom resource, ``Container.migrate`` (the local server) and ``votes db migrate``."""
    return await store.migrate(all_migrations(local=local))


async def migrate(migrations: Sequence[Migration] | None = None) -> list[Migration]:
    """Apply the migrations not yet applied to the container's store; those applied now."""
    from votes import bootstrap

    c = bootstrap.container()
    if migrations is None:
        return await c.migrate()
    return await c.store.migrate(migrations)


def send_response(
    event: dict[str, Any],
    context: Any,
    status: str,
    *,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
    timeout: float = 30.0,
) -> None:
    """PUT the custom resource's outcome to ``event["ResponseURL"]`` (as cfn-response does)."""
    stream = getattr(context, "log_stream_name", "")
    body = json.dumps(
        {
            "Status": status,
            "Reason": (reason or f"See CloudWatch log stream {stream}")[:MAX_REASON],
            "PhysicalResourceId": event.get("PhysicalResourceId") or PHYSICAL_ID,
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
            "NoEcho": False,
            "Data": data or {},
        }
    ).encode()
    request = urllib.request.Request(
        event["ResponseURL"],
        data=body,
        method="PUT",
        headers={"Content-Type": "", "Content-Length": str(len(body))},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        log.info("answered CloudFormation: %s (HTTP %s)", status, response.status)


async def _with_deadline(context: Any) -> list[Migration]:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return await migrate()
    budget = max(1.0, (remaining() - SAFETY_MS) / 1000)
    return await asyncio.wait_for(migrate(), timeout=budget)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry for the custom resource (or a direct invocation)."""
    from votes import runtime

    request_type = event.get("RequestType", "Create")
    outcome: dict[str, Any] = {"Status": "SUCCESS", "Data": {}}
    if request_type != "Delete":
        try:
            applied = runtime.run(_with_deadline(context))
            names = [f"{m.component}:{m.version}" for m in applied]
            log.info("schema up to date", extra={"applied": names})
            outcome["Data"] = {"Applied": ",".join(names) or "none"}
        except Exception as e:
            log.exception("migration failed")
            kind = "timed out" if isinstance(e, TimeoutError) else f"{type(e).__name__}: {e}"
            outcome = {"Status": "FAILED", "Reason": f"migration failed: {kind}", "Data": {}}
    if event.get("ResponseURL"):
        send_response(
            event,
            context,
            outcome["Status"],
            reason=outcome.get("Reason"),
            data=outcome["Data"],
        )
    return outcome
