"""Lambda entry of the Cognito pre sign-up trigger (wired only on stages that enable it):
auto-confirms self-service sign-ups when this stage asks for it (:mod:`votes.presignup`)."""

from __future__ import annotations

from typing import Any

from votes.presignup import auto_confirm, enabled

__all__ = ["handler"]


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The event back, confirmed when this stage confirms sign-ups."""
    return auto_confirm(event) if enabled() else event
