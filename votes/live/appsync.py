"""Publishing to an AWS AppSync Events channel over its HTTP endpoint, signed with SigV4.

AWS documents the request (AppSync Events Developer Guide, "Publishing events via HTTP",
https://docs.aws.amazon.com/appsync/latest/eventapi/publish-http.html)::

    POST https://<http domain>/event
    content-type: application/json
    {"channel": "/tallies/<pollId>", "events": ["<JSON text>", ...]}   # at most 5 events

authorised here by IAM: the request is signed with Signature Version 4 for the service
``appsync`` (botocore's own signer, with the function's credentials), and the role may
``appsync:EventPublish`` on the namespace only (deploy/live.yml). The answer is
``{"successful": [{"identifier", "index"}], "failed": [{"identifier", "index", ...}]}``; an event
listed as failed, a 4xx other than 429, or no success within the tries is
:class:`PublishFailed`.

Each try is bounded like every AWS call of the app (:mod:`votes.aws_sdk`): ``connect_timeout``
and ``read_timeout`` seconds, ``attempts`` tries in all, retrying connection errors,
timeouts, 429 and 5xx with jittered exponential backoff. One HTTP session is kept per
publisher (so a warm Lambda container reuses its TLS connection) until :meth:`aclose`.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable, Sequence
from typing import Any

import aiohttp
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials, ReadOnlyCredentials
from botocore.session import get_session

__all__ = ["MAX_EVENTS", "SERVICE", "AppSyncPublisher", "PublishFailed"]

MAX_EVENTS = 5
"""Events per publish request (AppSync Events' limit)."""
SERVICE = "appsync"
"""The SigV4 service name of AppSync's endpoints."""
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class PublishFailed(Exception):
    """AppSync did not accept the events (after the tries allowed)."""


def _default_credentials() -> ReadOnlyCredentials:
    credentials = get_session().get_credentials()
    if credentials is None:
        raise PublishFailed("no AWS credentials to sign the AppSync publish with")
    return credentials.get_frozen_credentials()


class AppSyncPublisher:
    """Publishes events to channels of the Event API whose HTTP endpoint is ``url``."""

    def __init__(
        self,
        url: str,
        region: str,
        *,
        connect_timeout: float = 1.0,
        read_timeout: float = 2.0,
        attempts: int = 2,
        backoff: float = 0.1,
        credentials: Callable[[], ReadOnlyCredentials] = _default_credentials,
    ) -> None:
        self.url = url
        self.region = region
        self.attempts = attempts
        self.backoff = backoff
        self.credentials = credentials
        self._timeout = aiohttp.ClientTimeout(
            connect=connect_timeout, sock_connect=connect_timeout, sock_read=read_timeout
        )
        self._session: aiohttp.ClientSession | None = None

    def signed_headers(self, body: bytes) -> dict[str, str]:
        """The headers of a publish of ``body``, SigV4-signed now."""
        frozen = self.credentials()
        request = AWSRequest(
            method="POST", url=self.url, data=body, headers={"content-type": "application/json"}
        )
        credentials = Credentials(frozen.access_key, frozen.secret_key, frozen.token)
        SigV4Auth(credentials, SERVICE, self.region).add_auth(request)
        return dict(request.headers.items())

    async def publish(self, channel: str, events: Sequence[str]) -> None:
        """Publish ``events`` (each a JSON text) to ``channel``, at most 5 per request."""
        for start in range(0, len(events), MAX_EVENTS):
            body = json.dumps(
                {"channel": channel, "events": list(events[start : start + MAX_EVENTS])},
                separators=(",", ":"),
            ).encode()
            await self._post(body)

    async def _post(self, body: bytes) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        problem = "no attempt"
        for attempt in range(self.attempts):
            if attempt:
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1) * random.uniform(0.5, 1.5))
            try:
                async with self._session.post(
                    self.url, data=body, headers=self.signed_headers(body)
                ) as response:
                    text = await response.text()
                    status = response.status
            except (aiohttp.ClientError, TimeoutError) as e:
                problem = f"{type(e).__name__}: {e}"
                continue
            if status in RETRY_STATUSES:
                problem = f"HTTP {status}: {text[:200]}"
                continue
            if status != 200:
                raise PublishFailed(f"AppSync refused the publish: HTTP {status}: {text[:500]}")
            failed = _failed(text)
            if failed:
                raise PublishFailed(f"AppSync refused {len(failed)} event(s): {failed}")
            return
        raise PublishFailed(f"AppSync publish failed after {self.attempts} tries: {problem}")

    async def aclose(self) -> None:
        """Close the HTTP session."""
        session, self._session = self._session, None
        if session is not None:
            await session.close()


def _failed(text: str) -> list[Any]:
    try:
        answer = json.loads(text)
    except ValueError:
        return []
    failed = answer.get("failed") if isinstance(answer, dict) else None
    return failed if isinstance(failed, list) else []
