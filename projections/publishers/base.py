"""The publisher port: where the projector sends ``TallyUpdated`` after each committed batch."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from projections.tally import TallyUpdated

__all__ = ["TallyPublisher"]


class TallyPublisher(ABC):
    """Delivers tally updates to whoever follows them. Delivery is at least once at best:
    consumers keep, per poll, the message with the highest ``position``."""

    @abstractmethod
    async def publish(self, updates: Sequence[TallyUpdated]) -> None:
        """Send ``updates`` (one per changed poll)."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release any connection (no-op by default)."""
