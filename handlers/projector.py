"""Lambda entry for SQS batches of the relay's EventBridge events: the live tally projector.

Why not Powertools' ``BatchProcessor``: it calls a handler once per record, while the tally
projector is built to take a whole batch in one transaction (one commit, one ``TallyUpdated``
per changed poll). So each record is parsed on its own, the good ones are applied as ONE batch,
and the answer is SQS's partial batch response,
``{"batchItemFailures": [{"itemIdentifier": <messageId>}, ...]}``. Parsing checks only what the
projector uses (the record's ``body``, the envelope's ``source`` and ``detail``): Powertools'
strict ``EventBridgeModel`` would turn an envelope lacking an unused field (moto leaves out
``account``) into a poison message.

* a record that does not parse (a poison message) is reported failed, the rest still apply;
  after ``maxReceiveCount`` failures SQS moves it to the dead-letter queue;
* if the batch fails to apply because the database is unreachable, every record is reported
  failed (all are retried later);
* if it fails for another reason, each event is applied alone, so only the events that fail
  on their own are reported. Applying again is safe: the projector records per ballot and
  poll what it applied, so a redelivered event changes nothing twice.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import InterfaceError, OperationalError

from handlers.relay_events import LogEvent, event_of_detail
from vote_domain.errors import Unavailable

if TYPE_CHECKING:
    from projections.projector import TallyProjector

__all__ = ["BatchOutcome", "handler", "parse_record", "process_batch"]

log = logging.getLogger(__name__)

UNREACHABLE = (OperationalError, InterfaceError, Unavailable, ConnectionError, TimeoutError)


class BatchOutcome(dict[str, Any]):
    """SQS's partial batch response: ``{"batchItemFailures": [{"itemIdentifier": id}]}``."""

    @classmethod
    def of(cls, failed_ids: Sequence[str]) -> BatchOutcome:
        return cls(batchItemFailures=[{"itemIdentifier": i} for i in dict.fromkeys(failed_ids)])


def parse_record(record: Mapping[str, Any], *, source: str = "votes") -> LogEvent:
    """The committed event one SQS record carries (ValueError if it carries none)."""
    body = record.get("body")
    if not isinstance(body, str):
        raise ValueError("the SQS record has no body")
    try:
        envelope = json.loads(body)
    except ValueError as e:
        raise ValueError(f"the body is not JSON: {e}") from e
    if not isinstance(envelope, dict) or not isinstance(envelope.get("detail"), dict):
        raise ValueError("the body is not an EventBridge event")
    if envelope.get("source") != source:
        raise ValueError(f"unexpected event source {envelope.get('source')!r}")
    try:
        return event_of_detail(envelope["detail"])
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"not a votes event detail: {e!r}") from e


async def process_batch(
    projector: TallyProjector, event: Mapping[str, Any], *, source: str = "votes"
) -> BatchOutcome:
    """Apply the batch ``event`` (an SQS event) through ``projector``; the failed records."""
    records = event.get("Records") or []
    failed: list[str] = []
    good: list[tuple[str, LogEvent]] = []
    for record in records:
        message_id = str(record.get("messageId", ""))
        try:
            good.append((message_id, parse_record(record, source=source)))
        except ValueError as e:
            log.error("poison message %s: %s", message_id, e)
            failed.append(message_id)
    good.sort(key=lambda item: item[1].id)
    if good:
        failed += await _apply(projector, good)
    return BatchOutcome.of(failed)


async def _apply(projector: TallyProjector, batch: Sequence[tuple[str, LogEvent]]) -> list[str]:
    """Apply ``batch`` as one; the message ids that could not be applied."""
    try:
        await projector.process([e for _, e in batch])
        return []
    except UNREACHABLE:
        log.exception("the tally store is unreachable; the whole batch will be retried")
        return [message_id for message_id, _ in batch]
    except Exception:
        if len(batch) == 1:
            log.exception("event %s failed to apply", batch[0][1].id)
            return [batch[0][0]]
        log.exception("batch of %d failed to apply; applying its events one by one", len(batch))
    failed: list[str] = []
    for item in batch:
        failed += await _apply(projector, [item])
    return failed


# -- Lambda wiring ---------------------------------------------------------------------------

_projector: TallyProjector | None = None


def _live_projector() -> TallyProjector:
    """The process's projector: the container's store, publishing to SNS when configured."""
    global _projector
    if _projector is None:
        from handlers import bootstrap
        from projections.projector import TallyProjector

        built = bootstrap.container()
        publisher = None
        if built.settings.tally_topic_arn:
            from projections.publishers.sns import SnsPublisher

            publisher = SnsPublisher(
                built.settings.tally_topic_arn, region_name=built.settings.region
            )
        _projector = TallyProjector(built.store, publisher)
    return _projector


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry (SQS event source with ReportBatchItemFailures)."""
    from handlers import bootstrap, runtime

    source = bootstrap.container().settings.event_source
    outcome = runtime.run(process_batch(_live_projector(), event, source=source))
    failures = len(outcome["batchItemFailures"])
    log.info(
        "projected batch", extra={"records": len(event.get("Records") or []), "failed": failures}
    )
    return dict(outcome)
