"""The local app's client site: /config.json, and the built files cached and compressed as
CloudFront serves them on AWS."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from votes.local.site import IMMUTABLE, REVALIDATE, ClientSite, config_endpoint
from votes.settings import Settings

BUNDLE = "export const app = 'votes';\n" * 400  # compressible, well over the 500-byte floor


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>votes</title>" + "<p>wait</p>" * 60)
    (dist / "assets" / "index-AbC123.js").write_text(BUNDLE)
    (dist / "robots.txt").write_text("User-agent: *\n")
    client_site = ClientSite(dist)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        assert client_site.wants(scope), scope["path"]
        await client_site(scope, receive, send)

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://votes.test") as client:
        yield client


async def test_hashed_assets_are_immutable_and_gzipped(site: httpx.AsyncClient) -> None:
    response = await site.get("/assets/index-AbC123.js", headers={"Accept-Encoding": "gzip, br"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == IMMUTABLE
    assert response.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in response.headers["vary"].lower()
    assert int(response.headers["content-length"]) < len(BUNDLE) / 10
    assert response.text == BUNDLE  # httpx decodes it


async def test_without_accept_encoding_the_file_comes_as_it_is(site: httpx.AsyncClient) -> None:
    response = await site.get("/assets/index-AbC123.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in response.headers
    assert response.content == BUNDLE.encode()


async def test_index_and_unhashed_files_are_revalidated(site: httpx.AsyncClient) -> None:
    for path in ("/", "/robots.txt"):
        assert (await site.get(path)).headers["cache-control"] == REVALIDATE, path
    page = await site.get("/polls/abc", headers={"Accept": "text/html", "Accept-Encoding": "gzip"})
    assert page.headers["cache-control"] == REVALIDATE
    assert page.headers["content-encoding"] == "gzip"
    assert page.text.startswith("<!doctype html><title>votes</title>")


async def test_a_revalidated_asset_answers_304(site: httpx.AsyncClient) -> None:
    first = await site.get("/assets/index-AbC123.js")
    again = await site.get(
        "/assets/index-AbC123.js", headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304


async def test_config_json_gives_the_pools_password_policy(tmp_path: Path) -> None:
    # the policy of the pool template the local IdP enforces (a copy with other rules here)
    template = Settings().idp_pool_template.read_text()
    copy = tmp_path / "cognito.yml"
    copy.write_text(
        template.replace("MinimumLength: 8", "MinimumLength: 12").replace(
            "RequireSymbols: false", "RequireSymbols: true"
        )
    )
    settings = Settings(idp_pool_template=copy)
    app = Starlette(routes=[Route("/config.json", config_endpoint(settings))])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://votes.test:8000") as c:
        config = await c.get("/config.json")
    assert config.headers["cache-control"] == "no-store"
    body = config.json()
    assert body["apiUrl"] == "http://votes.test:8000"
    assert body["cognitoEndpoint"] == "http://votes.test:8000/cognito"
    assert body["passwordPolicy"] == {
        "minimumLength": 12,
        "requireLowercase": True,
        "requireUppercase": True,
        "requireNumbers": True,
        "requireSymbols": True,
    }
