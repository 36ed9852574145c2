"""Facts about a certificate (from its DER bytes) that checks judge and report."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from garrison.i18n import gettext as _
from garrison.probes.runners._outcome import ProbeFailure

MAX_NAMES = 20


@dataclass(frozen=True, slots=True)
class CertificateFacts:
    subject: str
    issuer: str
    not_before: datetime
    not_after: datetime
    spki_pin_sha256: str
    names: tuple[str, ...]

    def days_left(self, now: datetime) -> int:
        return int((self.not_after - now).total_seconds() // 86_400)

    def evidence(self, now: datetime) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "days_left": self.days_left(now),
            "spki_pin_sha256": self.spki_pin_sha256,
            "names": list(self.names),
        }


def spki_pin(certificate: x509.Certificate) -> str:
    """Base64 SHA-256 of the DER SubjectPublicKeyInfo (the HPKP pin format)."""
    spki = certificate.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode("ascii")


def certificate_facts(der: bytes) -> CertificateFacts:
    try:
        certificate = x509.load_der_x509_certificate(der)
        names: list[str] = []
        try:
            extension = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        except x509.ExtensionNotFound:
            pass
        else:
            names = [str(value) for value in extension.value.get_values_for_type(x509.DNSName)]
            names += [str(value) for value in extension.value.get_values_for_type(x509.IPAddress)]
        return CertificateFacts(
            subject=certificate.subject.rfc4514_string(),
            issuer=certificate.issuer.rfc4514_string(),
            not_before=certificate.not_valid_before_utc,
            not_after=certificate.not_valid_after_utc,
            spki_pin_sha256=spki_pin(certificate),
            names=tuple(names[:MAX_NAMES]),
        )
    except ValueError as error:
        raise ProbeFailure(_("the server's certificate cannot be read")) from error
