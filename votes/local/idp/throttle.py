"""Sign-in throttling of the local identity provider: failed attempts only, as Cognito counts.

Per sign-in name: after :data:`FREE_FAILURES` failed sign-ins in a row, the name is locked
for 1 s, doubling with each further failure up to :data:`MAX_LOCK_S` (Cognito's documented
lockout: "after five failed sign-in attempts ... starts at 1 second and doubles after each
failed attempt, up to about 15 minutes"). While locked every sign-in as that name -- right
password or not -- is ``NotAuthorizedException: Password attempts exceeded``; a successful
sign-in clears the count. Unknown names are counted the same way, so the lockout does not tell
who exists.

Per client address: more than :data:`ADDRESS_FAILURES` failed sign-ins within
:data:`ADDRESS_WINDOW_S` seconds and further sign-ins from that address are
``TooManyRequestsException`` until the window has moved on (Cognito answers a caller over its
request rate so). Successful sign-ins cost nothing: one address may sign in thousands of users
quickly (the load test's provisioning does).

State is in memory, per process (the local server is one process); it is bounded: the oldest
entries are dropped past :data:`MAX_TRACKED`.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from votes.local.idp.rules import CognitoError

__all__ = ["ADDRESS_FAILURES", "FREE_FAILURES", "SignInThrottle"]

FREE_FAILURES = 5
MAX_LOCK_S = 15 * 60
ADDRESS_FAILURES = 100
ADDRESS_WINDOW_S = 300
MAX_TRACKED = 100_000


@dataclass
class _Name:
    failures: int = 0
    locked_until: float = 0.0


class SignInThrottle:
    """Counts failed sign-ins per name and per client address (``clock``: epoch seconds)."""

    def __init__(
        self,
        clock: Callable[[], float],
        *,
        free_failures: int = FREE_FAILURES,
        address_failures: int = ADDRESS_FAILURES,
        address_window: float = ADDRESS_WINDOW_S,
    ) -> None:
        self.clock = clock
        self.free_failures = free_failures
        self.address_failures = address_failures
        self.address_window = address_window
        self._names: OrderedDict[str, _Name] = OrderedDict()
        self._addresses: OrderedDict[str, deque[float]] = OrderedDict()

    def check(self, name_key: str, address: str | None) -> None:
        """Raise the error Cognito answers when ``name_key`` or ``address`` may not try now."""
        now = self.clock()
        if address is not None:
            failures = self._recent(address, now)
            if failures is not None and len(failures) >= self.address_failures:
                raise CognitoError("TooManyRequestsException", "Rate exceeded")
        entry = self._names.get(name_key)
        if entry is not None and entry.locked_until > now:
            raise CognitoError("NotAuthorizedException", "Password attempts exceeded")

    def failed(self, name_key: str, address: str | None) -> None:
        """Count one failed sign-in."""
        now = self.clock()
        entry = self._names.pop(name_key, None) or _Name()
        entry.failures += 1
        over = entry.failures - self.free_failures
        if over >= 0:
            entry.locked_until = now + min(2.0**over, MAX_LOCK_S)
        self._names[name_key] = entry
        if address is not None:
            failures = self._recent(address, now)
            if failures is None:
                failures = self._addresses[address] = deque()
            failures.append(now)
        for table in (self._names, self._addresses):
            while len(table) > MAX_TRACKED:
                table.popitem(last=False)

    def succeeded(self, name_key: str) -> None:
        """A successful sign-in: the name's failures are forgiven."""
        self._names.pop(name_key, None)

    def _recent(self, address: str, now: float) -> deque[float] | None:
        failures = self._addresses.get(address)
        if failures is None:
            return None
        while failures and failures[0] <= now - self.address_window:
            failures.popleft()
        self._addresses.move_to_end(address)
        return failures
