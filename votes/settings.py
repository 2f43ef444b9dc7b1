"""Every setting of the app, read once from the environment (prefix ``VOTES_``).

The same object configures the Lambda functions (values from the function's environment, see
serverless.yml) and the local app (``votes serve`` sets the database, admins and its own URL).

Database: ``VOTES_DATABASE_URL`` (``sqlite:///./votes.db`` or ``mysql://user:pw@host:3306/db``),
or on AWS ``VOTES_DATABASE_SECRET_ARN`` + ``VOTES_DATABASE_HOST`` + ``VOTES_DATABASE_NAME``
(the secret is JSON ``{"username", "password", ...}``: the application user's for the app, the
migrator's for the migration), over TLS (``VOTES_DATABASE_TLS``, ``VOTES_DATABASE_TLS_CA``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["DEFAULT_DATABASE_URL", "Settings"]

DEFAULT_DATABASE_URL = "sqlite:///./votes.db"


class Settings(BaseSettings):
    """The app's configuration; each field is the environment variable ``VOTES_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="VOTES_", extra="ignore", frozen=True)

    # -- database ------------------------------------------------------------------------------
    database_url: str | None = None
    """sqlite:///<path> or mysql://user:password@host:port/db; wins over the secret."""
    database_secret_arn: str | None = None
    """Secrets Manager secret holding {"username", "password"} (RDS-managed)."""
    database_host: str | None = None
    database_port: int = 3306
    database_name: str = "votes"
    database_pool_size: int = Field(default=10, ge=1)
    """Connections per process (MySQL)."""
    database_tls: bool = False
    """MySQL over TLS, the server's certificate and name verified (on AWS: always; locally
    only when asked)."""
    database_tls_ca: Path | None = None
    """PEM file of the certificate authorities to trust for it (default: the system's); on
    AWS the RDS bundle shipped in the package."""
    database_admin_secret_arn: str | None = None
    """Migration only: the RDS-managed master secret, which creates the database users."""
    database_app_secret_arn: str | None = None
    """Migration only: the application user's secret (the user is created with its password;
    the functions that run the app log in with it as their ``database_secret_arn``)."""

    # -- AWS integration ----------------------------------------------------------------------
    region: str = Field(
        default="us-east-1", validation_alias=AliasChoices("VOTES_REGION", "AWS_REGION")
    )
    event_bus_name: str | None = None
    """Custom EventBridge bus the relay publishes to (None: no EventBridge, local app)."""
    event_source: str = "votes"
    """EventBridge ``source`` of every relayed event."""
    tally_topic_arn: str | None = None
    """SNS topic that receives TallyUpdated (None: in-process publisher only)."""
    relay_batch_size: int = Field(default=10, ge=1, le=10)
    """Events per EventBridge PutEvents call (at most 10)."""
    relay_fast_path_timeout: float = Field(default=5.0, gt=0)
    """Seconds the fast path may hold a request; past them the scheduled relay publishes."""
    aws_connect_timeout: float = Field(default=1.0, gt=0)
    aws_read_timeout: float = Field(default=2.0, gt=0)
    aws_max_attempts: int = Field(default=2, ge=1, le=5)
    """Every AWS call the app makes (EventBridge, SNS, Secrets Manager, AppSync): seconds to
    connect, seconds to wait for an answer, tries in all (botocore's standard retry mode), so a
    slow endpoint costs a request at most ``attempts x (connect + read)`` plus backoff."""
    appsync_event_url: str | None = None
    """The AWS AppSync Events HTTP publish endpoint, ``https://<http domain>/event`` (the push
    Lambda publishes live tallies there; None: nothing pushes)."""
    push_interval: float = Field(default=0.25, ge=0)
    """Seconds between two live tallies of one poll sent by one push container."""

    # -- HTTP ----------------------------------------------------------------------------------
    allowed_origin: str = "http://localhost:5173"
    """CORS origin of the browser client (the Vite dev server locally, CloudFront on AWS)."""
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    """Larger request bodies are refused with 413."""
    log_level: str = "INFO"

    # -- identity ------------------------------------------------------------------------------
    admins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Usernames put in the ``admins`` group by the local identity provider (comma-separated)."""
    user_pool_id: str = "us-east-1_votesLocal"
    """Cognito user pool id (on AWS the real one; locally the local IdP's)."""
    user_pool_client_id: str = "voteslocalclient"
    """Cognito app client id: the ``aud`` / ``client_id`` tokens must carry."""
    issuer: str | None = None
    """Token issuer; default: Cognito's ``https://cognito-idp.<region>.amazonaws.com/<pool>``,
    or ``<public_url>/cognito/<pool>`` when the local IdP runs (``public_url`` set)."""
    idp_pool_template: Path = Path(__file__).resolve().parents[1] / "deploy" / "cognito.yml"
    """The CloudFormation of the Cognito user pool and app client (deploy/cognito.yml): the
    local identity provider behaves as it says (sign-in attribute, case sensitivity, password
    policy, user-existence errors, token validity, groups) and /config.json gives the client
    its password policy. Point it at a copy to try another pool configuration."""
    jwks_url: str | None = None
    """The local app only: the signing keys (a JWKS URL) of an external user pool whose access
    tokens the API trusts instead of the local IdP's -- e.g. moto's
    ``http://127.0.0.1:<port>/<pool id>/.well-known/jwks.json`` or a real pool's
    ``https://cognito-idp.<region>.amazonaws.com/<pool id>/.well-known/jwks.json`` -- with
    ``issuer`` and ``user_pool_client_id`` set to that pool's (the load test's AWS path runs
    this way against moto). The local IdP still answers at /cognito."""
    jwks_required_scope: str | None = None
    """With ``jwks_url``: the scope the external pool's access tokens must carry (default: the
    API's own, ``votes/api``, which the pool's pre token generation trigger adds). moto runs no
    trigger, so a test against moto names Cognito's ``aws.cognito.signin.user.admin``."""

    # -- local app -----------------------------------------------------------------------------
    public_url: str | None = None
    """The local app's own base URL, e.g. http://127.0.0.1:8000 (set by ``votes serve``)."""
    idp_key_file: Path = Path(".votes/idp-key.pem")
    """RSA private key (PEM) the local IdP signs tokens with; created when missing."""
    idp_access_token_ttl: int | None = Field(default=None, ge=60)
    """Lifetime of local ID / access tokens, in seconds (default: the app client's
    ``AccessTokenValidity`` in :attr:`idp_pool_template`)."""
    idp_refresh_token_ttl: int | None = Field(default=None, ge=60)
    """Lifetime of local refresh tokens (default: the app client's ``RefreshTokenValidity``)."""
    allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Host names the local app answers to (comma-separated; ``*.example.com`` allowed); any
    other ``Host`` gets 400, so a page whose name an attacker points at 127.0.0.1 (DNS
    rebinding) cannot use the app. Default: :attr:`trusted_hosts`."""
    client_dist: Path = Path("client/dist")
    """The built browser client served at ``/`` (when it exists)."""
    live_keepalive: float = Field(default=60.0, gt=0)
    """Seconds between the ``ka`` messages of the local realtime endpoint (AppSync's
    protocol: a client that hears nothing for ``connectionTimeoutMs`` reconnects)."""

    @field_validator("admins", "allowed_hosts", mode="before")
    @classmethod
    def _split_names(cls, value: object) -> object:
        if isinstance(value, str):
            return [name.strip() for name in value.split(",") if name.strip()]
        return value

    @property
    def trusted_hosts(self) -> list[str]:
        """The host names the local app answers to: ``allowed_hosts``, else the host of
        ``public_url`` (the address it is bound to) and the names of the loopback address."""
        if self.allowed_hosts:
            return list(self.allowed_hosts)
        bound = urlsplit(self.public_url).hostname if self.public_url else None
        return list(dict.fromkeys([*filter(None, [bound]), "localhost", "127.0.0.1", "::1"]))

    @property
    def token_issuer(self) -> str:
        """The ``iss`` every accepted token carries."""
        if self.issuer:
            return self.issuer.rstrip("/")
        if self.public_url:
            return f"{self.public_url.rstrip('/')}/cognito/{self.user_pool_id}"
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"
