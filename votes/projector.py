"""SQS batches of the relay's EventBridge events, applied by the live tally projector.

The projector Lambda (``handlers/projector.py``) gives each batch to :func:`process_batch` and
answers with its outcome.

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

Logs are Powertools' JSON; each line about one event carries its position, originator id and
version, event name, SQS message id and correlation id (``<originator id>:<version>``, the
same for every delivery of the event). Each invocation logs one ``projected batch`` line and
emits ``EventsProjected`` and ``ProjectorLag`` (one sample per applied event: ms from the
event's timestamp to its batch's commit, so CloudWatch gives any percentile).
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from eventsourcing.persistence import InterfaceError, OperationalError

from projections import TallyProjector
from vote_domain import Unavailable
from votes.observability import count, logger, samples
from votes.relay.events import LogEvent, detail_type, event_of_detail, event_time

__all__ = [
    "BatchOutcome",
    "Projected",
    "event_fields",
    "parse_record",
    "process_batch",
    "report",
]

UNREACHABLE = (OperationalError, InterfaceError, Unavailable, ConnectionError, TimeoutError)


@dataclass(frozen=True, slots=True)
class Projected:
    """An event of the batch that was applied, and its lag (None if it has no timestamp)."""

    message_id: str
    event: LogEvent
    lag_ms: float | None


class BatchOutcome(dict[str, Any]):
    """SQS's partial batch response: ``{"batchItemFailures": [{"itemIdentifier": id}]}``;
    ``applied`` (not part of the response) lists the events applied, in position order."""

    applied: list[Projected]

    @classmethod
    def of(cls, failed_ids: Sequence[str], applied: Sequence[Projected] = ()) -> BatchOutcome:
        outcome = cls(batchItemFailures=[{"itemIdentifier": i} for i in dict.fromkeys(failed_ids)])
        outcome.applied = sorted(applied, key=lambda p: p.event.id)
        return outcome


def event_fields(message_id: str, event: LogEvent) -> dict[str, Any]:
    """The log fields naming one event of a batch, its correlation id included."""
    return {
        "correlation_id": f"{event.originator_id}:{event.originator_version}",
        "position": event.id,
        "originator_id": str(event.originator_id),
        "originator_version": event.originator_version,
        "event": detail_type(event.topic),
        "message_id": message_id,
    }


def _batch_fields(batch: Sequence[tuple[str, LogEvent]]) -> dict[str, Any]:
    return {
        "positions": [e.id for _, e in batch],
        "message_ids": [message_id for message_id, _ in batch],
    }


def _lag_ms(event: LogEvent, committed: float) -> float | None:
    """Milliseconds from ``event``'s timestamp to ``committed`` (epoch seconds)."""
    at = event_time(event.state)
    return None if at is None else max(0.0, round((committed - at) * 1000, 1))


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
            logger.error(
                "poison message",
                extra={"message_id": message_id, "correlation_id": message_id, "error": str(e)},
            )
            failed.append(message_id)
            continue
        logger.debug("event received", extra=event_fields(*good[-1]))
    good.sort(key=lambda item: item[1].id)
    applied: list[Projected] = []
    if good:
        failed += await _apply(projector, good, applied)
    return BatchOutcome.of(failed, applied)


async def _apply(
    projector: TallyProjector, batch: Sequence[tuple[str, LogEvent]], applied: list[Projected]
) -> list[str]:
    """Apply ``batch`` as one (adding what was applied to ``applied``); the message ids that
    could not be applied."""
    try:
        await projector.process([e for _, e in batch])
    except UNREACHABLE:
        logger.exception(
            "the tally store is unreachable; the whole batch will be retried",
            extra=_batch_fields(batch),
        )
        return [message_id for message_id, _ in batch]
    except Exception:
        if len(batch) == 1:
            logger.exception("event failed to apply", extra=event_fields(*batch[0]))
            return [batch[0][0]]
        logger.exception(
            "batch failed to apply; applying its events one by one", extra=_batch_fields(batch)
        )
        failed: list[str] = []
        for item in batch:
            failed += await _apply(projector, [item], applied)
        return failed
    committed = time.time()
    applied.extend(Projected(m, e, _lag_ms(e, committed)) for m, e in batch)
    return []


def report(records: int, outcome: BatchOutcome) -> None:
    """The log line and metrics of a batch of ``records`` SQS records."""
    lags = [p.lag_ms for p in outcome.applied if p.lag_ms is not None]
    count("EventsProjected", len(outcome.applied))
    samples("ProjectorLag", MetricUnit.Milliseconds, lags)
    logger.info(
        "projected batch",
        extra={
            "records": records,
            "failed": len(outcome["batchItemFailures"]),
            "positions": [p.event.id for p in outcome.applied],
            "correlation_ids": [
                event_fields(p.message_id, p.event)["correlation_id"] for p in outcome.applied
            ],
            "lag_ms_max": max(lags, default=None),
            "lag_ms_median": statistics.median(lags) if lags else None,
        },
    )
