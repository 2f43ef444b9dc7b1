"""Run the Artillery load test and check the tallies afterwards.

Locally (`--env local`, the default) it starts `votes serve` on a fresh database (a new SQLite
file, or with `--database mysql://...` a new database on that server, dropped afterwards),
signs up an admin and seeds polls through the API. Against a deployed stage (`--env aws`) it
uses the stage's open polls, or seeds new ones when admin credentials are given.

Then it runs votes.yml with the chosen profile, waits until the tallies (GET
/polls/{id}/results) stop changing and compares them with the votes the API answered 201 to,
per poll and option; prints a summary table and writes report.json, chart.html and
summary.txt into loadtest/reports/<run>/. Exits non-zero on a tally mismatch, a failed
Artillery `ensure` check, or any error in the smoke profile.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import httpx
from runner.api import Cognito, VotesApi, random_password
from runner.artillery import LOADTEST_DIR, run_artillery
from runner.chart import peak_rates, read_timings, write_chart
from runner.check import TallyCheck, read_ledger, wait_for_tallies
from runner.profiles import PROFILES, describe, overrides_for
from runner.report import Summary, load_report
from runner.server import fresh_database, serve

SEED_POLLS = [
    ("Best breakfast?", ["Pancakes", "Waffles", "Porridge", "Toast"]),
    ("Tabs or spaces?", ["Tabs", "Spaces"]),
    ("Favourite season?", ["Spring", "Summer", "Autumn", "Winter"]),
    ("Coffee or tea?", ["Coffee", "Tea", "Neither"]),
    ("Which database?", ["Aurora MySQL", "SQLite", "MariaDB", "DynamoDB", "Postgres"]),
]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--profile", choices=sorted(PROFILES), default="smoke")
    p.add_argument("--env", choices=["local", "aws"], default="local")
    p.add_argument("--database", help="local: sqlite (default) or mysql://user:pw@host:port")
    p.add_argument("--scale", type=float, default=1.0, help="multiply the arrival rates")
    p.add_argument("--polls", type=int, default=len(SEED_POLLS), help="polls to seed")
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
    p.add_argument("--tally-timeout", type=float, default=60.0)
    p.add_argument("--reports", type=Path, default=LOADTEST_DIR / "reports")
    args = p.parse_args(argv)
    if args.env == "aws" and not (args.api_url and args.client_id and args.region):
        p.error("--env aws needs --api-url, --client-id and --region (or VOTES_* / AWS_REGION)")
    return args


def sign_in(cognito: Cognito, username: str, password: str) -> str:
    """Sign ``username`` up if it is new, then in; return an access token."""
    try:
        cognito.sign_up(username, password)
    except RuntimeError:
        pass  # an existing user (a stage's admin): signing in tells whether the password is right
    return cognito.access_token(username, password)


def seed(api_url: str, token: str, count: int) -> None:
    """Create ``count`` polls as the admin whose token this is."""
    api = VotesApi(api_url, token)
    try:
        for question, options in (SEED_POLLS * (count // len(SEED_POLLS) + 1))[:count]:
            api.create_poll(question, options)
    finally:
        api.close()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    backend = "aws" if args.env == "aws" else ("mysql" if args.database else "sqlite")
    out = args.reports / f"{stamp}-{args.profile}-{backend}"
    out.mkdir(parents=True, exist_ok=True)
    ledger, timings = out / "ledger.tsv", out / "timings.tsv"

    with ExitStack() as stack:
        if args.env == "local":
            admin = f"lt-admin-{secrets.token_hex(3)}@loadtest.example.com"
            password = random_password()
            db_url = stack.enter_context(fresh_database(args.database, out))
            api_url = stack.enter_context(serve(db_url, [admin], out / "server.log"))
            anonymous = VotesApi(api_url)
            config = anonymous.runtime_config()
            anonymous.close()
            cognito = Cognito(
                config.get("cognitoEndpoint") or f"{api_url}/cognito",
                config["userPoolClientId"],
            )
            token = sign_in(cognito, admin, password)
            seed(api_url, token, args.polls)
        else:
            api_url = args.api_url.rstrip("/")
            endpoint = args.cognito_endpoint or f"https://cognito-idp.{args.region}.amazonaws.com/"
            cognito = Cognito(endpoint, args.client_id)
            if args.admin_username and args.admin_password:
                token = sign_in(cognito, args.admin_username, args.admin_password)
                seed(api_url, token, args.polls)
            else:
                token = sign_in(cognito, f"lt-reader-{secrets.token_hex(3)}", random_password())
        reader = VotesApi(api_url, token)
        baseline = {p["id"]: reader.tallies(p["id"]) for p in reader.open_polls()}
        if not baseline:
            print("no open poll to vote on", file=sys.stderr)
            return 2

        run = run_artillery(
            environment=args.env,
            target=api_url,
            variables={"cognitoEndpoint": cognito.endpoint, "clientId": cognito.client_id},
            overrides=overrides_for(args.profile, args.scale),
            report=out / "report.json",
            log=out / "artillery.log",
            extra_env={
                "VOTES_LOADTEST_LEDGER": str(ledger),
                "VOTES_LOADTEST_TIMINGS": str(timings),
            },
        )
        accepted = read_ledger(ledger)
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
        reader.close()

    responses = read_timings(timings)
    summary = Summary(
        load_report(out / "report.json"), sum(accepted.values()), check, peak_rates(responses)
    )
    title = f"votes load test: {args.profile} profile, {backend}, {stamp}"
    phases = describe(overrides_for(args.profile, args.scale))
    text = f"{title}\nphases (new virtual users/s): {phases}\n\n{summary.table()}\n"
    for poll_id, option, want, have in check.mismatches() if check else []:
        text += f"MISMATCH poll {poll_id} option {option!r}: accepted {want}, tallied {have}\n"
    print("\n" + text)
    (out / "summary.txt").write_text(text, encoding="utf-8")
    write_chart(out / "chart.html", title, responses, run.phases, text)
    print(f"report: {out / 'report.json'}\nchart:  {out / 'chart.html'}")

    failures = []
    if run.returncode != 0:
        failures.append(f"artillery exited {run.returncode} (an ensure check failed?)")
    if check is None:
        failures.append("the tallies could not be read")
    elif not check.ok:
        failures.append("tallies differ from the votes answered 201")
    if summary.votes_accepted != sum(accepted.values()):
        failures.append("votes.accepted counter differs from the ledger")
    if args.profile == "smoke" and summary.errors:
        failures.append(f"{summary.errors} errors in the smoke profile")
    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    if not failures:
        print("PASS: every vote answered 201 is tallied exactly once")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
