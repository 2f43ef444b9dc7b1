"""The AppSync Events channels live tallies travel on: one per poll, ``/tallies/<pollId>``.

A channel path is ``/<namespace>/<segment>...`` (AppSync Events: a namespace, then up to four
more segments of letters, digits and dashes). The namespace is the template's
``TalliesNamespace`` (deploy/live.yml; a deploy test checks the two agree), the segment the
poll's canonical UUID, so a channel names exactly one poll.
"""

from __future__ import annotations

from uuid import UUID

__all__ = ["NAMESPACE", "channel_of", "poll_of"]

NAMESPACE = "tallies"


def channel_of(poll_id: str | UUID) -> str:
    """The channel of a poll's tally (ValueError if ``poll_id`` is not a UUID)."""
    return f"/{NAMESPACE}/{UUID(str(poll_id))}"


def poll_of(channel: str) -> str | None:
    """The poll id a tally channel names; None if ``channel`` is not one -- the id must be
    spelt canonically (lower case, dashes), as :func:`channel_of` spells it, or nothing would
    ever be published there."""
    parts = channel.split("/")
    if len(parts) != 3 or parts[0] != "" or parts[1] != NAMESPACE:
        return None
    try:
        canonical = str(UUID(parts[2]))
    except ValueError:
        return None
    return canonical if canonical == parts[2] else None
