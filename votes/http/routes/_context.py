"""What every route needs: the caller, the request body, the composition root."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel

from votes import bootstrap
from votes.bootstrap import Container
from votes.http.bodies import read_body
from votes.http.errors import MalformedJson
from votes.http.identity import Caller, caller_of
from votes.http.resolver import ConcurrentHttpResolver

__all__ = ["body", "caller", "container"]

T = TypeVar("T", bound=BaseModel)


def caller(app: ConcurrentHttpResolver) -> Caller:
    """The verified caller of the current request (Unauthenticated without claims)."""
    return caller_of(app.current_event.raw_event)


def body(app: ConcurrentHttpResolver, model: type[T], *, optional: bool = False) -> T:
    """The current request's JSON body validated as ``model`` (at most the settings'
    ``max_body_bytes``)."""
    event = app.current_event
    try:
        text = event.decoded_body if event.body is not None else None
    except ValueError:  # not UTF-8 (UnicodeDecodeError) or bad base64 (binascii.Error)
        raise MalformedJson("the body is not UTF-8 text") from None
    return read_body(model, text, container().settings.max_body_bytes, optional=optional)


def container() -> Container:
    """The process's composition root (built on first use)."""
    return bootstrap.container()
