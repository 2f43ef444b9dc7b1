"""The MySQL / Aurora MySQL event store (being written: not usable yet)."""

from __future__ import annotations

from typing import Any


class MySQLEventStore:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError("MySQLEventStore is being written")
