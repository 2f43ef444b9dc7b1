"""Lambda entry of the Cognito pre token generation trigger (V2): API tokens carry the
``votes/api`` scope instead of the self-service one (:mod:`votes.pretoken`)."""

from __future__ import annotations

from typing import Any

from votes.pretoken import customize

__all__ = ["handler"]


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The event back, with the access token's scopes overridden."""
    return customize(event)
