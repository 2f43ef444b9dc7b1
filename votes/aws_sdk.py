"""How the app's AWS SDK clients are configured: short timeouts and few tries, one rule.

botocore's defaults -- 60 s to connect, 60 s to read, five tries in its legacy retry mode --
let one slow AWS endpoint hold a vote for the API's whole 29 s (the fast path to EventBridge
runs before the answer; a cold container reads the database secret first). Every client the
app builds (EventBridge, SNS, Secrets Manager; AppSync's HTTP publish uses the same figures)
takes :func:`client_config` instead: ``aws_connect_timeout`` and ``aws_read_timeout`` seconds
per try, ``aws_max_attempts`` tries in all, in botocore's ``standard`` retry mode (throttling
and transient errors retried with jittered backoff). A slow endpoint then costs a call at most
``attempts x (connect + read)`` seconds plus the backoff: 6 s and about 1 s with the defaults.
"""

from __future__ import annotations

from typing import Any

from votes.settings import Settings

__all__ = ["client_config"]


def client_config(settings: Settings) -> Any:
    """The ``botocore.config.Config`` of every boto3 and aioboto3 client the app builds."""
    # Lazy: botocore.config takes about 100 ms to import (python -X importtime, loaded 2-core
    # machine); the local app and an API container that calls no AWS API never need it.
    from botocore.config import Config

    return Config(
        connect_timeout=settings.aws_connect_timeout,
        read_timeout=settings.aws_read_timeout,
        retries={"mode": "standard", "total_max_attempts": settings.aws_max_attempts},
    )
