"""Where ``TallyUpdated`` messages go: the port and its adapters (in-process, Amazon SNS)."""

from projections.publishers.base import TallyPublisher
from projections.publishers.inprocess import InProcessPublisher

__all__ = ["InProcessPublisher", "TallyPublisher"]
