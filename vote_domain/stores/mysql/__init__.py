"""The MySQL event store (:class:`MySQLEventStore`), for MariaDB 10.11 and Aurora MySQL 3.

Its other modules are private:

* :mod:`.store` — the store: gap safety (the append gate), group commit, read coalescing;
* :mod:`.pool` — URL parsing and the connection pool;
* :mod:`.errors` — driver errors as ``eventsourcing``'s exception tree, in one place;
* :mod:`.run` — running operations on the pool, and which failures are retried;
* :mod:`.append` — the one append path (a group of requests in one transaction);
* :mod:`.transaction` — caller-driven transactions;
* :mod:`.sql` — schema, statements and the operations that send them;
* :mod:`.users` — the application user and the migrator, and their privileges (public).
"""

from vote_domain.stores.mysql.store import MySQLEventStore
from vote_domain.stores.mysql.users import (
    APP_PRIVILEGES,
    MIGRATOR_PRIVILEGES,
    DatabaseUser,
    provision_users,
)

__all__ = [
    "APP_PRIVILEGES",
    "MIGRATOR_PRIVILEGES",
    "DatabaseUser",
    "MySQLEventStore",
    "provision_users",
]
