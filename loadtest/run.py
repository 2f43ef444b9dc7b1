"""Run the Artillery load test and check the tallies afterwards.

Locally (`--env local`, the default) it starts `votes serve` on a fresh database (a new SQLite
file, or with `--database mysql://...` a new database on that server, dropped afterwards),
signs up an admin and seeds polls through the API. Against a deployed stage (`--env aws`) it
uses the stage's open polls, or seeds new ones when admin credentials are given.

Three ways to load it:

* a workshop profile (`smoke`, `full`): every virtual user signs up, registers and votes;
* a provisioned profile (`api-smoke`, `api-full`): a setup step creates and signs in `--users`
  users first (at a rate under the identity provider's quota), writes their tokens to an
  Artillery payload file, and the phases drive only the API;
* `--knee`: provisioned users, and constant-rate steps of rising arrival rate until the vote's
  p99 reaches `--p99-ms` or a request fails, then a bisection: the knee is reported.

Then it waits until the tallies (GET /polls/{id}/results) stop changing and compares them with
the votes the API answered 201 to, per poll and option; prints a summary and writes it with
Artillery's reports and a chart into loadtest/reports/<run>/. Exits non-zero on a tally
mismatch, a failed Artillery `ensure` check, or any error in a smoke profile.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from runner.api import Cognito, VotesApi
from runner.artillery import LOADTEST_DIR, ArtilleryRun, run_artillery
from runner.chart import peak_rates, read_timings, write_chart
from runner.cpu import CpuMeter, cpu_per_vote, find_pid, py_spy
from runner.cpu import table as profile_table
from runner.check import TallyCheck, read_ledger, wait_for_tallies
from runner.identities import AWS_RATES, PAYLOAD_FIELDS, Identity, Rates, write_payload
from runner.identities import refresh_expiring as refresh_tokens
from runner.knee import KneeSearch, step_result
from runner.profiles import (
    PROFILES,
    PROVISIONED,
    SCENARIOS,
    describe,
    overrides_for,
    planned_users,
    step_overrides,
)
from runner.report import Summary, load_report
from runner.stack import SEED_POLLS, Target, local_target, provision_users, remote_target


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--profile", choices=sorted(PROFILES), default="smoke")
    p.add_argument("--knee", action="store_true", help="find the knee (provisioned users)")
    p.add_argument("--env", choices=["local", "aws"], default="local")
    p.add_argument("--database", help="local: sqlite (default) or mysql://user:pw@host:port")
    p.add_argument("--scale", type=float, default=1.0, help="multiply the arrival rates")
    p.add_argument("--polls", type=int, help="polls to seed (default 5; provisioned 20; --knee 40)")
    p.add_argument(
        "--users", type=int, help="provisioned users (default: enough for the profile; knee 1200)"
    )
    p.add_argument(
        "--provision",
        choices=["signup", "admin"],
        default="signup",
        help="how the setup step creates users: SignUp (local IdP, or a stage whose pre "
        "sign-up trigger confirms) or AdminCreateUser + AdminSetUserPassword (AWS credentials)",
    )
    p.add_argument("--user-pool-id", default=os.environ.get("VOTES_USER_POOL_ID"))
    p.add_argument("--signup-rate", type=float, help=f"aws default {AWS_RATES.creation}/s")
    p.add_argument("--signin-rate", type=float, help=f"aws default {AWS_RATES.authentication}/s")
    p.add_argument("--knee-start", type=int, default=25, help="first step's votes/s")
    p.add_argument("--knee-max", type=int, default=1000, help="highest votes/s to try")
    p.add_argument("--step-seconds", type=int, default=15, help="each knee step's duration")
    p.add_argument("--p99-ms", type=float, default=100.0, help="the knee's vote p99 bound")
    p.add_argument(
        "--py-spy",
        action="store_true",
        help="local: sample the server with py-spy during the load; its CPU by package is "
        "added to the summary (server-profile.folded has the stacks)",
    )
    p.add_argument("--api-url", default=os.environ.get("VOTES_API_URL"))
    p.add_argument("--client-id", default=os.environ.get("VOTES_USER_POOL_CLIENT_ID"))
    p.add_argument("--region", default=os.environ.get("AWS_REGION"))
    p.add_argument(
        "--cognito-endpoint",
        default=os.environ.get("VOTES_COGNITO_ENDPOINT"),
        help="aws: Cognito's endpoint (default https://cognito-idp.<region>.amazonaws.com/)",
    )
    p.add_argument("--admin-username", default=os.environ.get("VOTES_ADMIN_USERNAME"))
    p.add_argument("--admin-password", default=os.environ.get("VOTES_ADMIN_PASSWORD"))
    p.add_argument(
        "--token-margin",
        type=float,
        default=120.0,
        help="refresh (REFRESH_TOKEN_AUTH) before a run the access tokens that expire within "
        "its duration plus this many seconds (Artillery refreshes later ones itself)",
    )
    p.add_argument("--tally-timeout", type=float, default=60.0)
    p.add_argument("--reports", type=Path, default=LOADTEST_DIR / "reports")
    args = p.parse_args(argv)
    if args.env == "aws" and not (args.api_url and args.client_id and args.region):
        p.error("--env aws needs --api-url, --client-id and --region (or VOTES_* / AWS_REGION)")
    if args.env == "local" and args.provision == "admin":
        p.error("--provision admin is for --env aws (the local IdP has no admin API)")
    args.provisioned = args.knee or args.profile in PROVISIONED
    if args.polls is None:
        args.polls = 40 if args.knee else 20 if args.provisioned else len(SEED_POLLS)
    return args


@dataclass
class Outcome:
    """What the load phases left: Artillery's runs and the knee search, if any."""

    runs: list[ArtilleryRun] = field(default_factory=list)
    accepted_counter: int = 0
    errors: int = 0
    search: KneeSearch | None = None
    notes: list[str] = field(default_factory=list)
    cpu: list[dict[str, float]] = field(default_factory=list)  # per run: CPU s, and "wall"


