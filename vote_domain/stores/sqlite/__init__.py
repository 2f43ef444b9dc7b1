"""The embedded SQLite event store (:class:`SQLiteEventStore`); its other modules are private.

* :mod:`.store` — the store: lifecycle, reader threads, the recorder methods;
* :mod:`.writer` — the single writer thread that group-commits concurrent appends;
* :mod:`.ops` — the SQL and the blocking operations every thread runs.
"""

from vote_domain.stores.sqlite.store import SQLiteEventStore

__all__ = ["SQLiteEventStore"]
