"""How originator ids are written to and read back from a store's text column, and the
greatest position a store can hold.

UUIDs (and strings that spell one) are stored in their canonical 36-character form and read
back as :class:`uuid.UUID`, as ``eventsourcing``'s SQLite recorder does with its default
``originator_id_type="uuid"``; any other string id is stored and returned unchanged.
"""

from __future__ import annotations

from uuid import UUID

__all__ = ["MAX_POSITION", "decode_originator_id", "encode_originator_id"]

MAX_POSITION = 2**63 - 1  # no notification id or tracked position can be above this


def encode_originator_id(originator_id: UUID | str) -> str:
    """The stored text of ``originator_id``."""
    if isinstance(originator_id, UUID):
        return str(originator_id)
    if len(originator_id) in (32, 36):
        try:
            return str(UUID(originator_id))
        except ValueError:
            return originator_id
    return originator_id


def decode_originator_id(stored: str) -> UUID | str:
    """The originator id that ``stored`` was written from."""
    if len(stored) == 36:
        try:
            return UUID(stored)
        except ValueError:
            return stored
    return stored
