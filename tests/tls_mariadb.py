"""A private MariaDB server that speaks TLS, for the database-users and TLS tests.

The shared test server has no TLS (``have_ssl`` DISABLED) and MariaDB 10.11 reads its
certificate only at start, so enabling TLS there would mean restarting a server other test
runs use. Instead :class:`TlsMariaDB` starts a server of its own from the same binaries: a
fresh data directory (``mariadb-install-db``), a certificate authority and a server
certificate for 127.0.0.1 made here with ``cryptography``, a free port, a small buffer pool.
It takes about a second to start and 100 MB of memory, and is stopped (its process only) on
exit.
"""

from __future__ import annotations

import datetime
import ipaddress
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import pymysql
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from serve_process import free_port

__all__ = ["TlsMariaDB", "make_ca"]


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def make_ca(directory: Path, name: str) -> tuple[Path, rsa.RSAPrivateKey, x509.Certificate]:
    """A self-signed certificate authority: its PEM file, key and certificate."""
    key = _key()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    path = directory / f"{name}.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path, key, cert


def _server_cert(
    directory: Path, ca_key: rsa.RSAPrivateKey, ca: x509.Certificate
) -> tuple[Path, Path]:
    key = _key()
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    cert_path, key_path = directory / "server.pem", directory / "server-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(_pem(key))
    key_path.chmod(0o600)
    return cert_path, key_path


class TlsMariaDB:
    """A running private MariaDB with TLS; root (no password) over TCP on :attr:`port`."""

    def __init__(self, startup_timeout: float = 60.0) -> None:
        self.startup_timeout = startup_timeout
        self.port = 0
        self.dir = Path()
        self.ca = Path()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, user: str = "root", password: str = "", database: str = "votes") -> str:
        login = f"{user}:{password}" if password else user
        return f"mysql://{login}@127.0.0.1:{self.port}/{database}"

    def root(self) -> pymysql.connections.Connection:
        """A root connection (over TLS, which the server offers by default)."""
        return pymysql.connect(
            host="127.0.0.1", port=self.port, user="root", autocommit=True, ssl={"ca": str(self.ca)}
        )

    def __enter__(self) -> TlsMariaDB:
        binary, install = shutil.which("mariadbd"), shutil.which("mariadb-install-db")
        if not binary:
            binary = "/usr/sbin/mariadbd"
        if not install or not Path(binary).exists():
            raise RuntimeError("mariadbd and mariadb-install-db are needed (the MariaDB server)")
        self._tmp = tempfile.TemporaryDirectory(prefix="votes-tls-mariadb-")
        self.dir = Path(self._tmp.name)
        self.ca, ca_key, ca_cert = make_ca(self.dir, "test-ca")
        cert, key = _server_cert(self.dir, ca_key, ca_cert)
        data = self.dir / "data"
        subprocess.run(
            [install, "--no-defaults", f"--datadir={data}", "--user=root",
             "--auth-root-authentication-method=normal", "--skip-test-db"],
            check=True, capture_output=True,
        )  # fmt: skip
        self.port = free_port()
        log = open(self.dir / "mariadbd.log", "ab")
        self.process = subprocess.Popen(
            [binary, "--no-defaults", f"--datadir={data}", "--user=root",
             f"--port={self.port}", "--bind-address=127.0.0.1",
             f"--socket={self.dir / 'mysqld.sock'}", f"--pid-file={self.dir / 'mysqld.pid'}",
             f"--ssl-ca={self.ca}", f"--ssl-cert={cert}", f"--ssl-key={key}",
             "--innodb-buffer-pool-size=16M", "--skip-name-resolve",
             "--character-set-server=utf8mb4", "--collation-server=utf8mb4_bin",
             f"--log-error={self.dir / 'mariadbd.err'}"],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + self.startup_timeout
        while True:
            try:
                self.root().close()
                return self
            except pymysql.err.OperationalError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    err = (self.dir / "mariadbd.err").read_text(errors="replace")
                    self.__exit__(None, None, None)
                    raise RuntimeError(f"the private MariaDB did not start:\n{err}") from None
                time.sleep(0.1)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
