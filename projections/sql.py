"""The tally tables' SQL, shared shape: what both dialects say the same way.

Tallies live in *sets* of tables named ``tally_<set>_polls``, ``tally_<set>_counts`` and
``tally_<set>_ballots``; ``tally_active`` names the set readers and the live projector use,
``tally_sets`` lists every set with its state and replay checkpoint. A set's ballot rows
record the version the live projector applied up to, for the ballots it has touched only; a
ballot without a row is at its highest version at or below the set's checkpoint, which the
replay folded. The dialect modules
(:mod:`projections.sql_sqlite`, :mod:`projections.sql_mysql`) hold the DDL and the upserts.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod

from vote_domain.stores import ForEach

__all__ = ["SET_NAME", "TallySQL", "check_set_name"]

SET_NAME = re.compile(r"^[a-z][a-z0-9_]{0,15}$")


def check_set_name(name: str) -> str:
    """``name`` if it can name a set of tally tables (lowercase letter, then up to 15 of
    lowercase letters, digits and underscores); ValueError otherwise."""
    if not SET_NAME.match(name):
        raise ValueError(
            f"invalid tally set name {name!r}: use a lowercase letter followed by up to "
            "15 lowercase letters, digits or underscores"
        )
    return name


class TallySQL(ABC):
    """Statements over one dialect; subclasses fill in DDL, locking and upserts."""

    ph: str = "?"
    lock_share: str = ""
    lock_update: str = ""

    def rows(self, width: int, count: int) -> str:
        """``count`` VALUES tuples of ``width`` placeholders."""
        one = "(" + ",".join([self.ph] * width) + ")"
        return ",".join([one] * count)

    def marks(self, count: int) -> str:
        return ",".join([self.ph] * count)

    # -- schema ------------------------------------------------------------------------------

    @abstractmethod
    def create_shared(self) -> list[str]:
        """DDL of the tables every set shares (the active pointer, the set list)."""

    @abstractmethod
    def create_set(self, name: str) -> list[str]:
        """DDL of one set's tables."""

    @abstractmethod
    def drop_ballot_choice(self) -> ForEach:
        """Migration 2: drop the ``choice`` column from every set's ballot table with one."""

    @abstractmethod
    def create_missing_checkpoints(self) -> list[ForEach]:
        """Migration 3: the checkpoint table of every set that has none."""

    def drop_set(self, name: str) -> list[str]:
        p = f"tally_{check_set_name(name)}"
        tables = ("polls", "counts", "ballots", "checkpoints")
        return [f"DROP TABLE IF EXISTS {p}_{t}" for t in tables]

    # -- sets --------------------------------------------------------------------------------

    def select_active(self, lock: str = "") -> str:
        return f"SELECT set_name FROM tally_active WHERE id = 1{lock}"

    def update_active(self) -> str:
        return f"UPDATE tally_active SET set_name = {self.ph} WHERE id = 1"

    def select_sets(self) -> str:
        return "SELECT set_name, status, checkpoint FROM tally_sets ORDER BY set_name"

    @abstractmethod
    def insert_set(self) -> str:
        """Add a set to the set list."""

    def update_set(self) -> str:
        return (
            f"UPDATE tally_sets SET status = {self.ph}, checkpoint = {self.ph}"
            f" WHERE set_name = {self.ph}"
        )

    def delete_set(self) -> str:
        return f"DELETE FROM tally_sets WHERE set_name = {self.ph}"

    # -- the projector's record of what it applied -------------------------------------------

    @abstractmethod
    def claim_ballots(self, name: str, count: int) -> str:
        """Rows (ballot_id, version): create missing ballot rows at the given version (their
        version at the set's checkpoint), keep existing ones as they are, lock all of them."""

    def select_ballots(self, name: str, count: int, *, lock: bool = False) -> str:
        """Rows (ballot_id, version), locked for update if ``lock``."""
        return (
            f"SELECT ballot_id, version FROM tally_{name}_ballots"
            f" WHERE ballot_id IN ({self.marks(count)}){self.lock_update if lock else ''}"
        )

    def select_checkpoint(self) -> str:
        return f"SELECT checkpoint FROM tally_sets WHERE set_name = {self.ph}"

    @abstractmethod
    def claim_polls(self, name: str, count: int) -> str:
        """Rows (poll_id, version): create missing poll rows, lock all of them."""

    def select_poll_versions(self, name: str, count: int) -> str:
        return (
            f"SELECT poll_id, version FROM tally_{name}_polls"
            f" WHERE poll_id IN ({self.marks(count)}){self.lock_update}"
        )

    @abstractmethod
    def upsert_ballots(self, name: str, count: int) -> str:
        """Rows (ballot_id, version)."""

    @abstractmethod
    def upsert_counts(self, name: str, count: int) -> str:
        """Rows (poll_id, choice, ordinal or NULL, delta): add delta, keep a known ordinal."""

    @abstractmethod
    def upsert_polls(self, name: str, count: int) -> str:
        """Rows (poll_id, version, total delta, position, as_of, final)."""

    # -- reading -----------------------------------------------------------------------------

    def select_tallies(self, name: str, count: int | None) -> str:
        """Poll rows joined with their counts, for ``count`` poll ids (None: every poll)."""
        where = "" if count is None else f" WHERE p.poll_id IN ({self.marks(count)})"
        return (
            "SELECT p.poll_id, p.total, p.log_position, p.as_of, p.is_final,"
            " c.choice, c.ordinal, c.n"
            f" FROM tally_{name}_polls p LEFT JOIN tally_{name}_counts c"
            f" ON c.poll_id = p.poll_id{where}"
            " ORDER BY p.poll_id, COALESCE(c.ordinal, 1000000), c.choice"
        )

    def polls_behind(self, ahead: str, behind: str) -> str:
        """Polls whose version (created, closed) in ``ahead`` is above that in ``behind``."""
        return (
            f"SELECT a.poll_id, a.version, COALESCE(b.version, 0)"
            f" FROM tally_{ahead}_polls a LEFT JOIN tally_{behind}_polls b"
            " ON b.poll_id = a.poll_id"
            " WHERE a.version > 0 AND (b.version IS NULL OR b.version < a.version)"
        )

    # -- checkpoints (:mod:`projections.checkpoints`) ----------------------------------------

    @abstractmethod
    def insert_checkpoints(self, name: str) -> str:
        """One row (poll_id, position, last_position, last_as_of, is_final, counts), kept as
        it is if already there."""

    def last_checkpoints(self, name: str, count: int) -> str:
        """Rows (poll_id, *checkpoint columns) of the latest checkpoint of ``count`` polls."""
        t = f"tally_{name}_checkpoints"
        return (
            "SELECT c.poll_id, c.position, c.last_position, c.last_as_of,"
            f" c.is_final, c.counts FROM {t} c JOIN (SELECT poll_id,"
            f" MAX(position) AS top FROM {t} WHERE poll_id IN ({self.marks(count)})"
            " GROUP BY poll_id) l ON c.poll_id = l.poll_id AND c.position = l.top"
        )

    def checkpoint_by_position(self, name: str) -> str:
        """The greatest checkpoint position of a poll at or below a position."""
        return (
            f"SELECT position FROM tally_{name}_checkpoints"
            f" WHERE poll_id = {self.ph} AND position <= {self.ph}"
            " ORDER BY position DESC LIMIT 1"
        )

    def checkpoint_by_time(self, name: str) -> str:
        """A checkpoint position of a poll whose last event happened at or before a time:
        the one with the latest such time (an index range read, one row)."""
        return (
            f"SELECT position FROM tally_{name}_checkpoints"
            f" WHERE poll_id = {self.ph} AND last_as_of <= {self.ph}"
            " ORDER BY last_as_of DESC, position DESC LIMIT 1"
        )

    def checkpoint_after_time(self, name: str) -> str:
        """A checkpoint position of a poll whose last event happened after a time: the one
        with the earliest such time (an index range read, one row)."""
        return (
            f"SELECT position FROM tally_{name}_checkpoints"
            f" WHERE poll_id = {self.ph} AND last_as_of > {self.ph}"
            " ORDER BY last_as_of, position LIMIT 1"
        )

    def select_tally_checkpoint(self, name: str) -> str:
        return (
            "SELECT position, last_position, last_as_of, is_final, counts"
            f" FROM tally_{name}_checkpoints WHERE poll_id = {self.ph} AND position = {self.ph}"
        )

    def select_all_checkpoints(self, name: str) -> str:
        return (
            "SELECT poll_id, position, last_position, last_as_of, is_final, counts"
            f" FROM tally_{name}_checkpoints ORDER BY poll_id, position"
        )

    def select_poll_dates(self, name: str) -> str:
        """Each poll's newest folded position and its time."""
        return f"SELECT poll_id, log_position, as_of FROM tally_{name}_polls WHERE log_position > 0"
