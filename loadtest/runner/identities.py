"""Provisioned identities: users created and signed in before the measured phases, so that the
phases drive only the API, and their tokens in an Artillery payload file.

Two ways to make a user, both over the same public calls a person's browser or an operator uses:

* ``signup``: ``SignUp`` then ``InitiateAuth`` (``USER_PASSWORD_AUTH``) on the app client. The
  local IdP confirms at once; a deployed pool does when the stage's pre sign-up trigger is wired
  (``autoConfirmSignUp``, see votes/presignup.py and deploy/cognito.yml).
* ``admin``: ``AdminCreateUser`` (message suppressed, e-mail marked verified) +
  ``AdminSetUserPassword`` (``Permanent``) with the operator's AWS credentials, then
  ``InitiateAuth``. Works on any stage; needs the pool id and ``cognito-idp:Admin*`` rights.

E-mail is the username (the pool's ``UsernameAttributes: [email]``); the ``name`` attribute is
the human-readable display name the voter registers with.

Calls are paced (:class:`Pacer`) per quota category below Cognito's published default request
rates, and run concurrently so a slow answer does not lower the rate.
"""

from __future__ import annotations

import csv
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner.api import Cognito, random_password

__all__ = [
    "AWS_RATES",
    "LOCAL_RATES",
    "PAYLOAD_FIELDS",
    "Identity",
    "Pacer",
    "Rates",
    "admin_creator",
    "new_person",
    "provision",
    "read_payload",
    "refresh_expiring",
    "signup_creator",
    "write_payload",
]

PAYLOAD_FIELDS = ["slot", "email", "name", "accessToken", "refreshToken", "expiresAt"]


@dataclass(frozen=True)
class Rates:
    """Calls per second allowed per Cognito quota category (None: unpaced)."""

    creation: float | None  # UserCreation: SignUp, AdminCreateUser
    update: float | None  # UserUpdate: AdminSetUserPassword
    authentication: float | None  # UserAuthentication: InitiateAuth (also REFRESH_TOKEN_AUTH)


# AWS's published default quotas per account and Region are 50 requests/s for UserCreation and
# 120/s for UserAuthentication (the Service Quotas console shows yours); we stay below them, and
# pace AdminSetUserPassword (an update operation) at a conservative 20/s.
AWS_RATES = Rates(creation=40.0, update=20.0, authentication=100.0)
# The local IdP shares the machine with the server: no pacing, a few calls in flight.
LOCAL_RATES = Rates(creation=None, update=None, authentication=None)


@dataclass
class Identity:
    """One provisioned user and its current tokens (``expires_at`` in epoch seconds)."""

    slot: int
    email: str
    name: str
    access_token: str
    refresh_token: str
    expires_at: float

    def row(self) -> list[str]:
        return [
            str(self.slot),
            self.email,
            self.name,
            self.access_token,
            self.refresh_token,
            f"{self.expires_at:.0f}",
        ]


class Pacer:
    """Spaces calls at most ``rate`` per second, across threads; None lets every call through."""

    def __init__(
        self,
        rate: float | None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self._clock, self._sleep = clock, sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Block until this call's turn."""
        if not self.interval:
            return
        with self._lock:
            now = self._clock()
            turn = max(now, self._next)
            self._next = turn + self.interval
        if turn > now:
            self._sleep(turn - now)


def new_person(tag: str = "") -> tuple[str, str]:
    """A random e-mail (the username) and a human-readable name, e.g. ``Load Tester 4821``."""
    token = secrets.token_hex(5)
    number = secrets.randbelow(9000) + 1000
    return f"load-tester-{tag}{token}@loadtest.example.com", f"Load Tester {number}"


Creator = Callable[[str, str, str], None]  # (email, name, password): the user exists after


def provision(
    count: int,
    cognito: Cognito,
    create: Creator,
    *,
    sign_in_rate: float | None,
    workers: int = 8,
    progress: Callable[[int], None] | None = None,
) -> list[Identity]:
    """Create ``count`` users with ``create`` and sign each in; their identities in slot order.

    ``create`` paces itself; sign-ins are paced here at ``sign_in_rate``.
    """
    pacer = Pacer(sign_in_rate)
    done = 0
    lock = threading.Lock()

    def one(slot: int) -> Identity:
        nonlocal done
        email, name = new_person()
        password = random_password()
        create(email, name, password)
        pacer.wait()
        result = cognito.sign_in(email, password)
        with lock:
            done += 1
            if progress is not None:
                progress(done)
        return _identity(slot, email, name, result)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(one, range(count)))


