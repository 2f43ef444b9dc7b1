"""The coalescer: per poll the newest update, never an older one, at most one per interval."""

from __future__ import annotations

from dataclasses import dataclass

from votes.live.coalesce import Coalescer


@dataclass(frozen=True)
class U:
    poll_id: str
    position: int


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_of_a_burst_only_each_polls_newest_update_goes_out() -> None:
    c = Coalescer(0.25, clock=Clock())
    burst = [U("a", 3), U("b", 1), U("a", 7), U("a", 5), U("b", 2)]
    assert c.newest(burst) == [U("a", 7), U("b", 2)]


def test_an_update_older_than_the_one_sent_is_dropped() -> None:
    c = Coalescer(0.25, clock=Clock())
    c.sent(U("a", 7))
    assert c.newest([U("a", 5), U("a", 7)]) == []  # older, and the very same
    assert c.newest([U("a", 8)]) == [U("a", 8)]
    c.sent(U("a", 6))  # a late report of an older send does not move it back
    assert c.sent_position("a") == 7


def test_a_poll_waits_out_its_interval_after_a_send_others_do_not() -> None:
    clock = Clock()
    c = Coalescer(0.25, clock=clock)
    assert c.wait("a") == 0.0
    c.sent(U("a", 1))
    clock.now += 0.1
    assert abs(c.wait("a") - 0.15) < 1e-9
    assert c.wait("b") == 0.0
    clock.now += 0.2
    assert c.wait("a") == 0.0


def test_it_remembers_a_bounded_number_of_polls() -> None:
    c = Coalescer(0.25, clock=Clock(), max_polls=2)
    for poll in "abc":
        c.sent(U(poll, 1))
    assert c.sent_position("a") == 0  # the least recently sent is forgotten
    assert (c.sent_position("b"), c.sent_position("c")) == (1, 1)
