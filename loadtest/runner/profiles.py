"""Load profiles: the four named Artillery phases (three ramps and a wind-down) per profile."""

from __future__ import annotations

import copy
import math
from typing import Any

__all__ = [
    "PROFILES",
    "PROVISIONED",
    "SCENARIOS",
    "describe",
    "overrides_for",
    "planned_users",
    "step_overrides",
]

# The scenario of votes.yml each kind of profile runs (Artillery's --scenario-name).
SCENARIOS = {"workshop": "sign up and vote", "provisioned": "provisioned voter"}

# `full` is also what votes.yml declares (a test keeps the two equal), so that Artillery run by
# hand does the full test; run.py always passes the chosen profile with --overrides.
# `full` and `smoke` run the workshop's scenario (every virtual user signs up), `api-full` and
# `api-smoke` the provisioned one.
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
    # Provisioned users (the setup step signed them in): the phases drive only the API, four
    # requests a virtual user (register, list, vote, results). The same shape, at API rates:
    # the peak (100 votes/s) is about the local knee on a quiet 2-core machine with Artillery
    # beside the server (README: the knee), past it on a busy one.
    "api-full": {
        "phases": [
            {"name": "warm-up ramp", "duration": 60, "arrivalRate": 5, "rampTo": 25},
            {"name": "steady ramp", "duration": 60, "arrivalRate": 25, "rampTo": 50},
            {"name": "peak ramp", "duration": 60, "arrivalRate": 50, "rampTo": 100},
            {"name": "wind-down", "duration": 30, "arrivalRate": 100, "rampTo": 5},
        ],
        "ensure": {
            "thresholds": [
                {"http.response_time.p99": 2000},
                {"plugins.metrics-by-endpoint.response_time.cast_vote.p99": 500},
            ],
            "maxErrorRate": 1,
        },
    },
    # CI: a few seconds of the provisioned scenario; no error allowed.
    "api-smoke": {
        "phases": [
            {"name": "warm-up ramp", "duration": 3, "arrivalRate": 2, "rampTo": 5},
            {"name": "steady ramp", "duration": 3, "arrivalRate": 5, "rampTo": 8},
            {"name": "peak ramp", "duration": 3, "arrivalRate": 8, "rampTo": 10},
            {"name": "wind-down", "duration": 2, "arrivalRate": 10, "rampTo": 2},
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
PROVISIONED = frozenset({"api-full", "api-smoke"})
"""Profiles of the provisioned scenario; the others run the workshop's sign-up scenario."""


def overrides_for(profile: str, scale: float = 1.0) -> dict[str, Any]:
    """The `--overrides` document for ``profile``, arrival rates multiplied by ``scale``."""
    config = copy.deepcopy(PROFILES[profile])
    for phase in config["phases"]:
        for key in ("arrivalRate", "rampTo"):
            phase[key] = max(1, round(phase[key] * scale))
    return {"config": config}


def step_overrides(rate: int, duration: int) -> dict[str, Any]:
    """One knee step: ``rate`` new virtual users per second for ``duration`` seconds, with no
    `ensure` check of Artillery's own (the knee search judges the step)."""
    phase = {"name": f"step {rate}/s", "duration": duration, "arrivalRate": rate}
    return {"config": {"phases": [phase], "ensure": {"thresholds": [], "maxErrorRate": 100}}}


def planned_users(overrides: dict[str, Any]) -> int:
    """How many virtual users the phases of an overrides document start (ramps are linear)."""
    total = 0.0
    for p in overrides["config"]["phases"]:
        total += p["duration"] * (p["arrivalRate"] + p.get("rampTo", p["arrivalRate"])) / 2
    return math.ceil(total)


def describe(overrides: dict[str, Any]) -> str:
    """The phases of an overrides document in words: `name 60 s 1->2/s, ...`."""
    return ", ".join(
        f"{p['name']} {p['duration']} s {p['arrivalRate']}->{p.get('rampTo', p['arrivalRate'])}/s"
        for p in overrides["config"]["phases"]
    )
