"""How domain events become stored events and back: ``eventsourcing``'s own Mapper."""

from __future__ import annotations

from functools import cache
from uuid import UUID

from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    UUIDAsHex,
)

__all__ = ["mapper"]


@cache
def mapper() -> Mapper[UUID]:
    """The one Mapper every component uses: JSON, with UUID, datetime and Decimal values."""
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DatetimeAsISO(), DecimalAsStr()):
        transcoder.register(transcoding)
    return Mapper(transcoder=transcoder)