class Load:
    """Runs Artillery against one target: the profile, or the knee's steps."""

    def __init__(self, args: argparse.Namespace, target: Target, out: Path) -> None:
        self.args, self.target, self.out = args, target, out
        self.ledger = out / "ledger.tsv"
        self.payload = out / "users.csv"
        self.identities: list[Identity] = []
        database = find_pid("mariadbd") or find_pid("mysqld") if target.backend == "mysql" else None
        self.meter = CpuMeter(target.server_pid, database)
        self.cpu: list[dict[str, float]] = []

    def measured(self) -> ExitStack:
        """The measured phases' context: py-spy samples the server there (``--py-spy``)."""
        stack = ExitStack()
        if self.args.py_spy and self.target.server_pid:
            stack.enter_context(py_spy(self.target.server_pid, self.out / "server-profile.folded"))
        return stack

    def rates(self) -> Rates | None:
        a = self.args
        if a.signup_rate is None and a.signin_rate is None:
            return None
        creation: float = a.signup_rate or AWS_RATES.creation or 1.0
        update = min(AWS_RATES.update or creation, creation)
        sign_in: float = a.signin_rate or AWS_RATES.authentication or 1.0
        return Rates(creation, update, sign_in)

    def setup(self, count: int) -> None:
        """The setup step: ``count`` users signed in, their tokens in the payload file."""
        started = time.monotonic()
        self.identities = provision_users(
            self.target,
            count,
            method=self.args.provision,
            rates=self.rates(),
            user_pool_id=self.args.user_pool_id,
            endpoint_url=self.args.cognito_endpoint,
            region=self.args.region,
        )
        write_payload(self.payload, self.identities)
        took = time.monotonic() - started
        print(f"setup: {count} users in {took:.1f} s ({count / took:.1f}/s) -> {self.payload}")

    def refresh(self, within: float) -> None:
        """Refresh the tokens that would expire within ``within`` s; rewrite the payload."""
        auth = (self.rates() or AWS_RATES).authentication if self.target.env == "aws" else None
        n = refresh_tokens(self.identities, self.target.cognito, within=within, rate=auth)
        if n:
            write_payload(self.payload, self.identities)
            print(f"setup: refreshed {n} access tokens (REFRESH_TOKEN_AUTH)")

    def artillery(
        self,
        overrides: dict[str, Any],
        folder: Path,
        *,
        offset: int = 0,
        echo: bool = True,
    ) -> ArtilleryRun:
        config = overrides["config"]
        if self.args.provisioned:
            config["payload"] = [
                {
                    "path": str(self.payload),
                    "fields": PAYLOAD_FIELDS,
                    "order": "sequence",
                    "skipHeader": True,
                    "cast": False,
                }
            ]
        folder.mkdir(parents=True, exist_ok=True)
        scenario = SCENARIOS["provisioned" if self.args.provisioned else "workshop"]
        started = time.monotonic()
        self.meter.start()
        run = run_artillery(
            environment=self.target.env,
            scenario=scenario,
            target=self.target.api_url,
            variables={
                "cognitoEndpoint": self.target.cognito.endpoint,
                "clientId": self.target.cognito.client_id,
            },
            overrides=overrides,
            report=folder / "report.json",
            log=folder / "artillery.log",
            extra_env={
                "VOTES_LOADTEST_LEDGER": str(self.ledger),
                "VOTES_LOADTEST_TIMINGS": str(folder / "timings.tsv"),
                "VOTES_LOADTEST_POLL_OFFSET": str(offset),
            },
            echo=echo,
        )
        used = self.meter.stop()
        used["wall"] = time.monotonic() - started
        self.cpu.append(used)
        return run

    def profile(self) -> Outcome:
        overrides = overrides_for(self.args.profile, self.args.scale)
        if self.args.provisioned:
            need = planned_users(overrides)
            users = self.args.users or math.ceil(1.2 * need / self.args.polls) + 1
            if users * self.args.polls < need:
                raise SystemExit(
                    f"{users} users x {self.args.polls} polls < {need} votes planned: "
                    "raise --users or --polls"
                )
            self.setup(users)
            self.refresh(within=_duration(overrides) + self.args.token_margin)
        with self.measured():
            run = self.artillery(overrides, self.out)
        summary = Summary(load_report(self.out / "report.json"), 0, None)
        return Outcome([run], summary.votes_accepted, summary.errors, cpu=self.cpu)

    def knee(self) -> Outcome:
        a = self.args
        search = KneeSearch(start=a.knee_start, max_rate=a.knee_max, p99_limit_ms=a.p99_ms)
        users = a.users or 1200
        self.setup(users)
        outcome = Outcome(search=search, cpu=self.cpu)
        with self.measured():
            self._steps(search, outcome, users)
        return outcome

    def _steps(self, search: KneeSearch, outcome: Outcome, users: int) -> None:
        a = self.args
        offset = 0  # polls each user may have voted in by now
        while (rate := search.next_rate()) is not None:
            uses = math.ceil(rate * a.step_seconds / users) + 1
            if offset + uses > a.polls:
                outcome.notes.append(
                    f"stopped before {rate}/s: the users voted in every poll "
                    f"(raise --users or --polls)"
                )
                break
            self.refresh(within=a.step_seconds + a.token_margin)
            folder = self.out / f"step-{len(search.results) + 1:02d}-{rate}"
            print(f"knee: step {len(search.results) + 1}: {rate} votes/s for {a.step_seconds} s")
            run = self.artillery(
                step_overrides(rate, a.step_seconds), folder, offset=offset, echo=False
            )
            offset += uses
            summary = Summary(load_report(folder / "report.json"), 0, None)
            result = step_result(
                rate, a.step_seconds, read_timings(folder / "timings.tsv"), summary.errors
            )
            search.record(result)
            outcome.runs.append(run)
            outcome.accepted_counter += summary.votes_accepted
            print(f"knee:   {_step_line(search, result, self.cpu[-1])}", flush=True)
            time.sleep(2)  # let the server drain before the next step


