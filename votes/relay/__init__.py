"""The relay: committed events of the log published to EventBridge, at least once.

:class:`Relay` (:mod:`votes.relay.relay`) runs the fast path after each commit and the
scheduled catch-up; :mod:`votes.relay.marks` remembers what the fast path published;
:mod:`votes.relay.events` is the EventBridge entry format, both ways.
"""

from votes.relay.relay import MIGRATIONS, RELAY_NAME, Relay, RelayFailed, relay_for

__all__ = ["MIGRATIONS", "RELAY_NAME", "Relay", "RelayFailed", "relay_for"]
