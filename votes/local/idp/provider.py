"""A local identity provider standing in for one Cognito user pool and app client.

It answers the Cognito actions the app uses (SignUp, InitiateAuth with USER_PASSWORD_AUTH
and REFRESH_TOKEN_AUTH, GetUser) with Cognito's request and response shapes, and issues
RS256 tokens with Cognito's claims (:mod:`votes.local.idp.tokens`), which
:class:`votes.local.auth.JwtVerifier` checks exactly as it checks Cognito's. How the pool
behaves -- sign-in attribute and case sensitivity, password policy, user-existence errors,
token lifetimes, groups, allowed flows, the access token's scope -- is read from the template
that deploys the real pool (:mod:`votes.local.idp.pool`). Sign-ups are confirmed at once (as
the dev stages' pre sign-up trigger does). Users whose sign-in name is listed in ``admins`` get
``cognito:groups: ["admins"]``. Failed sign-ins are throttled
(:mod:`votes.local.idp.throttle`). Tokens survive restarts with the key file.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from vote_domain import EventStore
from votes.local.auth import ExpiredToken, InsufficientScope, InvalidToken, JwtVerifier
from votes.local.idp.keys import SigningKey
from votes.local.idp.pool import PoolConfig, load_pool_config
from votes.local.idp.rules import (
    CognitoError,
    check_username,
    invalid_parameter,
    require_str,
    sign_in_attribute,
    user_attributes,
)
from votes.local.idp.throttle import SignInThrottle
from votes.local.idp.tokens import TokenMinter
from votes.local.idp.users import MIGRATIONS, UserRecord, UserTable, username_key
from votes.pretoken import ADMINS_GROUP, SELF_SERVICE_SCOPE, access_scopes

__all__ = ["ADMINS_GROUP", "LocalIdentityProvider"]

INCORRECT = "Incorrect username or password."
NOT_FOUND = "User does not exist."


def default_hasher() -> PasswordHasher:
    """Argon2id with one of OWASP's recommended settings (12 MiB, 3 passes, 1 lane): strong
    enough for a local stand-in, cheap enough that sign-ups in a load test stay fast."""
    return PasswordHasher(time_cost=3, memory_cost=12 * 1024, parallelism=1)


class LocalIdentityProvider:
    """One local user pool (``user_pool_id``) with one app client (``client_id``), behaving as
    ``pool`` (default: deploy/cognito.yml's) says; ``access_token_ttl`` /
    ``refresh_token_ttl`` override the pool's token validity (tests of expiry)."""

    def __init__(
        self,
        store: EventStore,
        key: SigningKey,
        *,
        user_pool_id: str,
        client_id: str,
        issuer: str,
        admins: Iterable[str] = (),
        pool: PoolConfig | None = None,
        access_token_ttl: int | None = None,
        refresh_token_ttl: int | None = None,
        hasher: PasswordHasher | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.pool = pool or load_pool_config()
        self.users = UserTable(store, case_sensitive=self.pool.case_sensitive)
        self.key = key
        self.user_pool_id = user_pool_id
        self.client_id = client_id
        self.issuer = issuer.rstrip("/")
        self.admins = frozenset(username_key(a, self.pool.case_sensitive) for a in admins)
        self.access_token_ttl = access_token_ttl or self.pool.access_token_ttl
        self.refresh_token_ttl = refresh_token_ttl or self.pool.refresh_token_ttl
        self.policy = self.pool.password_policy
        self.hasher = hasher or default_hasher()
        self.clock = clock
        self.throttle = SignInThrottle(clock)
        self.scope = self._scope(groups=())
        self.minter = TokenMinter(
            key,
            self.issuer,
            client_id,
            self.access_token_ttl,
            self.refresh_token_ttl,
            clock,
            scope=self.scope,
        )
        self._verifier = JwtVerifier(issuer=self.issuer, client_id=client_id, jwks=key.jwks())
        # Cognito's self-service actions (GetUser) need the scope the trigger takes away
        self._self_service = JwtVerifier(
            issuer=self.issuer,
            client_id=client_id,
            jwks=key.jwks(),
            required_scope=SELF_SERVICE_SCOPE,
        )
        self._dummy_hash: str | None = None

    @classmethod
    async def open(cls, store: EventStore, settings: Any, **options: Any) -> LocalIdentityProvider:
        """The provider ``settings`` (a :class:`votes.settings.Settings`) describe, with its
        table migrated, its pool read from ``settings.idp_pool_template`` and its signing key
        loaded or created."""
        await store.migrate(MIGRATIONS)
        key = await asyncio.to_thread(SigningKey.load_or_create, settings.idp_key_file)
        return cls(
            store,
            key,
            user_pool_id=settings.user_pool_id,
            client_id=settings.user_pool_client_id,
            issuer=settings.token_issuer,
            admins=settings.admins,
            pool=load_pool_config(settings.idp_pool_template),
            access_token_ttl=settings.idp_access_token_ttl,
            refresh_token_ttl=settings.idp_refresh_token_ttl,
            **options,
        )

    @property
    def prevent_user_existence_errors(self) -> bool:
        return self.pool.prevent_user_existence_errors

    def jwks(self) -> dict[str, Any]:
        """The JWKS document served at ``<issuer>/.well-known/jwks.json``."""
        return self.key.jwks()

    def verifier(self) -> JwtVerifier:
        """A verifier of this provider's access tokens (no network needed)."""
        return self._verifier

    # -- actions -----------------------------------------------------------------------------

    async def sign_up(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """SignUp: create a confirmed user. On a pool with ``UsernameAttributes`` the
        Username must be one of them (it becomes that attribute) and the user's Cognito
        username is the generated ``sub``."""
        self._check_client(request)
        username = require_str(request, "Username")
        password = require_str(request, "Password")
        check_username(username)
        attributes = user_attributes(request.get("UserAttributes"))
        attribute = sign_in_attribute(username, self.pool.username_attributes)
        if attribute is not None:
            attributes[attribute] = username
        self.policy.check(password)
        exists = CognitoError(
            "UsernameExistsException",
            f"An account with the given {attribute} already exists."
            if attribute == "email"
            else "User already exists",
        )
        if await self.users.find(username) is not None:
            raise exists
        sub = str(uuid.uuid4())
        password_hash = await asyncio.to_thread(self.hasher.hash, password)
        user = UserRecord(
            username=sub if attribute is not None else username,
            sub=sub,
            password_hash=password_hash,
            attributes=attributes,
            created_at=datetime.now(UTC).isoformat(),
        )
        if not await self.users.insert(user, username):
            raise exists
        return {"UserConfirmed": True, "UserSub": user.sub}

    async def initiate_auth(
        self, request: Mapping[str, Any], address: str | None = None
    ) -> dict[str, Any]:
        """InitiateAuth with USER_PASSWORD_AUTH or REFRESH_TOKEN_AUTH (``address``: the
        caller's, for throttling failed sign-ins)."""
        self._check_client(request)
        flow = require_str(request, "AuthFlow")
        params = request.get("AuthParameters") or {}
        if not isinstance(params, dict):
            raise invalid_parameter("AuthParameters must be a map")
        if flow in ("USER_PASSWORD_AUTH", "REFRESH_TOKEN_AUTH", "REFRESH_TOKEN") and (
            not self.pool.allows(flow)
        ):
            raise invalid_parameter(f"{flow} flow not enabled for this client")
        if flow == "USER_PASSWORD_AUTH":
            user = await self._authenticate(params, address)
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
            claims = self._self_service.verify(token)
        except ExpiredToken as e:
            raise CognitoError("NotAuthorizedException", "Access Token has expired") from e
        except InsufficientScope as e:
            raise CognitoError(
                "NotAuthorizedException", "Access Token does not have required scopes"
            ) from e
        except InvalidToken as e:
            raise CognitoError("NotAuthorizedException", "Invalid Access Token") from e
        user = await self.users.find_by_sub(str(claims["sub"]))
        if user is None:
            raise CognitoError("UserNotFoundException", NOT_FOUND)
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

    async def _authenticate(self, params: Mapping[str, Any], address: str | None) -> UserRecord:
        username = params.get("USERNAME")
        password = params.get("PASSWORD")
        for name, value in (("USERNAME", username), ("PASSWORD", password)):
            if not isinstance(value, str) or not value:
                raise invalid_parameter(f"Missing required parameter {name}")
        assert isinstance(username, str) and isinstance(password, str)
        name_key = username_key(username, self.pool.case_sensitive)
        self.throttle.check(name_key, address)
        user = await self.users.find(username)
        if user is None and self._dummy_hash is None:
            self._dummy_hash = await asyncio.to_thread(self.hasher.hash, uuid.uuid4().hex)
        stored = user.password_hash if user else self._dummy_hash
        assert stored is not None
        # an unknown user costs a hash check too, so timing does not tell who exists
        ok = await asyncio.to_thread(self._password_matches, stored, password)
        if user is None or not ok:
            self.throttle.failed(name_key, address)
        if user is None:
            if self.prevent_user_existence_errors:
                raise CognitoError("NotAuthorizedException", INCORRECT)
            raise CognitoError("UserNotFoundException", NOT_FOUND)
        if not ok:
            raise CognitoError("NotAuthorizedException", INCORRECT)
        self.throttle.succeeded(name_key)
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

    def _sign_in_name(self, user: UserRecord) -> str:
        for attribute in self.pool.username_attributes:
            if attribute in user.attributes:
                return user.attributes[attribute]
        return user.username

    def _groups(self, user: UserRecord) -> list[str]:
        if ADMINS_GROUP not in self.pool.groups:
            return []
        name = username_key(self._sign_in_name(user), self.pool.case_sensitive)
        return [ADMINS_GROUP] if name in self.admins else []

    def _scope(self, groups: Sequence[str]) -> str:
        """The access token's scope: Cognito's, changed as the pool's pre token generation
        trigger changes it (:mod:`votes.pretoken`) where the template wires one."""
        scopes = [SELF_SERVICE_SCOPE]
        return " ".join(access_scopes(scopes, groups) if self.pool.pre_token_generation else scopes)

    def _id_attributes(self, user: UserRecord) -> dict[str, str]:
        attributes = dict(user.attributes)
        if "email" in attributes:
            attributes["email_verified"] = "true"  # as the pre sign-up trigger's autoVerifyEmail
        return attributes

    def _tokens(
        self, user: UserRecord, auth_time: int, origin_jti: str, with_refresh: bool = False
    ) -> dict[str, Any]:
        """The AuthenticationResult (RSA signing: run it off the event loop)."""
        groups = self._groups(user)
        result = self.minter.tokens(
            sub=user.sub,
            username=user.username,
            groups=groups,
            attributes=self._id_attributes(user),
            auth_time=auth_time,
            origin_jti=origin_jti,
            scope=self._scope(groups),
        )
        if with_refresh:
            result["RefreshToken"] = self.minter.refresh_token(
                sub=user.sub, auth_time=auth_time, origin_jti=origin_jti
            )
        return result
