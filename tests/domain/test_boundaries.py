"""vote_domain stays pure, and its public face changes only on purpose."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import vote_domain

FORBIDDEN = (
    "handlers",
    "projections",
    "boto3",
    "botocore",
    "aioboto3",
    "aiobotocore",
    "aws_lambda_powertools",
    "starlette",
    "uvicorn",
    "fastapi",
    "httpx",
    "requests",
    "sse_starlette",
    "flask",
    "aiohttp",
)
PACKAGE = Path(vote_domain.__file__).parent


def _top(name: str) -> str:
    return name.split(".")[0]


def test_no_module_of_vote_domain_imports_an_adapter_aws_http_or_projection():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if _top(n) in FORBIDDEN]
    assert offenders == []


def test_importing_vote_domain_loads_none_of_them():
    code = "import json, sys, vote_domain; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = {_top(m) for m in json.loads(out.stdout)}
    assert loaded.isdisjoint(FORBIDDEN)


PUBLIC_API = [
    "AlreadyVoted",
    "Ballot",
    "BallotNotFound",
    "BallotView",
    "COUNTING",
    "CastResult",
    "Conflict",
    "EventGroup",
    "EventStore",
    "ForEach",
    "Grouping",
    "InvalidOption",
    "LockConflict",
    "Migration",
    "Move",
    "NotFound",
    "NotRegistered",
    "OnRecorded",
    "Poll",
    "PollClosed",
    "PollNotFound",
    "PollView",
    "Registration",
    "ResultsHidden",
    "RuleViolation",
    "StateField",
    "Transaction",
    "Unavailable",
    "ValidationFailed",
    "VoteError",
    "Voter",
    "VoterView",
    "VotingService",
    "ballot_id_for",
    "connect",
    "mapper",
    "state_field",
    "voter_id_for",
]


def test_the_public_api_is_pinned():
    assert sorted(vote_domain.__all__) == PUBLIC_API
    public = sorted(n for n in dir(vote_domain) if not n.startswith("_"))
    submodules = {"codec", "commands", "errors", "model", "service", "stores", "views"}
    assert sorted(set(public) - submodules) == PUBLIC_API
    assert all(hasattr(vote_domain, name) for name in PUBLIC_API)


def test_every_error_code_is_unique_and_documented():
    errors = [getattr(vote_domain, n) for n in PUBLIC_API]
    errors = [e for e in errors if isinstance(e, type) and issubclass(e, vote_domain.VoteError)]
    codes = [e.code for e in errors]
    assert len(codes) == len(set(codes))
    doc = vote_domain.errors.__doc__
    assert all(code in doc for code in codes)
