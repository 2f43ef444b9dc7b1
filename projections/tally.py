"""The tally of a poll, as read by the API and published as ``TallyUpdated``.

``TallyUpdated`` message (JSON, ``schema_version`` 1), one per changed poll per applied batch::

    {
      "type": "TallyUpdated",
      "schema_version": 1,
      "poll_id": "1f6f389a-2ee8-4a34-84d5-8deeaef1aca1",
      "counts": {"Yes": 3, "No": 1},      # every option of the poll, in the poll's order
      "total": 4,                         # sum of counts: ballots currently held
      "position": 1234,                   # highest log position folded into this tally
      "as_of": "2026-11-27T12:00:00.000000+00:00",  # time of the event at that position
      "final": false                      # true once the poll is closed: counts are final
    }

``position`` orders messages of one poll: a consumer keeps the one with the highest position
(ties: either, they are equal). The JSON Schema is :data:`TALLY_UPDATED_SCHEMA`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["TALLY_UPDATED_SCHEMA", "Tally", "TallyUpdated"]


class Tally(BaseModel):
    """How many ballots hold each option of one poll, as of a log position."""

    model_config = ConfigDict(frozen=True)

    poll_id: str = Field(description="the poll's id (canonical UUID text)")
    counts: dict[str, int] = Field(description="ballots per option, in the poll's option order")
    total: int = Field(description="ballots currently holding an option")
    position: int = Field(description="highest log position folded into this tally (0: none)")
    as_of: str | None = Field(description="ISO 8601 UTC time of the event at that position")
    final: bool = Field(description="true once the poll is closed")

    @classmethod
    def empty(cls, poll_id: str, options: list[str] | tuple[str, ...] = ()) -> Tally:
        """A tally with no votes."""
        return cls(
            poll_id=poll_id,
            counts=dict.fromkeys(options, 0),
            total=0,
            position=0,
            as_of=None,
            final=False,
        )


class TallyUpdated(Tally):
    """The message published after a batch changed a poll's tally."""

    type: Literal["TallyUpdated"] = "TallyUpdated"
    schema_version: Literal[1] = 1

    @classmethod
    def of(cls, tally: Tally) -> TallyUpdated:
        return cls(**tally.model_dump())

    def to_json(self) -> str:
        return self.model_dump_json()


TALLY_UPDATED_SCHEMA: dict[str, Any] = TallyUpdated.model_json_schema()