def _duration(overrides: dict[str, Any]) -> float:
    return float(sum(p["duration"] for p in overrides["config"]["phases"]))


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _pct(cpu: dict[str, float], name: str) -> str:
    """CPU seconds of ``name`` as a share of one core over the run's wall-clock time."""
    return f"{100 * cpu[name] / cpu['wall']:.0f}%" if name in cpu and cpu.get("wall") else "-"


def _step_line(search: KneeSearch, r: Any, cpu: dict[str, float]) -> str:
    verdict = r.verdict(search.p99_limit_ms, search.min_achieved) or "pass"
    return (
        f"{r.rate:>7}{r.achieved:>9.1f}{_ms(r.vote_p50_ms):>8}{_ms(r.vote_p99_ms):>8}"
        f"{_ms(r.all_p99_ms):>8}{r.errors:>7}{_pct(cpu, 'server'):>7}"
        f"{_pct(cpu, 'artillery'):>7}{_pct(cpu, 'database'):>6}  {verdict}"
    )


def knee_table(search: KneeSearch, backend: str, cpu: list[dict[str, float]]) -> str:
    """The steps in the order run, and the knee."""
    head = f"{'votes/s':>7}{'achieved':>9}{'p50 ms':>8}{'p99 ms':>8}{'all p99':>8}{'errors':>7}"
    head += f"{'server':>7}{'artill':>7}{'db':>6}  verdict"
    lines = [
        "(vote latency; all p99: every request of the step; CPU as a share of one core: the",
        " server process, Artillery, the database server (shared, others' load included))",
        head,
    ]
    lines += [_step_line(search, r, c) for r, c in zip(search.results, cpu, strict=False)]
    knee = search.knee
    if knee is None:
        lines.append(f"knee ({backend}): none -- the first step already failed")
    else:
        lines.append(
            f"knee ({backend}): {knee.rate} votes/s (achieved {knee.achieved:.1f}/s, "
            f"vote p99 {_ms(knee.vote_p99_ms)} ms, 0 errors; "
            f"p99 bound {search.p99_limit_ms:.0f} ms)"
        )
    return "\n".join(lines)


