"""The voting domain: polls, voters and their ballots, as event-sourced aggregates."""

from vote_domain.model.ballot import Ballot
from vote_domain.model.ids import ballot_id_for, voter_id_for
from vote_domain.model.poll import Poll
from vote_domain.model.voter import Voter

__all__ = ["Ballot", "Poll", "Voter", "ballot_id_for", "voter_id_for"]
