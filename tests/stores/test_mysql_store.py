"""The event store contract on MySQL (MariaDB 10.11 here, Aurora MySQL 3 in production)."""

from __future__ import annotations

import pytest

from vote_domain.stores import MySQLEventStore

from .contract import EventStoreContract

pytestmark = pytest.mark.mysql


class TestMySQLEventStore(EventStoreContract):
    @pytest.fixture
    def store(self, mysql_store: MySQLEventStore) -> MySQLEventStore:
        return mysql_store
