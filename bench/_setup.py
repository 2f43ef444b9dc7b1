"""Shared set-up for the HTTP benchmarks: users, tokens, polls on a running ``votes serve``."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx

__all__ = ["PASSWORD", "Population", "populate"]

PASSWORD = "Bench-Passw0rd!"
TARGET = "AWSCognitoIdentityProviderService."


@dataclass
class Population:
    tokens: list[str]
    admin_token: str
    poll_ids: list[str]
    options: list[str]


async def _cognito(client: httpx.AsyncClient, action: str, body: dict[str, object]) -> dict:
    r = await client.post(
        "/cognito/",
        json=body,
        headers={"X-Amz-Target": TARGET + action, "Content-Type": "application/x-amz-json-1.1"},
    )
    r.raise_for_status()
    return r.json()


async def _token(client: httpx.AsyncClient, client_id: str, username: str) -> str:
    await _cognito(
        client, "SignUp", {"ClientId": client_id, "Username": username, "Password": PASSWORD}
    )
    auth = await _cognito(
        client,
        "InitiateAuth",
        {
            "ClientId": client_id,
            "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": username, "PASSWORD": PASSWORD},
        },
    )
    token = auth["AuthenticationResult"]["AccessToken"]
    r = await client.post("/voters", headers={"Authorization": f"Bearer {token}"})
    r.raise_for_status()
    return token


async def populate(base: str, *, users: int, polls: int, admin: str = "bench-admin") -> Population:
    """Sign up and register ``users`` voters and an admin, who creates ``polls`` polls."""
    options = ["Red", "Green", "Blue"]
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        client_id = (await client.get("/config.json")).json()["userPoolClientId"]
        admin_token = await _token(client, client_id, admin)
        sem = asyncio.Semaphore(4)

        async def one(i: int) -> str:
            async with sem:
                return await _token(client, client_id, f"voter{i:05d}")

        tokens = list(await asyncio.gather(*(one(i) for i in range(users))))
        poll_ids = []
        for i in range(polls):
            r = await client.post(
                "/polls",
                json={"question": f"Bench poll {i}", "options": options},
                headers={"Authorization": f"Bearer {admin_token}"},
            )
            r.raise_for_status()
            poll_ids.append(r.json()["id"])
    return Population(tokens, admin_token, poll_ids, options)
