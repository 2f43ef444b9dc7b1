"""Cognito pre sign-up trigger: confirms new users (and verifies their email) at once.

Attached only on stages that enable it (dev, load tests) and, as a second guard, active only
when ``VOTES_AUTO_CONFIRM_SIGNUPS`` is true in the function's environment: the same code can
never confirm sign-ups on a stage that did not ask for it. Imports nothing heavy, so it starts
fast.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["handler"]

TRUE = frozenset({"1", "true", "yes", "on"})
SELF_SERVICE = frozenset({"PreSignUp_SignUp", "PreSignUp_ExternalProvider"})


def enabled() -> bool:
    """True when this stage confirms sign-ups automatically."""
    return os.environ.get("VOTES_AUTO_CONFIRM_SIGNUPS", "").strip().lower() in TRUE


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry: the event back, with ``autoConfirmUser`` (and ``autoVerifyEmail`` when
    an email was given) set for self-service sign-ups."""
    if not enabled() or event.get("triggerSource") not in SELF_SERVICE:
        return event
    response = event.get("response")
    if not isinstance(response, dict):
        response = event["response"] = {}
    attributes = (event.get("request") or {}).get("userAttributes") or {}
    response["autoConfirmUser"] = True
    if attributes.get("email"):
        response["autoVerifyEmail"] = True
    return event
