"""Load profiles: the four named Artillery phases (three ramps and a wind-down) per profile."""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["PROFILES", "describe", "overrides_for"]

# `full` is also what votes.yml declares (a test keeps the two equal), so that Artillery run by
# hand does the full test; run.py always passes the chosen profile with --overrides.
PROFILES: dict[str, dict[str, Any]] = {
    # Peaks below the local app's knee on a shared 2-core machine (~10 new users/s, each one a
    # sign-up and a sign-in with argon2 and RS256 in the same process as the API; see README).
    "full": {
        "phases": [
            {"name": "warm-up ramp", "duration": 60, "arrivalRate": 1, "rampTo": 3},
            {"name": "steady ramp", "duration": 60, "arrivalRate": 3, "rampTo": 6},
            {"name": "peak ramp", "duration": 60, "arrivalRate": 6, "rampTo": 8},
            {"name": "wind-down", "duration": 30, "arrivalRate": 8, "rampTo": 1},
        ],
        "ensure": {
            "thresholds": [
                {"http.response_time.p99": 2000},
                {"plugins.metrics-by-endpoint.response_time.cast_vote.p99": 500},
            ],
            "maxErrorRate": 1,
        },
    },
    # Well under the local app's knee (see README): a functional check for CI,
    # with latency bounds loose enough for a busy CI machine; no error at all is allowed.
    "smoke": {
        "phases": [
            {"name": "warm-up ramp", "duration": 5, "arrivalRate": 1, "rampTo": 2},
            {"name": "steady ramp", "duration": 5, "arrivalRate": 2, "rampTo": 3},
            {"name": "peak ramp", "duration": 5, "arrivalRate": 3, "rampTo": 4},
            {"name": "wind-down", "duration": 3, "arrivalRate": 4, "rampTo": 1},
        ],
        "ensure": {
            "thresholds": [
                {"http.response_time.p99": 5000},
                {"plugins.metrics-by-endpoint.response_time.cast_vote.p99": 2000},
            ],
            "maxErrorRate": 0,
        },
    },
}


def overrides_for(profile: str, scale: float = 1.0) -> dict[str, Any]:
    """The `--overrides` document for ``profile``, arrival rates multiplied by ``scale``."""
    config = copy.deepcopy(PROFILES[profile])
    for phase in config["phases"]:
        for key in ("arrivalRate", "rampTo"):
            phase[key] = max(1, round(phase[key] * scale))
    return {"config": config}


def describe(overrides: dict[str, Any]) -> str:
    """The phases of an overrides document in words: `name 60 s 1->2/s, ...`."""
    return ", ".join(
        f"{p['name']} {p['duration']} s {p['arrivalRate']}->{p.get('rampTo', p['arrivalRate'])}/s"
        for p in overrides["config"]["phases"]
    )
