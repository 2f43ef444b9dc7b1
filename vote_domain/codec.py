"""How domain events become stored events and back: ``eventsourcing``'s own Mapper, and the
one place that knows how a field sits in a stored event's state.

A stored state is the JSON that ``eventsourcing``'s :class:`JSONTranscoder` writes: an object
of the event's fields, where a value of a registered type (UUID, datetime, Decimal) is the
object ``{"_type_": name, "_data_": encoded}``. Readers that need a few fields of many events
(projections, the stores' in-database reads) take them through :class:`StateField` rather
than by key names, so the format is known here only.
"""

from __future__ import annotations

import json
import re
import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    Transcoding,
    UUIDAsHex,
)
from eventsourcing.utils import get_topic

__all__ = ["StateField", "mapper", "read_fields", "state_field", "topic"]

# Where JSONTranscoder puts the encoded value of a registered type (see the module docstring).
_ENCODED = "_data_"
_TEXT_TYPES = (str, int)


@cache
def _transcoder() -> JSONTranscoder:
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DatetimeAsISO(), DecimalAsStr()):
        transcoder.register(transcoding)
    return transcoder


@cache
def mapper() -> Mapper[UUID]:
    """The one Mapper every component uses: JSON, with UUID, datetime and Decimal values."""
    return Mapper(transcoder=_transcoder())


def topic(event_class: type) -> str:
    """The topic events of ``event_class`` are stored with."""
    return get_topic(event_class)


@dataclass(frozen=True)
class StateField:
    """One field of a stored event's state: where its stored scalar sits, and how to read it.

    ``path`` is the chain of JSON object keys from the top of the state to the stored value;
    ``decode`` turns that value (as JSON or a database's JSON functions give it) into the
    field's; ``nullable`` says the field may hold JSON ``null`` (absent and null read as
    None); ``scalar`` says the stored value is text or a number, as the stores' in-database
    reads require.
    """

    name: str
    path: tuple[str, ...]
    decode: Callable[[Any], Any]
    encode: Callable[[Any], Any]
    nullable: bool = False
    scalar: bool = True

    def marker(self, value: Any) -> bytes:
        """Bytes that every stored state holding ``value`` in this field contains."""
        return json.dumps(self.encode(value), ensure_ascii=False).encode()

    def read(self, state: bytes) -> Any:
        """This field's value in one stored ``state`` (None where absent or null): found by
        its bytes where the transcoder wrote them (a top-level field of a registered type),
        else parsed as :func:`read_fields` does."""
        found = _compact(self.path).search(state) if len(self.path) == 2 else None
        if found is None:
            return read_fields(state, [self])[0]
        return self.decode(found.group(1).decode())


def _same(value: Any) -> Any:
    return value


@cache
def state_field(event_class: type, name: str) -> StateField:
    """Field ``name`` of ``event_class`` as it is stored, from the field's type annotation and
    the transcodings the mapper registers."""
    hints = typing.get_type_hints(event_class)
    if name in ("originator_id", "originator_version"):
        raise ValueError(f"{name} is stored beside the state, not in it")
    if name not in hints:
        raise ValueError(f"{event_class.__qualname__} has no field {name!r}")
    kind, nullable = _without_none(hints[name])
    transcoding: Transcoding | None = _transcoder().types.get(kind)
    if transcoding is not None:
        decode = _cached(transcoding.decode) if kind is UUID else transcoding.decode
        return StateField(name, (name, _ENCODED), decode, transcoding.encode, nullable)
    scalar = kind in _TEXT_TYPES
    return StateField(name, (name,), kind if scalar else _same, _same, nullable, scalar)


@cache
def _compact(path: tuple[str, ...]) -> re.Pattern[bytes]:
    """``{"name": {"_type_": ..., "_data_": "value"}`` as the transcoder writes it (compact
    JSON); the value's quotes unescaped. Inside a JSON string a quote is always escaped, so
    a match is a key of the state, not text within a value."""
    key, data = (json.dumps(p).encode() for p in path)
    return re.compile(
        rb"[{,]" + re.escape(key) + rb':\{"_type_":"[^"]*",' + re.escape(data) + rb':"([^"\\]*)"\}'
    )


def _without_none(hint: Any) -> tuple[type, bool]:
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in args:
        (kind,) = (a for a in args if a is not type(None))
        return kind, True
    return hint, False


def _cached(decode: Callable[[Any], Any]) -> Callable[[Any], Any]:
    # Decoded values are immutable and repeat (a poll's id in each of its ballot events).
    return lru_cache(maxsize=65536)(decode)


def read_fields(state: bytes, fields: Sequence[StateField]) -> tuple[Any, ...]:
    """The values of ``fields`` in one stored ``state`` (None where absent or null)."""
    document = json.loads(state)
    values: list[Any] = []
    for f in fields:
        value: Any = document
        for key in f.path:
            value = value.get(key) if isinstance(value, dict) else None
        values.append(None if value is None else f.decode(value))
    return tuple(values)
