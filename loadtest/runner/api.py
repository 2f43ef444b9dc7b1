"""The few API and Cognito calls the runner makes itself: admin sign-in, seeding, tallies."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any

import httpx

__all__ = ["Cognito", "CognitoError", "VotesApi", "random_password", "tally_counts"]

AMZ_JSON = "application/x-amz-json-1.1"


def random_password() -> str:
    """A password that meets Cognito's default policy."""
    return f"Lt!{secrets.token_hex(12)}Z9"


class CognitoError(RuntimeError):
    """Cognito (or the local IdP) refused a call."""


@dataclass
class Cognito:
    """Cognito's JSON protocol on a public app client (no secret): the same calls for the local
    /cognito endpoint and AWS. E-mail is the username; ``name`` is the display name."""

    endpoint: str
    client_id: str
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30), repr=False)

    def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        headers = {
            "X-Amz-Target": f"AWSCognitoIdentityProviderService.{action}",
            "Content-Type": AMZ_JSON,
        }
        response = self.http.post(self.endpoint, content=json.dumps(payload), headers=headers)
        body = response.json() if response.content else {}
        if response.status_code != 200:
            raise CognitoError(f"{action} answered {response.status_code}: {body}")
        return dict(body)

    def sign_up(self, email: str, password: str, name: str) -> None:
        self.call(
            "SignUp",
            {
                "ClientId": self.client_id,
                "Username": email,
                "Password": password,
                "UserAttributes": [
                    {"Name": "email", "Value": email},
                    {"Name": "name", "Value": name},
                ],
            },
        )

    def sign_in(self, email: str, password: str) -> dict[str, Any]:
        """``InitiateAuth`` ``USER_PASSWORD_AUTH``: the ``AuthenticationResult``."""
        return self._auth("USER_PASSWORD_AUTH", {"USERNAME": email, "PASSWORD": password})

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        """``InitiateAuth`` ``REFRESH_TOKEN_AUTH``: a new access token (no new refresh token)."""
        return self._auth("REFRESH_TOKEN_AUTH", {"REFRESH_TOKEN": refresh_token})

    def access_token(self, email: str, password: str) -> str:
        return str(self.sign_in(email, password)["AccessToken"])

    def _auth(self, flow: str, parameters: dict[str, str]) -> dict[str, Any]:
        body = self.call(
            "InitiateAuth",
            {"ClientId": self.client_id, "AuthFlow": flow, "AuthParameters": parameters},
        )
        result = body.get("AuthenticationResult")
        if not isinstance(result, dict) or "AccessToken" not in result:
            raise CognitoError(f"InitiateAuth {flow} returned no tokens: {sorted(body)}")
        return result


def tally_counts(body: dict[str, Any]) -> dict[str, int]:
    """Votes per option from a GET /polls/{id}/results body."""
    for key in ("counts", "tallies", "tally", "options", "results"):
        value = body.get(key)
        if isinstance(value, dict):
            return {str(k): int(v) for k, v in value.items()}
        if isinstance(value, list):
            counts: dict[str, int] = {}
            for row in value:
                count = row.get("votes", row.get("count"))
                counts[str(row["option"])] = int(count)
            return counts
    raise ValueError(f"no per-option counts in results body: {body}")


class VotesApi:
    """The votes HTTP API, optionally signed in."""

    def __init__(self, base_url: str, token: str | None = None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=30)

    def close(self) -> None:
        self.http.close()

    def _ok(self, response: httpx.Response) -> Any:
        if response.status_code >= 400:
            raise RuntimeError(
                f"{response.request.method} {response.request.url.path} answered "
                f"{response.status_code}: {response.text[:300]}"
            )
        return response.json()

    def runtime_config(self) -> dict[str, Any]:
        """The local app's /config.json (client id and Cognito endpoint)."""
        return dict(self._ok(self.http.get("/config.json")))

    def register(self, display_name: str) -> None:
        self._ok(self.http.post("/voters", json={"display_name": display_name}))

    def create_poll(self, question: str, options: list[str]) -> str:
        body = self._ok(self.http.post("/polls", json={"question": question, "options": options}))
        return str(body.get("id") or body["poll"]["id"])

    def open_polls(self) -> list[dict[str, Any]]:
        body = self._ok(self.http.get("/polls"))
        polls = body if isinstance(body, list) else body.get("polls") or body.get("items") or []
        return [p for p in polls if p.get("is_open", True)]

    def tallies(self, poll_id: str) -> dict[str, int]:
        return tally_counts(self._ok(self.http.get(f"/polls/{poll_id}/results")))
