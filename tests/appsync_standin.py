"""A stand-in for AWS AppSync Events' HTTP publish endpoint: records what is published to it
and checks each request's Signature Version 4.

``POST /event`` with ``{"channel", "events": [<JSON text>, ...]}`` is answered as AppSync
documents it (``{"successful": [{"identifier", "index"}], "failed": []}``,
https://docs.aws.amazon.com/appsync/latest/eventapi/publish-http.html) after checking:

* the body: a channel path, 1 to 5 events, each a JSON text;
* the signature: an ``Authorization: AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/appsync/
  aws4_request, SignedHeaders=..., Signature=<64 hex>`` header whose signed headers include
  ``host`` and ``x-amz-date``, and whose signature is the one botocore computes again here from
  the request, the known test credentials and the request's own ``X-Amz-Date``.

A request failing a check is answered 403 and counted in :attr:`AppSyncStandIn.rejected`.
``fail_next`` answers the next requests with a 500 (to test retries).

    with AppSyncStandIn(secret_key="testing") as appsync:
        ... publish to appsync.url ...
        appsync.published  # [(channel, parsed event)] in arrival order
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

__all__ = ["AppSyncStandIn", "Request"]

AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[a-z0-9-]+)/"
    r"(?P<service>[a-z0-9-]+)/aws4_request, SignedHeaders=(?P<signed>[a-z0-9;-]+), "
    r"Signature=(?P<signature>[0-9a-f]{64})$"
)


@dataclass
class Request:
    """One request received: what it published, or why it was refused."""

    channel: str
    events: list[Any]
    headers: dict[str, str]
    problem: str | None = None


@dataclass
class AppSyncStandIn:
    """The stand-in server, on a free port of 127.0.0.1 while entered."""

    access_key: str = "testing"
    secret_key: str = "testing"
    session_token: str | None = "testing"
    region: str = "us-east-1"
    requests: list[Request] = field(default_factory=list)
    fail_next: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/event"

    @property
    def published(self) -> list[tuple[str, Any]]:
        """(channel, event parsed) of every accepted request, in arrival order."""
        with self._lock:
            return [(r.channel, e) for r in self.requests if r.problem is None for e in r.events]

    @property
    def rejected(self) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.problem is not None]

    def __enter__(self) -> AppSyncStandIn:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                status, answer = standin._answer(self.path, dict(self.headers.items()), body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _answer(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        with self._lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                return 500, {"errors": [{"errorType": "InternalFailure"}]}
        try:
            document = json.loads(body)
            channel, events = document["channel"], document["events"]
            parsed = [json.loads(e) for e in events]
        except (ValueError, KeyError, TypeError) as e:
            return self._refuse(Request("", [], headers, f"malformed body: {e!r}"))
        request = Request(channel, parsed, headers)
        problem = self._check(path, headers, body, channel, events)
        if problem is not None:
            request.problem = problem
            return self._refuse(request)
        with self._lock:
            self.requests.append(request)
        successful = [{"identifier": str(uuid.uuid4()), "index": i} for i in range(len(events))]
        return 200, {"successful": successful, "failed": []}

    def _refuse(self, request: Request) -> tuple[int, Any]:
        with self._lock:
            self.requests.append(request)
        return 403, {"errors": [{"errorType": "UnauthorizedException", "message": request.problem}]}

    def _check(
        self, path: str, headers: dict[str, str], body: bytes, channel: Any, events: Any
    ) -> str | None:
        """What is wrong with a publish request (None: nothing)."""
        if path != "/event":
            return f"path {path!r}"
        if not isinstance(channel, str) or not re.fullmatch(r"(/[A-Za-z0-9-]+){2,5}", channel):
            return f"channel {channel!r}"
        if not isinstance(events, list) or not 1 <= len(events) <= 5:
            return "1 to 5 events per request"
        lower = {k.lower(): v for k, v in headers.items()}
        found = AUTHORIZATION.match(lower.get("authorization", ""))
        if found is None:
            return f"not a SigV4 Authorization header: {lower.get('authorization')!r}"
        if (found["key"], found["region"], found["service"]) != (
            self.access_key,
            self.region,
            "appsync",
        ):
            return f"signed for {found['key']}/{found['region']}/{found['service']}"
        signed = found["signed"].split(";")
        if not {"host", "x-amz-date"} <= set(signed):
            return f"signed headers {signed}"
        if self.session_token and lower.get("x-amz-security-token") != self.session_token:
            return "no session token"
        expected = self._signature(signed, lower, body)
        if found["signature"] != expected:
            return "wrong signature"
        return None

    def _signature(self, signed: list[str], headers: dict[str, str], body: bytes) -> str:
        """The signature botocore computes for this request, at its own X-Amz-Date."""
        host = headers["host"]
        request = AWSRequest(
            method="POST",
            url=f"http://{host}/event",
            data=body,
            headers={name: headers[name] for name in signed if name != "host"},
        )
        request.context["timestamp"] = headers["x-amz-date"]
        credentials = Credentials(self.access_key, self.secret_key, self.session_token)
        signer = SigV4Auth(credentials, "appsync", self.region)
        canonical = signer.canonical_request(request)
        return str(signer.signature(signer.string_to_sign(request, canonical), request))
