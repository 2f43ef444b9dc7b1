"""Who may follow a poll's live tally: the rule AppSync asks before a subscription, and the
local realtime endpoint applies the same way.

A subscriber must hold a verified Cognito **access** token (the API's own rule,
:func:`votes.http.identity.caller_of_claims`), subscribe to a channel naming a poll
(:func:`votes.live.channels.poll_of`), and be allowed to read that poll's results now: an
``after_vote`` poll that is still open shows them only to those who voted in it and to admins
(:meth:`vote_domain.VotingService.require_results_visible`, as ``GET /results`` does). Since
those rules only ever open up (a vote or a close makes results visible, nothing hides them
again), checking once per subscription is enough.

On AWS the ``tallies`` namespace's ``onSubscribe`` handler is a direct Lambda integration
(deploy/live.yml): AppSync verifies the token (Cognito user pool authorization), then invokes
the subscribe function with the caller's identity and the channel; :func:`handle` answers the
way AWS documents for a direct integration (AppSync Events Developer Guide, "Direct data
source integrations using Lambda",
https://docs.aws.amazon.com/appsync/latest/eventapi/direct-lambda-integrations.html) through
Powertools' ``AppSyncEventsResolver``: nothing to allow, an ``UnauthorizedException`` to
refuse (the subscriber gets ``subscribe_error`` / ``UnauthorizedException``), an ``error``
for anything else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.event_handler import AppSyncEventsResolver
from aws_lambda_powertools.event_handler.events_appsync.exceptions import UnauthorizedException

from vote_domain import PollNotFound, ResultsHidden, ValidationFailed, VotingService
from votes import runtime
from votes.http.errors import Unauthenticated
from votes.http.identity import caller_of_claims
from votes.live.channels import poll_of

__all__ = ["BAD_REQUEST", "UNAUTHORIZED", "SubscribeRefused", "authorize", "handle"]

UNAUTHORIZED = "UnauthorizedException"
BAD_REQUEST = "BadRequestException"


class SubscribeRefused(Exception):
    """A subscription that must not start; ``error_type`` as AppSync's protocol names it."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message


async def authorize(service: VotingService, channel: str, claims: Any) -> str:
    """The poll whose tally ``channel`` carries, if the caller with the verified token
    ``claims`` may follow it; else SubscribeRefused (Unavailable if the log is unreachable)."""
    poll_id = poll_of(channel)
    if poll_id is None:
        raise SubscribeRefused(BAD_REQUEST, f"{channel!r} is not a poll's tally channel")
    try:
        who = caller_of_claims(claims)
        await service.require_results_visible(poll_id, who.subject, privileged=who.is_admin)
    except (Unauthenticated, ResultsHidden) as e:
        raise SubscribeRefused(UNAUTHORIZED, f"{e.code}: {e.message}") from e
    except (PollNotFound, ValidationFailed) as e:
        raise SubscribeRefused(BAD_REQUEST, f"{e.code}: {e.message}") from e
    return poll_id


_app = AppSyncEventsResolver()  # type: ignore[no-untyped-call]  # Powertools: no annotation


@_app.on_subscribe("/*")
def _on_subscribe() -> None:
    event = _app.current_event
    identity: Mapping[str, Any] = event.get("identity") or {}
    service: VotingService = _app.context["service"]
    try:
        runtime.run(authorize(service, event.info.channel_path, identity.get("claims")))
    except SubscribeRefused as e:
        if e.error_type == UNAUTHORIZED:
            raise UnauthorizedException(e.message) from e
        raise


def handle(event: dict[str, Any], context: Any, service: VotingService) -> Any:
    """Answer AppSync's direct Lambda invocation for a subscription (None: allowed)."""
    _app.append_context(service=service)  # type: ignore[no-untyped-call]
    return _app.resolve(event, context)
