"""The browser client of the local app: ``/config.json`` and the built files of client/dist.

``/config.json`` is the client's runtime configuration, pointing it at this very server (the
API at ``/``, the local Cognito at ``/cognito``, live tallies over AppSync Events' WebSocket
protocol at ``/event/realtime``) and giving the pool's password policy. On AWS the same
document is the stack output ``ClientConfig`` (deploy/client-hosting.yml). The
built client is served at ``/``; a browser navigating to a client route (``Accept:
text/html``, no file of that name) gets ``index.html`` so the single-page app can route it,
while API calls fall through to the API.

As CloudFront serves it on AWS (scripts/deploy-client.sh, deploy/client-hosting.yml): the
content-hashed files under ``/assets/`` are cached for a year as immutable, everything else
(``index.html``) is revalidated on every load, and text is compressed (gzip, Starlette's
middleware) for browsers that accept it.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.datastructures import Headers
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from votes.live.channels import NAMESPACE
from votes.local.idp.pool import load_pool_config
from votes.settings import Settings

__all__ = [
    "IMMUTABLE",
    "PUBLISH_PATH",
    "REALTIME_PATH",
    "REVALIDATE",
    "ClientSite",
    "config_endpoint",
]

REALTIME_PATH = "/event/realtime"
"""Where AppSync Events serves its WebSocket (``wss://<realtime domain>/event/realtime``), and
so does ``votes serve`` (:mod:`votes.local.realtime`)."""
PUBLISH_PATH = "/event"
"""AppSync Events' HTTP publish path (``https://<http domain>/event``); its host is the
``host`` a WebSocket client names in its authorization header."""

IMMUTABLE = "public, max-age=31536000, immutable"
"""Cache-Control of the content-hashed build output (a new build has new names)."""
REVALIDATE = "no-cache"
"""Cache-Control of what keeps its name across builds (``index.html``)."""


def config_endpoint(settings: Settings) -> Callable[[Request], Awaitable[Response]]:
    """``GET /config.json`` for the client, with URLs of the host the browser used and the
    password policy of the pool template the local IdP enforces."""
    password_policy = load_pool_config(settings.idp_pool_template).client_policy()

    async def endpoint(request: Request) -> Response:
        base = f"{request.url.scheme}://{request.url.netloc}"
        socket = "wss" if request.url.scheme == "https" else "ws"
        return JSONResponse(
            {
                "apiUrl": base,
                "region": settings.region,
                "userPoolId": settings.user_pool_id,
                "userPoolClientId": settings.user_pool_client_id,
                "cognitoEndpoint": f"{base}/cognito",
                "realtime": {
                    "url": f"{socket}://{request.url.netloc}{REALTIME_PATH}",
                    "httpUrl": f"{base}{PUBLISH_PATH}",
                    "namespace": NAMESPACE,
                },
                "passwordPolicy": password_policy,
            },
            headers={"Cache-Control": "no-store"},
        )

    return endpoint


class _BuildFiles(StaticFiles):
    """The files of ``dist``, each with the Cache-Control its name calls for."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        hashed = str(scope["path"]).startswith("/assets/")
        response.headers["Cache-Control"] = IMMUTABLE if hashed else REVALIDATE
        return response


class ClientSite:
    """Serves the built client from ``dist`` when a request is for it."""

    def __init__(self, dist: Path) -> None:
        self.dist = dist.resolve()
        self.index = self.dist / "index.html"
        self._files = GZipMiddleware(_BuildFiles(directory=str(self.dist), check_dir=False))
        self._index = GZipMiddleware(self._serve_index)

    @property
    def available(self) -> bool:
        return self.index.is_file()

    def wants(self, scope: Scope) -> bool:
        """True if this GET/HEAD is for a file of the client or a browser navigation.

        API calls (no ``text/html`` in Accept, no file extension) never touch the disk here.
        """
        if scope["method"] not in ("GET", "HEAD"):
            return False
        path: str = scope["path"]
        navigation = "text/html" in Headers(scope=scope).get("accept", "")
        looks_like_file = "." in path.rsplit("/", 1)[-1] and path != "/openapi.json"
        if not (navigation or looks_like_file or path == "/") or not self.available:
            return False
        if path == "/" or (looks_like_file and self._file(path) is not None):
            return True
        has_token = any(k == b"authorization" for k, _ in scope["headers"])
        return navigation and not has_token and path != "/openapi.json"

    def _file(self, path: str) -> Path | None:
        candidate = (self.dist / path.lstrip("/")).resolve()
        if candidate.is_file() and candidate.is_relative_to(self.dist):
            return candidate
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        if path != "/" and self._file(path) is not None:
            await self._files(scope, receive, send)
        else:
            await self._index(scope, receive, send)

    async def _serve_index(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = FileResponse(self.index, headers={"Cache-Control": REVALIDATE})
        await response(scope, receive, send)
