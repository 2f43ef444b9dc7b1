"""Schemathesis fuzzing of a running ``votes serve``, with the event log watched per request.

:func:`fuzz` loads ``/openapi.json`` from the server and, for every operation, draws valid
(``positive``) and invalid (``negative``) requests from it: paths with made-up poll ids and
with the ids of real polls (open and closed), bodies, query strings. Each request goes out with
a real access token of an admin or of a voter, one at a time, and is checked:

* no 5xx, and the status, content type, headers and body conform to the schema
  (schemathesis's checks, ``negative_data_rejection`` included: invalid input is a 4xx);
* a 4xx wrote nothing: the event log's last position is the same before and after it.

Beside the generated requests, a share of the budget (``success_share``, 60 % by default) is
the success path (:mod:`hardening_traffic`): a crowd of voters casting, changing and
retracting votes in open polls of its own, each answer checked against the schema and against
a model of the ballots -- so the run also proves that thousands of votes are accepted and
counted, not only that bad input is refused.

Run alone for the long run (see ``scripts/fuzz-api.sh``)::

    python tests/hardening/hardening_fuzz.py --requests 10000 [--database mysql://...]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: serve_process
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from hardening_app import LiveApp, Tokens
from hardening_traffic import CAST, CHANGE, populate, vote_traffic

__all__ = ["FuzzReport", "fuzz"]

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


@dataclass
class FuzzReport:
    """What a fuzz run sent and found."""

    requests: int = 0
    by_status: Counter[int] = field(default_factory=Counter)
    by_operation: Counter[str] = field(default_factory=Counter)
    failures: dict[str, str] = field(default_factory=dict)
    """Distinct failures: a short signature -> one example (the request and what went wrong)."""
    rejected_writes: list[str] = field(default_factory=list)
    """4xx answers after which the event log had moved."""
    votes: Counter[str] = field(default_factory=Counter)
    """Votes the API accepted, by outcome (``cast``: 201, ``changed``), over all requests."""
    log_before: int = 0
    log_after: int = 0
    seconds: float = 0.0

    @property
    def rejected(self) -> int:
        return sum(n for status, n in self.by_status.items() if 400 <= status < 500)

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.by_status.items() if status >= 500)

    @property
    def accepted_votes(self) -> int:
        """Votes cast or changed: each one a vote the API accepted and recorded."""
        return self.votes["cast"] + self.votes["changed"]

    def summary(self) -> str:
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(self.by_status.items()))
        return (
            f"{self.requests} requests in {self.seconds:.0f}s ({statuses}); "
            f"{self.accepted_votes} votes accepted ({self.votes['cast']} cast, "
            f"{self.votes['changed']} changed); "
            f"{self.rejected} rejected, {len(self.rejected_writes)} of them wrote to the log; "
            f"{self.server_errors} server errors; {len(self.failures)} distinct failures; "
            f"log {self.log_before} -> {self.log_after}"
        )


def _signature(operation: str, status: int, exc: BaseException) -> str:
    titles = [str(getattr(e, "title", type(e).__name__)) for e in _leaves(exc)]
    return f"{operation} -> {status}: {'; '.join(sorted(set(titles)))}"


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for e in exc.exceptions for leaf in _leaves(e)]
    return [exc]


def _describe(case: Any, response: Any, exc: BaseException) -> str:
    body = response.text[:300] if response is not None else ""
    return f"{case.as_curl_command()}\n  -> {getattr(response, 'status_code', '?')} {body}\n  {exc}"


def fuzz(
    app: LiveApp,
    *,
    requests: int = 300,
    seed_value: int = 8,
    max_failures: int = 50,
    success_share: float = 0.6,
) -> FuzzReport:
    """Send about ``requests`` requests to ``app``, ``success_share`` of them the crowd's
    votes and the rest generated; what happened."""
    started = time.monotonic()
    admin, voter = app.sign_in("admin"), app.sign_in("fuzz-voter")
    stranger = app.sign_in("fuzz-stranger", register=False)
    options = {app.create_poll(admin): ("Tabs", "Spaces"), app.create_poll(admin, "xyz"): "xyz"}
    polls = list(options)
    closed = app.create_poll(admin)
    with app.http() as http:
        assert http.post(f"/polls/{closed}/close", headers=admin.headers).status_code == 200
    polls.append(closed)
    callers: list[Tokens] = [admin, voter, stranger]

    schema = schemathesis.openapi.from_url(f"{app.url}/openapi.json")
    # Unknown query parameters are ignored, as by most HTTP APIs, not refused; every request
    # carries a real token (the 401 paths are the security tests' business).
    schema.config.generation.update(allow_extra_parameters=False, with_security_parameters=False)
    operations = [result.ok() for result in schema.get_all_operations()]
    crowd_steps = int(requests * success_share)
    generated = requests - crowd_steps
    per_test = max(1, generated // (len(operations) * len(MODES)))
    report = FuzzReport(log_before=app.log_position())
    crowd = populate(app, admin)
    by_label = {f"{op.method.upper()} {op.path}": op for op in operations}

    def send(label: str, poll: str, body: dict[str, Any] | None, caller: Tokens) -> Any:
        operation = by_label[label]
        case = (
            operation.Case(path_parameters={"pollId": poll})
            if body is None
            else operation.Case(
                path_parameters={"pollId": poll}, body=body, media_type="application/json"
            )
        )
        return _exchange(app, report, label, case, caller, max_failures)

    def mismatch(signature: str, detail: str) -> None:
        if len(report.failures) < max_failures:
            report.failures.setdefault(signature, detail)

    rng = random.Random(seed_value)
    vote_traffic(crowd, crowd_steps // 2, send, mismatch, rng)

    plans = []
    for operation in operations:
        label = f"{operation.method.upper()} {operation.path}"
        for mode in MODES:
            strategies = [operation.as_strategy(generation_mode=mode)]
            if "{pollId}" in operation.path:
                # closing the open polls would leave nothing to vote in
                targets = [closed] if operation.path.endswith("/close") else polls
                strategies += [
                    operation.as_strategy(generation_mode=mode, path_parameters={"pollId": p})
                    for p in targets
                ]
            if mode is GenerationMode.POSITIVE and operation.path.startswith(
                "/polls/{pollId}/vote"
            ):
                # valid options of real polls too, so votes are cast, retried, changed, refused
                real = [
                    operation.as_strategy(
                        generation_mode=mode,
                        path_parameters={"pollId": p},
                        body={"option": o},
                        media_type="application/json",
                    )
                    for p, names in options.items()
                    for o in names
                ]
                strategies = [st.one_of(strategies), st.one_of(real)]
            plans.append((label, st.one_of(strategies)))
    rounds = 0
    # rounds with new seeds until the budget is spent (small operations run out of inputs)
    while report.requests < crowd_steps // 2 + generated and rounds < 100:
        for label, cases in plans:
            _run_one(
                app,
                report,
                label,
                cases,
                st.sampled_from(callers),
                examples=per_test,
                seed_value=seed_value + rounds,
                max_failures=max_failures,
            )
        rounds += 1
    vote_traffic(crowd, crowd_steps - crowd_steps // 2, send, mismatch, rng)
    report.log_after = app.log_position()
    report.seconds = time.monotonic() - started
    return report


def _run_one(
    app: LiveApp,
    report: FuzzReport,
    label: str,
    cases: st.SearchStrategy[Any],
    callers: st.SearchStrategy[Tokens],
    *,
    examples: int,
    seed_value: int,
    max_failures: int,
) -> None:
    @seed(seed_value)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(case=cases, caller=callers)
    def one(case: Any, caller: Tokens) -> None:
        _exchange(app, report, label, case, caller, max_failures)

    try:
        one()
    except Unsatisfiable:  # no invalid request exists for this operation (e.g. GET /health)
        pass


def _exchange(
    app: LiveApp, report: FuzzReport, label: str, case: Any, caller: Tokens, max_failures: int
) -> Any:
    """Send one case as ``caller`` and check it: no 5xx, the schema, nothing written by a 4xx;
    the response (None when there was none)."""
    before = app.log_position()
    try:
        response = case.call(base_url=app.url, headers=caller.headers, timeout=30)
    except Exception as exc:  # a hang or a dropped connection is a failure too
        _record(report, f"{label} -> no response: {type(exc).__name__}", case, None, exc)
        return None
    after = app.log_position()
    report.requests += 1
    report.by_status[response.status_code] += 1
    report.by_operation[label] += 1
    if 400 <= response.status_code < 500 and after != before:
        report.rejected_writes.append(
            f"{case.as_curl_command()} -> {response.status_code}, log {before} -> {after}"
        )
    if label in (CAST, CHANGE) and response.status_code in (200, 201):
        report.votes[str(response.json().get("outcome"))] += 1
    if _lenient(label, case, response.status_code):
        return response
    try:
        case.validate_response(response, checks=CHECKS)
    except (Exception, BaseExceptionGroup) as exc:  # schemathesis's FailureGroup
        if len(report.failures) < max_failures:
            _record(report, _signature(label, response.status_code, exc), case, response, exc)
    return response


OPTIONAL_BODY = {"POST /voters"}
"""Routes whose JSON body is optional: a blank body (whitespace only) counts as none."""


def _lenient(label: str, case: Any, status: int) -> bool:
    """A blank body accepted where the body is optional: deliberate, not a failure (the API
    treats it as an absent body; schemathesis calls any non-JSON body invalid)."""
    body = case.body
    blank = isinstance(body, str | bytes) and not body.strip()
    return label in OPTIONAL_BODY and blank and status < 300


def _record(report: FuzzReport, key: str, case: Any, response: Any, exc: BaseException) -> None:
    report.failures.setdefault(key, _describe(case, response, exc))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--database", help="mysql://... (default: a fresh SQLite file)")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--json", help="write the report here as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="votes-fuzz-") as tmp:
        with LiveApp(Path(tmp), database=args.database) as app:
            report = fuzz(app, requests=args.requests, seed_value=args.seed)
            log_tail = app.log()
    print(report.summary())
    for key, example in report.failures.items():
        print(f"\nFAILURE {key}\n  {example}")
    for line in report.rejected_writes[:20]:
        print(f"\nREJECTED BUT WROTE {line}")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "requests": report.requests,
                    "by_status": dict(report.by_status),
                    "by_operation": dict(report.by_operation),
                    "failures": report.failures,
                    "rejected_writes": report.rejected_writes,
                    "votes": dict(report.votes),
                    "seconds": report.seconds,
                },
                indent=2,
            )
        )
    bad = report.failures or report.rejected_writes or report.server_errors
    if bad and "Traceback" in log_tail:
        print("\nserver log (tail):\n" + log_tail[-4000:])
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
