"""What API Gateway (HTTP API, payload format 2.0) does in front of a Lambda, done locally.

:func:`api_event` turns an HTTP request into the exact event a Lambda receives: route key and
path parameters of the matched route (``$default`` when none matches), lowercased headers
(repeated ones joined by commas), cookies split out, query string parameters, the body (base64
for binary content) and a request context holding the JWT authorizer's verified claims.
:func:`http_response` turns the handler's result back into status, headers and body.
"""

from __future__ import annotations

import base64
import random
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, unquote

__all__ = ["RouteTable", "api_event", "http_response"]

TEXT_TYPES = ("text/", "application/json", "application/x-www-form-urlencoded", "+json", "xml")
_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_ids = random.Random()  # request ids need only be unique, not secret


@dataclass(frozen=True)
class _Route:
    method: str
    path: str
    pattern: re.Pattern[str]
    public: bool


class RouteTable:
    """The API's routes as API Gateway knows them (``METHOD /path/{param}``)."""

    def __init__(self, routes: Iterable[tuple[str, str, bool]]) -> None:
        """``routes``: (method, OpenAPI-style path, public: True when no token is required)."""
        self._routes = [
            _Route(
                method.upper(),
                path,
                re.compile(
                    "^"
                    + _PARAM.sub(
                        r"(?P<\1>[^/]+)", re.escape(path).replace(r"\{", "{").replace(r"\}", "}")
                    )
                    + "$"
                ),
                public,
            )
            for method, path, public in routes
        ]

    def match(self, method: str, path: str) -> tuple[str, dict[str, str] | None, bool]:
        """(route key, path parameters, public) for a request. No route matches: ``$default``,
        public (API Gateway answers 404 before any authorizer runs; the handler does here)."""
        for route in self._routes:
            if route.method != method:
                continue
            found = route.pattern.match(path)
            if found:
                params = {k: unquote(v) for k, v in found.groupdict().items()}
                return f"{route.method} {route.path}", params or None, route.public
        return "$default", None, True


@lru_cache(maxsize=4)
def _clf_time(second: int) -> str:
    """``27/Nov/2026:12:00:00 +0000``, as API Gateway writes ``requestContext.time``."""
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(second))


def _is_text(content_type: str) -> bool:
    content_type = content_type.lower()
    return not content_type or any(t in content_type for t in TEXT_TYPES)


def _joined(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in pairs:
        out[key] = f"{out[key]},{value}" if key in out else value
    return out


def api_event(
    *,
    method: str,
    path: str,
    raw_query: str,
    raw_headers: Iterable[tuple[bytes, bytes]],
    body: bytes,
    source_ip: str,
    route_key: str,
    path_parameters: dict[str, str] | None,
    jwt: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The payload 2.0 event API Gateway would send for this request."""
    headers = _joined((k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in raw_headers)
    cookie_header = headers.pop("cookie", None)
    now = time.time()
    # API Gateway's id shape; not os.urandom, a system call that lets the GIL go per request
    request_id = base64.b64encode(_ids.getrandbits(80).to_bytes(10, "big")).decode()
    host = headers.get("host", "localhost")
    context: dict[str, Any] = {
        "accountId": "000000000000",
        "apiId": "local",
        "domainName": host,
        "domainPrefix": host.split(".", 1)[0],
        "http": {
            "method": method,
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": route_key,
        "stage": "$default",
        "time": _clf_time(int(now)),
        "timeEpoch": int(now * 1000),
    }
    if jwt is not None:
        context["authorizer"] = {"jwt": dict(jwt)}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": context,
        "isBase64Encoded": False,
    }
    if cookie_header:
        event["cookies"] = [c.strip() for c in cookie_header.split(";") if c.strip()]
    if raw_query:
        event["queryStringParameters"] = _joined(parse_qsl(raw_query, keep_blank_values=True))
    if path_parameters:
        event["pathParameters"] = path_parameters
    if body:
        if _is_text(headers.get("content-type", "")):
            try:
                event["body"] = body.decode("utf-8")
            except UnicodeDecodeError:
                event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
        else:
            event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    return event


def http_response(result: Mapping[str, Any]) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Status, raw headers and body bytes of a payload 2.0 Lambda result."""
    status = int(result.get("statusCode", 200))
    headers = [
        (k.lower().encode("latin-1"), str(v).encode("latin-1"))
        for k, v in (result.get("headers") or {}).items()
    ]
    for value in (result.get("multiValueHeaders") or {}).get("Set-Cookie", []):
        headers.append((b"set-cookie", value.encode("latin-1")))
    headers.extend((b"set-cookie", c.encode("latin-1")) for c in result.get("cookies") or [])
    raw = result.get("body") or ""
    body = base64.b64decode(raw) if result.get("isBase64Encoded") else raw.encode("utf-8")
    return status, headers, body