def open_target(args: argparse.Namespace, stack: ExitStack, out: Path) -> Target:
    if args.env == "local":
        return stack.enter_context(local_target(args.database, out, args.polls))
    endpoint = args.cognito_endpoint or f"https://cognito-idp.{args.region}.amazonaws.com/"
    admin = (
        (args.admin_username, args.admin_password)
        if args.admin_username and args.admin_password
        else None
    )
    return remote_target(args.api_url, Cognito(endpoint, args.client_id), args.polls, admin)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    backend = "aws" if args.env == "aws" else ("mysql" if args.database else "sqlite")
    name = "knee" if args.knee else args.profile
    out = args.reports / f"{stamp}-{name}-{backend}"
    out.mkdir(parents=True, exist_ok=True)

    with ExitStack() as stack:
        target = open_target(args, stack, out)
        reader = VotesApi(target.api_url, target.token)
        stack.callback(reader.close)
        baseline = {p["id"]: reader.tallies(p["id"]) for p in reader.open_polls()}
        if not baseline:
            print("no open poll to vote on", file=sys.stderr)
            return 2
        load = Load(args, target, out)
        outcome = load.knee() if args.knee else load.profile()
        accepted = read_ledger(load.ledger)
        try:
            check: TallyCheck | None = wait_for_tallies(
                lambda polls: {p: reader.tallies(p) for p in polls},
                baseline,
                accepted,
                timeout=args.tally_timeout,
            )
        except (RuntimeError, httpx.HTTPError) as e:
            print(f"could not read the tallies: {e}", file=sys.stderr)
            check = None

    title = f"votes load test: {name}, {backend}, {stamp}"
    if args.knee:
        assert outcome.search is not None
        text = _knee_text(args, title, outcome, accepted, check)
    else:
        text = _profile_text(args, title, out, outcome, accepted, check)
    folded = out / "server-profile.folded"
    if args.py_spy and folded.exists():
        text += "\n" + profile_table(folded, LOADTEST_DIR.parent) + "\n"
    for poll_id, option, want, have in check.mismatches() if check else []:
        text += f"MISMATCH poll {poll_id} option {option!r}: accepted {want}, tallied {have}\n"
    print("\n" + text)
    (out / "summary.txt").write_text(text, encoding="utf-8")
    print(f"reports: {out}")
    return _verdict(args, outcome, accepted, check)


