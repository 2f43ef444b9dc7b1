"""Waiting for the live projector to catch up, then comparing its tallies with a replay."""

from __future__ import annotations

import time
from typing import Any

from hardening_app import LiveApp

from projections.verify import verify

__all__ = ["settled_differences"]


def settled_differences(app: LiveApp, *, patience: float = 30.0) -> list[Any]:
    """``votes verify``'s differences once the live projector has caught up.

    The projector runs just behind the log, so differences are re-read until there are none
    or ``patience`` seconds have passed; what is left then is a real difference.
    """
    deadline = time.monotonic() + patience
    while True:
        differences = list(app.run(verify(app.store)))
        if not differences or time.monotonic() > deadline:
            return differences
        time.sleep(0.1)