def _identity(slot: int, email: str, name: str, result: dict[str, Any]) -> Identity:
    return Identity(
        slot=slot,
        email=email,
        name=name,
        access_token=str(result["AccessToken"]),
        refresh_token=str(result["RefreshToken"]),
        expires_at=time.time() + float(result.get("ExpiresIn", 3600)),
    )


def signup_creator(cognito: Cognito, rate: float | None) -> Creator:
    """``SignUp`` with e-mail and name attributes, paced at ``rate``."""
    pacer = Pacer(rate)

    def create(email: str, name: str, password: str) -> None:
        pacer.wait()
        cognito.sign_up(email, password, name)

    return create


def admin_creator(client: Any, user_pool_id: str, rates: Rates) -> Creator:
    """``AdminCreateUser`` (no message, e-mail verified) + ``AdminSetUserPassword``
    (``Permanent``) through a boto3 ``cognito-idp`` client, each paced per its category."""
    creating, updating = Pacer(rates.creation), Pacer(rates.update)

    def create(email: str, name: str, password: str) -> None:
        creating.wait()
        client.admin_create_user(
            UserPoolId=user_pool_id,
            Username=email,
            MessageAction="SUPPRESS",
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true"},
                {"Name": "name", "Value": name},
            ],
        )
        updating.wait()
        client.admin_set_user_password(
            UserPoolId=user_pool_id, Username=email, Password=password, Permanent=True
        )

    return create


def refresh_expiring(
    identities: Sequence[Identity],
    cognito: Cognito,
    *,
    within: float,
    rate: float | None,
    workers: int = 8,
    now: Callable[[], float] = time.time,
) -> int:
    """Refresh (``REFRESH_TOKEN_AUTH``) every access token that expires in less than ``within``
    seconds, in place; the number refreshed."""
    due = [i for i in identities if i.expires_at - now() < within]
    pacer = Pacer(rate)

    def one(identity: Identity) -> None:
        pacer.wait()
        result = cognito.refresh(identity.refresh_token)
        identity.access_token = str(result["AccessToken"])
        identity.expires_at = now() + float(result.get("ExpiresIn", 3600))
        # Cognito returns no new refresh token for REFRESH_TOKEN_AUTH (no rotation): keep ours.
        identity.refresh_token = str(result.get("RefreshToken") or identity.refresh_token)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        list(pool.map(one, due))
    return len(due)


def write_payload(path: Path, identities: Iterable[Identity]) -> int:
    """Write the Artillery payload CSV (a header of :data:`PAYLOAD_FIELDS`, one user a row,
    written to a temporary name and renamed, so a reader never sees half a file); rows written."""
    tmp = path.with_name(path.name + ".tmp")
    rows = 0
    with tmp.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(PAYLOAD_FIELDS)
        for identity in identities:
            writer.writerow(identity.row())
            rows += 1
    tmp.replace(path)
    path.chmod(0o600)  # live tokens
    return rows


def read_payload(path: Path) -> list[Identity]:
    """The identities of a payload file written by :func:`write_payload`."""
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != PAYLOAD_FIELDS:
            raise ValueError(f"{path}: not a payload file (header {reader.fieldnames})")
        return [
            Identity(
                slot=int(r["slot"]),
                email=r["email"],
                name=r["name"],
                access_token=r["accessToken"],
                refresh_token=r["refreshToken"],
                expires_at=float(r["expiresAt"]),
            )
            for r in reader
        ]
