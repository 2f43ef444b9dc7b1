"""CloudFormation custom resource: brings the database schema up to date at each deploy.

On ``Create`` and ``Update`` :func:`respond` runs the migration it is given (every component's,
each at most once), then answers CloudFormation by a ``PUT`` of the cfn-response JSON to the
presigned ``ResponseURL``. ``Delete`` answers SUCCESS and changes nothing: the data outlives
the stack's custom resource. Every path answers, also on errors and shortly before the
function would time out, so a stack never hangs for an hour waiting. Invoked without a
``ResponseURL`` (``aws lambda invoke``) it just migrates and returns.
"""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.request
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from votes import runtime

if TYPE_CHECKING:
    from vote_domain import Migration

__all__ = ["PHYSICAL_ID", "respond", "send_response"]

log = logging.getLogger(__name__)

PHYSICAL_ID = "votes-database-schema"
SAFETY_S = 10.0  # answer this long before the function's deadline
MAX_REASON = 1000

Migrate = Callable[[], Awaitable[Sequence["Migration"]]]


def respond(event: dict[str, Any], context: Any, migrate: Migrate) -> dict[str, Any]:
    """Handle one custom resource event with ``migrate`` (the migrations applied now);
    the outcome, also sent to CloudFormation when the event has a ``ResponseURL``."""
    outcome: dict[str, Any] = {"Status": "SUCCESS", "Data": {}}
    if event.get("RequestType", "Create") != "Delete":
        try:
            applied = runtime.run(_within_deadline(migrate, context))
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


async def _within_deadline(migrate: Migrate, context: Any) -> Sequence[Migration]:
    budget = runtime.seconds_left(context, reserve=SAFETY_S)
    return await asyncio.wait_for(migrate(), timeout=budget)


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
