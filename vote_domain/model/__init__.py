"""The voting domain: polls, voters and their ballots, as event-sourced aggregates."""

from vote_domain.model.ballot import Ballot
from vote_domain.model.counting import COUNTING, POLL_FIELD, Move
from vote_domain.model.ids import ballot_id_for, voter_id_for
from vote_domain.model.poll import Poll
from vote_domain.model.voter import Voter

__all__ = [
    "COUNTING",
    "POLL_FIELD",
    "Ballot",
    "Move",
    "Poll",
    "Voter",
    "ballot_id_for",
    "voter_id_for",
]
