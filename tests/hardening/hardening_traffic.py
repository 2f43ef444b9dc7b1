"""The fuzzer's success path: votes as a crowd casts them, each answer checked twice.

Generated requests alone almost never cast a vote (a valid option of a real poll, by a
registered voter who holds none there yet), so :func:`vote_traffic` drives a population of
voters and open polls of its own through the vote routes. Each step draws a voter and a poll
and takes the action their ballot makes meaningful: cast into an empty ballot, or on a held one
retract, change, cast the same option again, cast another (refused), read it back, or read the
results. Every request is a schemathesis case of the operation, so its answer is checked
against the OpenAPI document like every fuzzed one, and against a model of the ballots: the
status and outcome the API must give (201 ``cast``, 200 ``changed`` / ``unchanged``, 409
``already_voted``, 404 ``ballot_not_found``, 403 ``results_hidden`` before a first vote in an
``after_vote`` poll). Nobody else touches these voters' ballots, so the model is exact.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hardening_app import LiveApp, Tokens

__all__ = ["Population", "populate", "vote_traffic"]

CAST = "POST /polls/{pollId}/votes"
CHANGE = "PUT /polls/{pollId}/votes/me"
RETRACT = "DELETE /polls/{pollId}/votes/me"
MINE = "GET /polls/{pollId}/votes/me"
RESULTS = "GET /polls/{pollId}/results"

OPTIONS = [
    ("Tabs", "Spaces"),
    ("Red", "Green", "Blue"),
    ("Yes", "No", "Abstain", "Later"),
    ("\u05e2\u05d1\u05e8\u05d9\u05ea", "\U0001f98a fox", "e\u0301", "\u00e9\u00e9", "x" * 80),
    ("1", "2", "3", "4", "5", "6"),
]


@dataclass
class Population:
    """Voters and open polls of the success path, and the model of their ballots."""

    voters: list[Tokens]
    polls: dict[str, tuple[str, ...]]
    """Open polls: id -> options."""
    after_vote: set[str]
    """Polls whose results only those who voted may read while open."""
    held: dict[tuple[int, str], str | None] = field(default_factory=dict)
    """(voter index, poll id) -> the option held (None: retracted); absent: never voted."""


def populate(app: LiveApp, admin: Tokens, *, voters: int = 16) -> Population:
    """Sign up and register ``voters`` voters; create one open poll per option set, the odd
    ones with results shown only after a vote."""
    people = [app.sign_in(f"crowd-{i}") for i in range(voters)]
    polls: dict[str, tuple[str, ...]] = {}
    after_vote: set[str] = set()
    with app.http() as http:
        for i, options in enumerate(OPTIONS):
            visibility = "after_vote" if i % 2 else "always"
            body = {"question": f"Crowd {i}?", "options": list(options)}
            body["results_visibility"] = visibility
            r = http.post("/polls", headers=admin.headers, json=body)
            assert r.status_code == 201, r.text
            polls[r.json()["id"]] = options
            if visibility == "after_vote":
                after_vote.add(r.json()["id"])
    return Population(people, polls, after_vote)


Send = Callable[[str, str, dict[str, Any] | None, Tokens], Any]
"""Sends one request as a schemathesis case: (operation label, poll id, body, caller) ->
the response (already checked against the schema); None if it got no answer."""
Mismatch = Callable[[str, str], None]
"""Records an answer the model did not expect: (signature, detail)."""


def vote_traffic(
    population: Population, steps: int, send: Send, mismatch: Mismatch, rng: random.Random
) -> None:
    """Run ``steps`` requests of the crowd (see the module docstring)."""
    polls = list(population.polls)
    for _ in range(steps):
        who, poll = rng.randrange(len(population.voters)), rng.choice(polls)
        _step(population, who, poll, send, mismatch, rng)


def _step(
    population: Population, who: int, poll: str, send: Send, mismatch: Mismatch, rng: random.Random
) -> None:
    voter, options = population.voters[who], population.polls[poll]
    key = (who, poll)
    held = population.held.get(key)
    others = [o for o in options if o != held]
    roll = rng.random()
    if held is None:
        if roll < 0.9:
            label, body, expect = CAST, {"option": rng.choice(options)}, (201, "cast")
        elif roll < 0.95:
            label, body, expect = CHANGE, {"option": rng.choice(options)}, (200, "cast")
        else:
            label, body, expect = RETRACT, None, (404, "ballot_not_found")
    elif roll < 0.7:
        label, body, expect = RETRACT, None, (200, None)
    elif roll < 0.8:
        label, body, expect = CHANGE, {"option": rng.choice(others)}, (200, "changed")
    elif roll < 0.85:
        label, body, expect = CAST, {"option": held}, (200, "unchanged")
    elif roll < 0.9:
        label, body, expect = CAST, {"option": rng.choice(others)}, (409, "already_voted")
    elif roll < 0.95:
        label, body, expect = MINE, None, (200, held)
    else:
        label, body, expect = RESULTS, None, (200, None)
    if label == RESULTS and poll in population.after_vote and key not in population.held:
        expect = (403, "results_hidden")
    response = send(label, poll, body, voter)
    if response is None:
        return
    got = _outcome(label, response)
    if response.status_code != expect[0] or (expect[1] is not None and got != expect[1]):
        mismatch(
            f"model: {label} expected {expect[0]} {expect[1]}, got {response.status_code} {got}",
            f"voter {who} poll {poll} held {held!r} body {body!r}: {response.text[:300]}",
        )
        return
    if label == RETRACT and response.status_code == 200:
        population.held[key] = None
    elif label in (CAST, CHANGE) and response.status_code in (200, 201):
        population.held[key] = response.json()["ballot"]["option"]


def _outcome(label: str, response: Any) -> Any:
    """What the model compares besides the status: the outcome, error code or option held."""
    data = response.json() if response.content else None
    if not isinstance(data, dict):
        return None
    if "error" in data:
        return data["error"].get("code")
    if label in (CAST, CHANGE):
        return data.get("outcome")
    if label == MINE:
        return data.get("option")
    return None
