"""A local identity provider standing in for one Cognito user pool and app client.

It answers the Cognito actions the app uses (SignUp, InitiateAuth with USER_PASSWORD_AUTH
and REFRESH_TOKEN_AUTH, GetUser) with Cognito's request and response shapes, and issues
RS256 tokens with Cognito's claims (:mod:`votes.local.idp.tokens`), which
:class:`votes.local.auth.JwtVerifier` checks exactly as it checks Cognito's. Sign-ups are confirmed
at once (as the dev stages' pre sign-up trigger does). Members of ``admins`` get
``cognito:groups: ["admins"]``. Tokens survive restarts with the key file.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from vote_domain import EventStore
from votes.local.auth import ExpiredToken, InvalidToken, JwtVerifier
from votes.local.idp.keys import SigningKey
from votes.local.idp.rules import (
    CognitoError,
    PasswordPolicy,
    check_username,
    invalid_parameter,
    require_str,
    user_attributes,
)
from votes.local.idp.tokens import TokenMinter
from votes.local.idp.users import MIGRATIONS, UserRecord, UserTable

__all__ = ["ADMINS_GROUP", "LocalIdentityProvider"]

ADMINS_GROUP = "admins"
INCORRECT = "Incorrect username or password."


def default_hasher() -> PasswordHasher:
    """Argon2id with one of OWASP's recommended settings (12 MiB, 3 passes, 1 lane): strong
    enough for a local stand-in, cheap enough that sign-ups in a load test stay fast."""
    return PasswordHasher(time_cost=3, memory_cost=12 * 1024, parallelism=1)


class LocalIdentityProvider:
    """One local user pool (``user_pool_id``) with one app client (``client_id``)."""

    def __init__(
        self,
        store: EventStore,
        key: SigningKey,
        *,
        user_pool_id: str,
        client_id: str,
        issuer: str,
        admins: Iterable[str] = (),
        access_token_ttl: int = 3600,
        refresh_token_ttl: int = 30 * 24 * 3600,
        policy: PasswordPolicy | None = None,
        hasher: PasswordHasher | None = None,
        prevent_user_existence_errors: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.users = UserTable(store)
        self.key = key
        self.user_pool_id = user_pool_id
        self.client_id = client_id
        self.issuer = issuer.rstrip("/")
        self.admins = frozenset(a.casefold() for a in admins)
        self.access_token_ttl = access_token_ttl
        self.refresh_token_ttl = refresh_token_ttl
        self.policy = policy or PasswordPolicy()
        self.hasher = hasher or default_hasher()
        self.prevent_user_existence_errors = prevent_user_existence_errors
        self.clock = clock
        self.minter = TokenMinter(
            key, self.issuer, client_id, access_token_ttl, refresh_token_ttl, clock
        )
        self._verifier = JwtVerifier(issuer=self.issuer, client_id=client_id, jwks=key.jwks())
        self._dummy_hash: str | None = None

    @classmethod
    async def open(cls, store: EventStore, settings: Any, **options: Any) -> LocalIdentityProvider:
        """The provider ``settings`` (a :class:`votes.settings.Settings`) describe, with its
        table migrated and its signing key loaded or created."""
        await store.migrate(MIGRATIONS)
        key = await asyncio.to_thread(SigningKey.load_or_create, settings.idp_key_file)
        return cls(
            store,
            key,
            user_pool_id=settings.user_pool_id,
            client_id=settings.user_pool_client_id,
            issuer=settings.token_issuer,
            admins=settings.admins,
            access_token_ttl=settings.idp_access_token_ttl,
            refresh_token_ttl=settings.idp_refresh_token_ttl,
            policy=PasswordPolicy(
                minimum_length=settings.password_minimum_length,
                require_uppercase=settings.password_require_uppercase,
                require_lowercase=settings.password_require_lowercase,
                require_numbers=settings.password_require_numbers,
                require_symbols=settings.password_require_symbols,
            ),
            **options,
        )

    def jwks(self) -> dict[str, Any]:
        """The JWKS document served at ``<issuer>/.well-known/jwks.json``."""
        return self.key.jwks()

    def verifier(self) -> JwtVerifier:
        """A verifier of this provider's access tokens (no network needed)."""
        return self._verifier

    # -- actions -----------------------------------------------------------------------------

    async def sign_up(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """SignUp: create a confirmed user."""
        self._check_client(request)
        username = require_str(request, "Username")
        password = require_str(request, "Password")
        check_username(username)
        attributes = user_attributes(request.get("UserAttributes"))
        self.policy.check(password)
        if await self.users.find(username) is not None:
            raise CognitoError("UsernameExistsException", "User already exists")
        password_hash = await asyncio.to_thread(self.hasher.hash, password)
        user = UserRecord(
            username=username,
            sub=str(uuid.uuid4()),
            password_hash=password_hash,
            attributes=attributes,
            created_at=datetime.now(UTC).isoformat(),
        )
        if not await self.users.insert(user):
            raise CognitoError("UsernameExistsException", "User already exists")
        return {"UserConfirmed": True, "UserSub": user.sub}

    async def initiate_auth(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """InitiateAuth with USER_PASSWORD_AUTH or REFRESH_TOKEN_AUTH."""
        self._check_client(request)
        flow = require_str(request, "AuthFlow")
        params = request.get("AuthParameters") or {}
        if not isinstance(params, dict):
            raise invalid_parameter("AuthParameters must be a map")
        if flow == "USER_PASSWORD_AUTH":
            user = await self._authenticate(params)
            auth_time, origin_jti = int(self.clock()), str(uuid.uuid4())
            result = await asyncio.to_thread(self._tokens, user, auth_time, origin_jti, True)
        elif flow in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
            user, auth_time, origin_jti = await self._refreshing(params)
            result = await asyncio.to_thread(self._tokens, user, auth_time, origin_jti)
        else:
            raise invalid_parameter(
                f"AuthFlow {flow} is not supported by the local identity provider "
                "(use USER_PASSWORD_AUTH or REFRESH_TOKEN_AUTH)"
            )
        return {"ChallengeParameters": {}, "AuthenticationResult": result}

    async def get_user(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """GetUser: the attributes of the access token's user."""
        token = require_str(request, "AccessToken")
        try:
            claims = self._verifier.verify(token)
        except ExpiredToken as e:
            raise CognitoError("NotAuthorizedException", "Access Token has expired") from e
        except InvalidToken as e:
            raise CognitoError("NotAuthorizedException", "Invalid Access Token") from e
        user = await self.users.find_by_sub(str(claims["sub"]))
        if user is None:
            raise CognitoError("UserNotFoundException", "User does not exist.")
        attributes = [{"Name": "sub", "Value": user.sub}]
        attributes += [
            {"Name": k, "Value": v} for k, v in sorted(self._id_attributes(user).items())
        ]
        return {"Username": user.username, "UserAttributes": attributes}

    # -- internals ---------------------------------------------------------------------------

    def _check_client(self, request: Mapping[str, Any]) -> None:
        client_id = require_str(request, "ClientId")
        if client_id != self.client_id:
            raise CognitoError(
                "ResourceNotFoundException", f"User pool client {client_id} does not exist."
            )

    async def _authenticate(self, params: Mapping[str, Any]) -> UserRecord:
        username = params.get("USERNAME")
        password = params.get("PASSWORD")
        for name, value in (("USERNAME", username), ("PASSWORD", password)):
            if not isinstance(value, str) or not value:
                raise invalid_parameter(f"Missing required parameter {name}")
        assert isinstance(username, str) and isinstance(password, str)
        user = await self.users.find(username)
        if user is None and self._dummy_hash is None:
            self._dummy_hash = await asyncio.to_thread(self.hasher.hash, uuid.uuid4().hex)
        stored = user.password_hash if user else self._dummy_hash
        assert stored is not None
        # an unknown user costs a hash check too, so timing does not tell who exists
        ok = await asyncio.to_thread(self._password_matches, stored, password)
        if user is None:
            if self.prevent_user_existence_errors:
                raise CognitoError("NotAuthorizedException", INCORRECT)
            raise CognitoError("UserNotFoundException", "User does not exist.")
        if not ok:
            raise CognitoError("NotAuthorizedException", INCORRECT)
        return user

    def _password_matches(self, stored_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    async def _refreshing(self, params: Mapping[str, Any]) -> tuple[UserRecord, int, str]:
        token = params.get("REFRESH_TOKEN")
        if not isinstance(token, str) or not token:
            raise invalid_parameter("Missing required parameter REFRESH_TOKEN")
        try:
            claims = self.minter.read_refresh_token(token)
        except jwt.ExpiredSignatureError as e:
            raise CognitoError("NotAuthorizedException", "Refresh Token has expired") from e
        except jwt.PyJWTError as e:
            raise CognitoError("NotAuthorizedException", "Invalid Refresh Token") from e
        user = await self.users.find_by_sub(claims.sub)
        if user is None:
            raise CognitoError("NotAuthorizedException", "Invalid Refresh Token")
        return user, claims.auth_time, claims.origin_jti

    def _groups(self, user: UserRecord) -> list[str]:
        return [ADMINS_GROUP] if user.username.casefold() in self.admins else []

    def _id_attributes(self, user: UserRecord) -> dict[str, str]:
        attributes = dict(user.attributes)
        if "email" in attributes:
            attributes["email_verified"] = "true"  # as the pre sign-up trigger's autoVerifyEmail
        return attributes

    def _tokens(
        self, user: UserRecord, auth_time: int, origin_jti: str, with_refresh: bool = False
    ) -> dict[str, Any]:
        """The AuthenticationResult (RSA signing: run it off the event loop)."""
        result = self.minter.tokens(
            sub=user.sub,
            username=user.username,
            groups=self._groups(user),
            attributes=self._id_attributes(user),
            auth_time=auth_time,
            origin_jti=origin_jti,
        )
        if with_refresh:
            result["RefreshToken"] = self.minter.refresh_token(
                sub=user.sub, auth_time=auth_time, origin_jti=origin_jti
            )
        return result