def _profile_text(
    args: argparse.Namespace,
    title: str,
    out: Path,
    outcome: Outcome,
    accepted: Counter[tuple[str, str]],
    check: TallyCheck | None,
) -> str:
    responses = read_timings(out / "timings.tsv")
    summary = Summary(
        load_report(out / "report.json"), sum(accepted.values()), check, peak_rates(responses)
    )
    phases = describe(overrides_for(args.profile, args.scale))
    text = f"{title}\nphases (new virtual users/s): {phases}\n\n{summary.table()}\n"
    if outcome.cpu:
        cpu = outcome.cpu[0]
        text += (
            f"CPU, share of one core over the run: server {_pct(cpu, 'server')}, "
            f"Artillery {_pct(cpu, 'artillery')}, database {_pct(cpu, 'database')}\n"
        )
        text += cpu_per_vote(outcome.cpu, sum(accepted.values()))
    write_chart(out / "chart.html", title, responses, outcome.runs[0].phases, text)
    return text


def _knee_text(
    args: argparse.Namespace,
    title: str,
    outcome: Outcome,
    accepted: Counter[tuple[str, str]],
    check: TallyCheck | None,
) -> str:
    assert outcome.search is not None
    backend = "aws" if args.env == "aws" else ("mysql" if args.database else "sqlite")
    text = f"{title}\nsteps of {args.step_seconds} s at a constant arrival rate\n\n"
    text += knee_table(outcome.search, backend, outcome.cpu) + "\n"
    text += "".join(f"note: {n}\n" for n in outcome.notes)
    total = sum(accepted.values())
    text += cpu_per_vote(outcome.cpu, total)
    if check is not None:
        verdict = "OK" if check.ok else f"MISMATCH ({len(check.mismatches())} rows)"
        text += (
            f"votes accepted (201) {total} (counter: {outcome.accepted_counter}); tally total "
            f"{check.tallied_total}, expected {check.expected_total}; "
            f"after {check.waited_s:.1f} s: {verdict}\n"
        )
    return text


def _verdict(
    args: argparse.Namespace,
    outcome: Outcome,
    accepted: Counter[tuple[str, str]],
    check: TallyCheck | None,
) -> int:
    failures = []
    if not args.knee and any(run.returncode != 0 for run in outcome.runs):
        failures.append("artillery exited non-zero (an ensure check failed?)")
    if check is None:
        failures.append("the tallies could not be read")
    elif not check.ok:
        failures.append("tallies differ from the votes answered 201")
    if outcome.accepted_counter != sum(accepted.values()):
        failures.append("votes.accepted counter differs from the ledger")
    if args.profile in ("smoke", "api-smoke") and not args.knee and outcome.errors:
        failures.append(f"{outcome.errors} errors in the {args.profile} profile")
    if args.knee and outcome.search is not None and outcome.search.knee is None:
        failures.append("no step passed: no knee")
    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    if not failures:
        print("PASS: every vote answered 201 is tallied exactly once")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
