"""Channel names: one per poll, spelt one way."""

from __future__ import annotations

from uuid import uuid4

import pytest

from votes.live.channels import NAMESPACE, channel_of, poll_of


def test_a_polls_channel_names_it_back() -> None:
    poll = str(uuid4())
    assert channel_of(poll) == f"/{NAMESPACE}/{poll}"
    assert poll_of(channel_of(poll.upper())) == poll  # any spelling in, the canonical one out


@pytest.mark.parametrize(
    "channel",
    [
        "/tallies",
        "/tallies/",
        "tallies/2b1e6f1a-1c4b-4c51-9f0e-8f3d0a4f5b6c",
        "/other/2b1e6f1a-1c4b-4c51-9f0e-8f3d0a4f5b6c",
        "/tallies/2B1E6F1A-1C4B-4C51-9F0E-8F3D0A4F5B6C",
        "/tallies/2b1e6f1a1c4b4c519f0e8f3d0a4f5b6c",
        "/tallies/2b1e6f1a-1c4b-4c51-9f0e-8f3d0a4f5b6c/x",
        "/tallies/not-a-uuid",
    ],
)
def test_anything_else_names_no_poll(channel: str) -> None:
    assert poll_of(channel) is None
