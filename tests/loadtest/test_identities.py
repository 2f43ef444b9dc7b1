"""The setup step's parts: pacing, provisioning, token refresh, the payload file, profiles."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "loadtest"))

from runner.identities import (
    PAYLOAD_FIELDS,
    Identity,
    Pacer,
    admin_creator,
    new_person,
    provision,
    read_payload,
    refresh_expiring,
    signup_creator,
    write_payload,
)
from runner.profiles import overrides_for, planned_users, step_overrides


class FakeCognito:
    """Cognito's answers, recorded: sign-up, sign-in and refresh."""

    endpoint = "http://cognito.invalid/"
    client_id = "client"

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.users: dict[str, tuple[str, str]] = {}
        self.refreshed: list[str] = []

    def sign_up(self, email: str, password: str, name: str) -> None:
        with self.lock:
            self.users[email] = (password, name)

    def sign_in(self, email: str, password: str) -> dict[str, Any]:
        assert self.users[email][0] == password
        return {"AccessToken": f"a-{email}", "RefreshToken": f"r-{email}", "ExpiresIn": 3600}

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        with self.lock:
            self.refreshed.append(refresh_token)
        return {"AccessToken": f"new-{refresh_token}", "ExpiresIn": 600}


def test_pacer_spaces_calls_at_the_rate() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)

    pacer = Pacer(4.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(4):
        pacer.wait()
    assert slept == [0.25, 0.5, 0.75]  # the 1st at once, then one every 1/4 s
    Pacer(None, clock=lambda: now[0], sleep=sleep).wait()
    assert len(slept) == 3  # unpaced


def test_new_person_is_an_email_and_a_human_name() -> None:
    email, name = new_person()
    assert email.startswith("load-tester-") and email.endswith("@loadtest.example.com")
    assert name.startswith("Load Tester ") and name.split()[-1].isdigit()
    assert "lt-" not in name and "@" not in name


def test_provision_signs_up_and_in_every_user_in_slot_order() -> None:
    cognito = FakeCognito()
    seen: list[int] = []
    users = provision(
        12,
        cognito,  # type: ignore[arg-type]
        signup_creator(cognito, None),  # type: ignore[arg-type]
        sign_in_rate=None,
        workers=4,
        progress=seen.append,
    )
    assert [u.slot for u in users] == list(range(12))
    assert len({u.email for u in users}) == 12 and len(cognito.users) == 12
    assert all(cognito.users[u.email][1] == u.name for u in users)
    assert all(u.access_token == f"a-{u.email}" for u in users)
    assert sorted(seen) == list(range(1, 13))


def test_admin_creator_creates_a_confirmed_user_with_a_permanent_password() -> None:
    calls: list[tuple[str, dict[str, Any]]] = []

    class Admin:
        def admin_create_user(self, **kw: Any) -> None:
            calls.append(("create", kw))

        def admin_set_user_password(self, **kw: Any) -> None:
            calls.append(("password", kw))

    from runner.identities import LOCAL_RATES

    admin_creator(Admin(), "pool-1", LOCAL_RATES)("a@x.example", "Load Tester 1234", "Pw!1aaaa")
    (_, create), (_, password) = calls
    assert create["Username"] == "a@x.example" and create["MessageAction"] == "SUPPRESS"
    attributes = {a["Name"]: a["Value"] for a in create["UserAttributes"]}
    assert attributes == {
        "email": "a@x.example",
        "email_verified": "true",
        "name": "Load Tester 1234",
    }
    assert password == {
        "UserPoolId": "pool-1",
        "Username": "a@x.example",
        "Password": "Pw!1aaaa",
        "Permanent": True,
    }


def _identity(slot: int, expires_at: float) -> Identity:
    return Identity(slot, f"u{slot}@x.example", f"Load Tester {slot}", "a", f"r{slot}", expires_at)


def test_refresh_renews_only_tokens_that_expire_within_the_margin() -> None:
    cognito = FakeCognito()
    users = [_identity(0, 1_000.0), _identity(1, 5_000.0)]
    n = refresh_expiring(users, cognito, within=600, rate=None, now=lambda: 500.0)  # type: ignore[arg-type]
    assert n == 1 and cognito.refreshed == ["r0"]
    assert users[0].access_token == "new-r0" and users[0].expires_at == 1_100.0
    assert users[0].refresh_token == "r0"  # no rotation: the refresh token is kept
    assert users[1].access_token == "a"


def test_payload_round_trips_and_is_private(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    users = [_identity(0, 1_700_000_000.4), _identity(1, 1_700_000_100.0)]
    users[1].name = 'Load "Tester", Jr'  # quoted by the CSV writer
    assert write_payload(path, users) == 2
    header = path.read_text(encoding="utf-8").splitlines()[0]
    assert header == ",".join(PAYLOAD_FIELDS)
    back = read_payload(path)
    assert [b.name for b in back] == [u.name for u in users]
    assert back[0].expires_at == 1_700_000_000.0
    assert path.stat().st_mode & 0o077 == 0
    (tmp_path / "other.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not a payload file"):
        read_payload(tmp_path / "other.csv")


def test_planned_users_and_knee_steps() -> None:
    # api-smoke: 3 s 2->5, 3 s 5->8, 3 s 8->10, 2 s 10->2
    assert planned_users(overrides_for("api-smoke")) == 69  # Artillery started 70
    step = step_overrides(120, 15)["config"]
    assert step["phases"] == [{"name": "step 120/s", "duration": 15, "arrivalRate": 120}]
    assert step["ensure"] == {"thresholds": [], "maxErrorRate": 100}
