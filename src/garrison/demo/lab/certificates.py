"""A certificate authority made when the lab is built, and the certificate its TLS targets serve.

Nothing outlives the lab: the keys live in memory, and only for the moment the
``ssl`` module needs them in a file, in a private temporary directory. Probes
trust the lab through :attr:`LabCertificate.ca_pem` (see ``write_ca``).
"""

from __future__ import annotations

import ssl
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from ipaddress import IPv4Address
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from garrison.demo.lab.targets import LAB_HOST

SERVER_NAMES = (
    "localhost",
    "congress.example",
    "www.congress.example",
    "mail.congress.example",
)
"""The host names the lab's certificate is valid for, besides 127.0.0.1."""

_DEFAULT_VALIDITY = timedelta(days=90)
# Started an hour in the past, so that a probe whose clock is slightly behind still accepts it.
_BACKDATE = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class LabCertificate:
    ca_pem: bytes
    """The lab's certificate authority, to trust in probes (PEM)."""
    certificate_pem: bytes
    """The server certificate followed by the authority's: the chain a server sends."""
    key_pem: bytes
    not_after: datetime

    @classmethod
    def create(cls, now: datetime, *, valid_for: timedelta = _DEFAULT_VALIDITY) -> LabCertificate:
        """A fresh authority and a server certificate for 127.0.0.1, valid from ``now``."""
        if now.tzinfo is None:
            raise ValueError("the lab certificate needs a timezone-aware time")
        if valid_for <= timedelta(0):
            raise ValueError("the lab certificate must be valid for some time")
        not_before = now - _BACKDATE
        not_after = now + valid_for
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = _name("Garrison demo lab CA")
        ca = (
            _builder(ca_name, ca_name, ca_key.public_key(), not_before, not_after)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_usage(signing_certificates=True), critical=True)
            .sign(ca_key, hashes.SHA256())
        )
        server_key = ec.generate_private_key(ec.SECP256R1())
        names: list[x509.GeneralName] = [x509.DNSName(name) for name in SERVER_NAMES]
        names.append(x509.IPAddress(IPv4Address(LAB_HOST)))
        server = (
            _builder(
                _name("congress.example"), ca_name, server_key.public_key(), not_before, not_after
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(signing_certificates=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        ca_pem = ca.public_bytes(serialization.Encoding.PEM)
        return cls(
            ca_pem=ca_pem,
            certificate_pem=server.public_bytes(serialization.Encoding.PEM) + ca_pem,
            key_pem=server_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
            not_after=not_after,
        )

    def server_context(self) -> ssl.SSLContext:
        """A TLS server context presenting the lab's certificate (TLS 1.2 and later)."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        with tempfile.TemporaryDirectory(prefix="garrison-lab-tls-") as directory:
            chain = Path(directory) / "chain.pem"
            key = Path(directory) / "key.pem"
            chain.write_bytes(self.certificate_pem)
            key.touch(mode=0o600)
            key.write_bytes(self.key_pem)
            context.load_cert_chain(chain, key)
        return context

    def write_ca(self, path: Path) -> None:
        """Write the authority's certificate where probes are told to find it (``ca_file``)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.ca_pem)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Garrison demo lab"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    not_before: datetime,
    not_after: datetime,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )


def _usage(*, signing_certificates: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=signing_certificates,
        crl_sign=signing_certificates,
        encipher_only=False,
        decipher_only=False,
    )
