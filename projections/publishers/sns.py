"""The Amazon SNS publisher: each ``TallyUpdated`` becomes one SNS message (JSON body).

Messages carry the attributes ``type`` (``TallyUpdated``) and ``poll_id`` so subscriptions
can filter; on a FIFO topic the poll id is the message group and ``<poll_id>:<position>``
the deduplication id. One client is opened on first use and kept until :meth:`aclose`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aioboto3

from projections.publishers.base import TallyPublisher
from projections.tally import TallyUpdated

__all__ = ["SnsPublisher"]

BATCH = 10  # PublishBatch accepts at most ten entries


class SnsPublisher(TallyPublisher):
    """Publishes to the SNS topic ``topic_arn`` (``endpoint_url`` for a local emulator;
    ``config``: the client's ``botocore.config.Config``, e.g. its timeouts and retries)."""

    def __init__(
        self,
        topic_arn: str,
        *,
        session: aioboto3.Session | None = None,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        config: Any = None,
    ) -> None:
        self.topic_arn = topic_arn
        self.fifo = topic_arn.endswith(".fifo")
        self._session = session or aioboto3.Session()
        self._client_args: dict[str, Any] = {"region_name": region_name, "config": config}
        if endpoint_url:
            self._client_args["endpoint_url"] = endpoint_url
        self._context: Any = None
        self._client: Any = None

    async def _sns(self) -> Any:
        if self._client is None:
            self._context = self._session.client("sns", **self._client_args)
            self._client = await self._context.__aenter__()
        return self._client

    def _entry(self, n: int, update: TallyUpdated) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "Id": str(n),
            "Message": update.to_json(),
            "MessageAttributes": {
                "type": {"DataType": "String", "StringValue": update.type},
                "poll_id": {"DataType": "String", "StringValue": update.poll_id},
            },
        }
        if self.fifo:
            entry["MessageGroupId"] = update.poll_id
            entry["MessageDeduplicationId"] = f"{update.poll_id}:{update.position}"
        return entry

    async def publish(self, updates: Sequence[TallyUpdated]) -> None:
        sns = await self._sns()
        for start in range(0, len(updates), BATCH):
            entries = [
                self._entry(n, u) for n, u in enumerate(updates[start : start + BATCH], start)
            ]
            response = await sns.publish_batch(
                TopicArn=self.topic_arn, PublishBatchRequestEntries=entries
            )
            failed = response.get("Failed") or []
            if failed:
                raise RuntimeError(f"SNS refused {len(failed)} tally update(s): {failed}")

    async def aclose(self) -> None:
        if self._context is not None:
            context, self._context, self._client = self._context, None, None
            await context.__aexit__(None, None, None)
